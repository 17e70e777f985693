"""Regenerate the PNG snapshots in docs/img (needs pdftoppm from poppler-utils and, for the
Word and Excel pictures, LibreOffice: ``apt-get install libreoffice-writer-nogui
libreoffice-calc-nogui poppler-utils``).

    python docs/make_snapshots.py

Runs the seed-000 demo up to 05/07/2024 (one leader overdue) into a database, exactly as
``dondoc demo --db URL --until 2024-07-05`` does, and renders from that database alone (the
directory and office profile are kept in it): the chasing letter for that leader and the
progress report as PDF, the same letter as Word and the report as Excel (both opened by
LibreOffice), page 1 of each as a PNG.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console

from dondoc import Engine
from dondoc.cli.demo import at, run_demo

OUT = Path(__file__).parent / "img"


def png(
    source: Path, name: str, page: int = 1, resolution: int = 70, crop: tuple[int, ...] = ()
) -> None:
    box = [x for k, v in zip("xyWH", crop) for x in (f"-{k}", str(v))]
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(resolution), "-f", str(page), "-l", str(page), *box,
         "-singlefile", str(source), str(OUT / name)],
        check=True,
    )
    print(f"wrote {OUT / name}.png")


def office_to_pdf(source: Path) -> Path:
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(source.parent), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    return source.with_suffix(".pdf")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/d.db"
        run_demo(url, Console(file=io.StringIO()), until=at(5, 7, 18)).db.dispose()
        engine = Engine(url)
        late = next(d for d in engine.directives() if d.assignee == "luyen" and d.state == "overdue")
        for name, directive_id in (("chasing_letter", late.id), ("progress_report", None)):
            pdf = Path(tmp) / f"{name}.pdf"
            pdf.write_bytes(engine.render_document(name, fmt="pdf", directive_id=directive_id))
            png(pdf, name)
        word = Path(tmp) / "word" / "chasing_letter.docx"
        word.parent.mkdir()
        word.write_bytes(engine.render_document("chasing_letter", fmt="docx", directive_id=late.id))
        png(office_to_pdf(word), "chasing_letter_docx")
        excel = Path(tmp) / "excel" / "progress_report.xlsx"
        excel.parent.mkdir()
        excel.write_bytes(engine.render_document("progress_report", fmt="xlsx"))
        pages = office_to_pdf(excel)
        # The sheet of every directive (page 4), its table cropped.
        png(pages, "progress_report_xlsx", page=4, resolution=150, crop=(90, 120, 1600, 200))


if __name__ == "__main__":
    main()
