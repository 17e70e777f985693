"""Regenerate the PNG snapshots in docs/img (needs pdftoppm from poppler-utils).

    python docs/make_snapshots.py

Runs the seed-000 demo up to 05/07/2024 (one leader overdue), renders the chasing letter for
that leader and the progress report as PDF, and turns page 1 of each into a PNG.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console

from dondoc.cli.demo import PEOPLE, UNIT, at, run_demo
from dondoc.core.directory import SimpleDirectory
from dondoc.documents.office import Office

OUT = Path(__file__).parent / "img"
OFFICE = Office(
    parent="UBND TỈNH ĐẮK NÔNG", name="SỞ THÔNG TIN VÀ TRUYỀN THÔNG", abbreviation="STTTT",
    place="Đắk Nông", authority="KT. GIÁM ĐỐC", signer_position="PHÓ GIÁM ĐỐC",
    signer_name="Hoàng Mạnh Thắng", archive=("Lưu: VT, TTr",),
)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = run_demo(f"sqlite:///{tmp}/d.db", Console(file=io.StringIO()), until=at(5, 7, 10))
        engine.directory = SimpleDirectory(PEOPLE, {UNIT: "phuong"})
        late = next(d for d in engine.directives() if d.assignee == "luyen" and d.state == "overdue")
        for name, directive_id in (("chasing_letter", late.id), ("progress_report", None)):
            pdf = Path(tmp) / f"{name}.pdf"
            pdf.write_bytes(engine.render_document(name, fmt="pdf", directive_id=directive_id, office=OFFICE))
            subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf), str(OUT / name)], check=True)
            print(f"wrote {OUT / name}.png")


if __name__ == "__main__":
    main()
