"""The issuing office: what goes in a document's header and signature block.

Loaded from a small YAML file (``dondoc render --office office.yaml``) or given by the
embedding back-end::

    parent: UBND TỈNH ĐẮK NÔNG
    name: SỞ THÔNG TIN VÀ TRUYỀN THÔNG
    abbreviation: STTTT
    place: Đắk Nông
    authority: KT. GIÁM ĐỐC          # TM. / KT. / TL. line above the signer's position
    signer_position: PHÓ GIÁM ĐỐC
    signer_name: Hoàng Mạnh Thắng
    archive: [Lưu VT, VP]
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ..errors import PayloadError


@dataclass(frozen=True)
class Office:
    name: str = ""
    parent: str | None = None
    abbreviation: str | None = None
    place: str | None = None
    authority: str | None = None
    signer_position: str | None = None
    signer_name: str | None = None
    archive: tuple[str, ...] = field(default=("Lưu: VT",))

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], source: str = "office") -> Office:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise PayloadError(
                unknown[0], f"{source}: unknown key; expected {', '.join(sorted(known))}"
            )
        data = dict(raw)
        if "archive" in data:
            data["archive"] = tuple(str(x) for x in data["archive"] or ())
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path) -> Office:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise PayloadError("office", f"cannot read {path}: {exc}") from None
        if not isinstance(raw, dict):
            raise PayloadError("office", f"{path}: expected a mapping")
        return cls.from_mapping(raw, str(path))
