"""The issuing office: what goes in a document's header, running text and signature block.

Kept with the deployment (``dondoc office load office.yaml``, :meth:`Engine.set_office`), or
given per document (``dondoc render --office office.yaml``)::

    parent: UBND TỈNH ĐẮK NÔNG
    name: SỞ THÔNG TIN VÀ TRUYỀN THÔNG          # as in the header (upper case)
    name_in_text: Sở Thông tin và Truyền thông  # as in a sentence (proper case)
    abbreviation: STTTT
    place: Đắk Nông
    authority: KT. GIÁM ĐỐC          # TM. / KT. / TL. line(s) above the signer's position
    signer: thang                    # a person of the directory: name and position from there
    signer_position: PHÓ GIÁM ĐỐC    # … or given here (these win over the directory)
    signer_name: Hoàng Mạnh Thắng
    archive: [Lưu VT, VP]

``authority`` may hold two lines ("TL. GIÁM ĐỐC\\nKT. CHÁNH VĂN PHÒNG", or a YAML list), as
Decree 30 writes a signature by delegation of a deputy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import PayloadError

MAX_TEXT = 500


@dataclass(frozen=True)
class Office:
    name: str = ""
    parent: str | None = None
    name_in_text: str | None = None
    abbreviation: str | None = None
    place: str | None = None
    authority: str | None = None
    signer: str | None = None
    signer_position: str | None = None
    signer_name: str | None = None
    archive: tuple[str, ...] = field(default=("Lưu: VT",))

    @classmethod
    def from_mapping(cls, raw: Any, source: str = "office") -> Office:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise PayloadError("office", f"{source}: expected a mapping")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise PayloadError(
                unknown[0], f"{source}: unknown key; expected {', '.join(sorted(known))}"
            )
        data: dict[str, Any] = {}
        for key, value in raw.items():
            if key == "archive":
                items = value if isinstance(value, list | tuple) else [value]
                data[key] = tuple(_text(x, key) for x in items if x is not None)
            elif key == "authority" and isinstance(value, list | tuple):
                data[key] = "\n".join(_text(x, key) for x in value)
            elif value is not None:
                data[key] = _text(value, key)
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path) -> Office:
        from ..core.yamlsource import read_yaml

        return cls.from_mapping(read_yaml(path, "office"), str(path))

    def to_mapping(self) -> dict[str, Any]:
        """The document :meth:`from_mapping` reads back (what a deployment stores)."""
        data = {k: v for k, v in asdict(self).items() if v not in (None, "")}
        data["archive"] = list(self.archive)
        return data


def _text(value: Any, key: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(key, "expected a text")
    text = str(value)
    if len(text) > MAX_TEXT:
        raise PayloadError(key, f"dài quá {MAX_TEXT} ký tự")
    return text
