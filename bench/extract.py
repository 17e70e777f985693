"""Benchmark: extraction and the deadline parser are linear in the text.

Not a test: prints tables. Run ``python bench/extract.py`` (``--quick`` for 100-400 KB).

For documents of 100 KB → 1 MB it prints the time, the time per 100 KB and its ratio to the
100 KB figure (flat ≈ linear; a quadratic cost doubles it with every doubling of the size):

* ``corpus``: the 22 corpus documents and the five seeds (addresses and signature blocks cut so
  the body goes on), one after another — many paragraphs, many tasks;
* ``one paragraph``: the same text with every line break removed — one item of 1 MB;
* ``dates``: one paragraph of "… báo cáo trước ngày 20/4, …" clauses — a deadline every 40
  characters, the worst case for cutting a clause between deadlines;
* ``parser``: ``parse_deadline`` alone on the one-paragraph text, and on text made of nothing
  but deadline phrases.

Each figure is the best of ``--repeat`` runs (default 3) in this process, in CPU seconds of the
process (``time.process_time``): on a shared machine, wall-clock time measures the neighbours.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from dondoc.deadlines.phrases import parse_deadline
from dondoc.errors import DeadlineError
from dondoc.extraction.document import extract

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
ISSUED = date(2024, 3, 18)
# lines that end a document's body (its addresses, a web page's footer): cut, so it goes on
_CUT = re.compile(
    r"^(?:Nơi nhận|Trên đây là|Đề nghị .{0,60}triển khai thực hiện nghiêm túc|latest news|copy link|"
    r"powered by|write your comment|theo [\w.-]+\.(?:vn|com)).*$",
    re.M | re.I,
)


def _base() -> str:
    texts = [p.read_text("utf-8") for p in sorted((DATA / "corpus").glob("*.txt"))]
    texts += [p.read_text("utf-8") for p in sorted((DATA / "seeds").glob("*.txt"))]
    return "\n\n".join(_CUT.sub("Ghi chú", t.replace("**", "")) for t in texts) + "\n\n"


def _sized(unit: str, kb: int) -> str:
    n = kb * 1024
    return (unit * (n // len(unit) + 1))[:n]


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()  # CPU time of this process: the machine is shared
        fn()
        best = min(best, time.process_time() - t0)
    return best


def _parse(text: str) -> None:
    with contextlib.suppress(DeadlineError):
        parse_deadline(text, ISSUED)


def _table(
    title: str, unit: str, sizes: list[int], run: Callable[[str], object], repeat: int
) -> None:
    print(f"\n{title}")
    print(f"{'size':>8} {'CPU s':>9} {'s / 100 KB':>11} {'ratio':>7}")
    first: float | None = None
    for kb in sizes:
        text = _sized(unit, kb)
        seconds = _best(lambda text=text: run(text), repeat)  # type: ignore[misc]
        per = seconds / (kb / 100)
        first = first or per
        print(f"{kb:>6} KB {seconds:>9.2f} {per:>11.3f} {per / first:>6.2f}×")
        sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100-400 KB only")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = [100, 200, 400] if args.quick else [100, 200, 400, 700, 1000]
    base = _base()
    extract(base, issued=ISSUED)  # warm up: the holidays package loads its calendars once
    flat = re.sub(r"\s+", " ", base)
    dates = " ".join(
        f"Phòng {i} báo cáo kết quả trước ngày {i % 28 + 1}/{i % 12 + 1}, " for i in range(1, 200)
    )
    phrases = "trước ngày 20 hàng tháng; trong tháng sau; trước 17 giờ ngày 12/11/2025; " * 20

    def run_extract(text: str) -> object:
        return extract(text, issued=ISSUED)

    _table("extract: corpus documents one after another", base, sizes, run_extract, args.repeat)
    _table("extract: one paragraph", flat, sizes, run_extract, args.repeat)
    _table("extract: a deadline every 40 characters", dates, sizes, run_extract, args.repeat)
    _table("parse_deadline: one paragraph of prose", flat, sizes, _parse, args.repeat)
    _table("parse_deadline: nothing but deadline phrases", phrases, sizes, _parse, args.repeat)


if __name__ == "__main__":
    main()
