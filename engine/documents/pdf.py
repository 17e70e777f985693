"""HTML → PDF with WeasyPrint (a real layout engine: A4 pages, embedded fonts).

WeasyPrint needs Pango from the system (Debian: libpango-1.0-0, libpangoft2-1.0-0); the font
stack of the templates is Times New Roman → Liberation Serif (``fonts-liberation``) → DejaVu
Serif, all of which have every Vietnamese diacritic. WeasyPrint embeds the fonts it uses.

Templates are written by administrators, so the PDF may fetch nothing but the package's own
assets (files under the bundled templates folder) and ``data:`` URLs: WeasyPrint's default
fetcher would read any local file (``/etc/passwd``, ``/proc/self/environ``, the SQLite
database) into the PDF — ``<link rel=attachment>`` embeds it whole — and make requests to
any host, the server's own loopback included. Anything else is refused and left out.
"""

from __future__ import annotations

import mimetypes
import urllib.request
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..errors import MissingExtra


class PdfUnavailable(MissingExtra):
    """PDF output needs WeasyPrint (the ``pdf`` extra) and the Pango system libraries."""

    code = "pdf_unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__("pdf", "WeasyPrint", detail, system="libpango-1.0-0")


def assets_root() -> Path:
    """The folder whose files a PDF may use (the bundled templates and their assets)."""
    return Path(str(resources.files("dondoc.templates"))).resolve()


class AssetsOnlyFetcher:
    """A WeasyPrint URL fetcher that serves only files under ``roots`` and ``data:`` URLs.

    Works with WeasyPrint's function interface (≤ 67: a dict) and its fetcher objects (≥ 68:
    a ``URLFetcherResponse``)."""

    _fail_on_errors = False  # read by WeasyPrint ≥ 68: a refusal is a warning, not fatal

    def __init__(self, roots: tuple[Path, ...] | None = None) -> None:
        self.roots = roots if roots is not None else (assets_root(),)
        self.refused: list[str] = []

    def allowed_path(self, url: str) -> Path | None:
        """The local file ``url`` names, if it lies under an allowed root (symlinks resolved)."""
        parsed = urlparse(url)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parsed.path)).resolve()
        if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
            return path
        return None

    def __call__(self, url: str, *_args: Any, **_kwargs: Any) -> Any:
        if url.startswith("data:"):
            with urllib.request.urlopen(url) as response:
                body, mime = response.read(), response.headers.get_content_type()
        else:
            path = self.allowed_path(url)
            if path is None:
                self.refused.append(url)
                raise PermissionError(f"dondoc's PDFs use only the package's own assets: {url}")
            body = path.read_bytes()
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        try:
            from weasyprint.urls import URLFetcherResponse
        except ImportError:  # WeasyPrint ≤ 67: the fetcher returns a dict
            return {"string": body, "mime_type": mime, "redirected_url": url}
        return URLFetcherResponse(url, body, {"Content-Type": mime})


def html_to_pdf(html: str, *, fetcher: AssetsOnlyFetcher | None = None) -> bytes:
    """Render a complete HTML document to PDF bytes (fetching only the package's assets)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango libraries are missing
        raise PdfUnavailable(f"{type(exc).__name__}: {exc}") from None
    fetch = fetcher or AssetsOnlyFetcher()
    result = HTML(
        string=html, base_url=fetch.roots[0].as_uri() + "/", url_fetcher=fetch
    ).write_pdf()
    assert result is not None
    return bytes(result)
