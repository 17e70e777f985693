"""An agency's units and positions, with the aliases documents use for them.

    units:
      - name: Thanh tra Sở
        aliases: [Phòng Thanh tra, Thanh tra, Chánh Thanh tra, phòng Thanh tra]
        leaders: [Nguyễn Phương, Hoàng Thị Luyến]     # for "từng đồng chí lãnh đạo phòng"
      - name: Sở Lao động - Thương binh và Xã hội
        aliases: [Sở LĐTBXH, LĐTBXH]

Mentions resolve case-insensitively to the unit's name; the longest alias wins. A mention that
matches nothing is kept as written and flagged for a human.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import PayloadError


@dataclass(frozen=True)
class Unit:
    name: str
    aliases: tuple[str, ...] = ()
    leaders: tuple[str, ...] = ()


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().replace("&", " & ").split())


@dataclass
class UnitsDirectory:
    units: list[Unit] = field(default_factory=list)

    @classmethod
    def from_file(cls, path: str | Path) -> UnitsDirectory:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise PayloadError("units", f"cannot read {path}: {exc}") from None
        items = raw.get("units") if isinstance(raw, dict) else None
        if not isinstance(items, list):
            raise PayloadError("units", f"{path}: expected a mapping with a 'units' list")
        units = []
        for i, u in enumerate(items):
            if not isinstance(u, dict) or not isinstance(u.get("name"), str):
                raise PayloadError("units", f"{path}: units[{i}] needs a 'name'")
            units.append(
                Unit(
                    u["name"],
                    tuple(map(str, u.get("aliases") or ())),
                    tuple(map(str, u.get("leaders") or ())),
                )
            )
        return cls(units)

    def _patterns(self) -> list[tuple[str, Unit]]:
        out = [(_norm(a), u) for u in self.units for a in (u.name, *u.aliases)]
        return sorted(out, key=lambda p: -len(p[0]))

    def resolve(self, mention: str) -> Unit | None:
        """The unit a mention names (exact alias, or an alias contained in the mention)."""
        m = _norm(mention)
        for alias, unit in self._patterns():
            if alias == m:
                return unit
        for alias, unit in self._patterns():
            if re.search(rf"(?<!\w){re.escape(alias)}(?!\w)", m):
                return unit
        return None

    def find_all(self, text: str) -> list[tuple[int, Unit]]:
        """Every unit mentioned in ``text``, with the position of its first mention."""
        t = _norm(text)
        taken: list[tuple[int, int]] = []
        found: dict[str, tuple[int, Unit]] = {}
        for alias, unit in self._patterns():
            for m in re.finditer(rf"(?<!\w){re.escape(alias)}(?!\w)", t):
                if any(a <= m.start() < b for a, b in taken):
                    continue
                taken.append((m.start(), m.end()))
                if unit.name not in found or m.start() < found[unit.name][0]:
                    found[unit.name] = (m.start(), unit)
        return sorted(found.values(), key=lambda x: x[0])

    def names(self) -> Iterable[str]:
        return (u.name for u in self.units)
