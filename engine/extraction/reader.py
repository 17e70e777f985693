"""Reading a document: the text of a .txt or .docx file, normalised, web-page debris cut off."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..errors import PayloadError

DEBRIS = re.compile(
    r"^(?:latest news|other news|copy link|powered by|write your comment|full name|phone number|"
    r"view search|nổi bật|đừng bỏ lỡ|\(\d+\) bình luận|https?://\S+$|theo [\w.-]+\.(?:vn|com)\b)",
    re.IGNORECASE,
)


def read_document(path: str | Path) -> str:
    """The text of a .txt (UTF-8) or .docx file, normalised (see :func:`clean`)."""
    p = Path(path)
    if p.suffix.lower() == ".docx":
        try:
            import docx
        except ImportError:  # pragma: no cover - python-docx is a dependency
            raise PayloadError("file", "reading .docx needs python-docx") from None
        try:
            document = docx.Document(str(p))
        except Exception as exc:  # a damaged or non-docx file
            raise PayloadError("file", f"{p}: not a readable .docx ({exc})") from None
        return clean("\n".join(par.text for par in document.paragraphs))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PayloadError("file", f"cannot read {p}: {exc}") from None
    try:
        return clean(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise PayloadError(
            "file", f"{p} is not UTF-8 text (byte {exc.start}); convert it first"
        ) from None


def clean(text: str) -> str:
    """NFC, Unix line ends, markdown emphasis and non-breaking spaces removed, no trailing
    spaces, and web-page debris after the article cut off."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("**", "").replace("\u00a0", " ").replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if DEBRIS.match(line.strip()):
            if (
                line.strip()
                .lower()
                .startswith(
                    ("latest news", "copy link", "powered by", "write your comment", "theo ")
                )
            ):
                break
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"
