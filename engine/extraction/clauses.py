"""Cutting an item's text into clauses, one per task. Pure, linear in the text.

A paragraph of a real conclusion often holds several tasks: sentences for different units
("UBND xã … báo cáo … vào 16h00 hàng ngày. UBND quận, huyện … trước 16h30 hàng ngày."), ";"-
separated assignments ("…; Ban Tổ chức Huyện ủy tham mưu …; Ủy ban kiểm tra Huyện ủy theo dõi
…"), a list after "gồm:", or two deadlines in one sentence ("… báo cáo ngay khi có phát hiện sai
phạm, báo cáo tổng hợp … trước ngày 10/1/2020"). And a sentence often only closes the one before
("Yêu cầu gửi báo cáo về Sở Kế hoạch và Đầu tư trước ngày 23/5/2019."). The rules:

* a segment (a sentence, or a part between ";") starts a new clause when it opens with a
  directive verb (giao, yêu cầu, đề nghị…), when a sentence holds one, when it opens with a new
  responsible body followed by an action ("Ban Tổ chức Huyện ủy tham mưu…"), when it is a ";"
  part with a deadline of its own, or when it is an item of a list after "gồm:";
* otherwise it continues the clause before it — a deadline sentence ("hoàn thành trước ngày
  10/12/2023", "Yêu cầu gửi báo cáo … trước ngày …") always does, and so does everything after a
  short title sentence ("Chấn chỉnh công tác văn thư lưu trữ. Bàn giao …");
* a clause holding two deadlines that name days is cut at the first comma between them after
  which an action follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from ..deadlines.phrases import Span, deadline_spans

ACTION = re.compile(
    r"(?<![\wÀ-ỹ])(?:báo cáo|tham mưu|triển khai|thực hiện|theo dõi|tổ chức|xây dựng|rà soát|hoàn thành|"
    r"hoàn thiện|kiểm tra|kiểm soát|chỉ đạo|tăng cường|đẩy mạnh|chuẩn bị|tuyên truyền|phối hợp|chấp hành|"
    r"tổng hợp|gửi|nộp|cập nhật|khắc phục|sửa chữa|giải quyết|xử lý|lập|bàn giao|chủ trì|nghiên cứu|"
    r"đề xuất|quán triệt|rà soát|thu|chi trả|thanh toán|đôn đốc|bảo đảm|đảm bảo|quan tâm|tập trung|"
    r"khẩn trương|nâng cao|củng cố|sắp xếp|duy trì|chuyển|ban hành|trình|phấn đấu|cung cấp|thông báo)"
    r"(?![\wÀ-ỹ])"
)
# the same verbs opening a clause, capitalised or not ("Tổ chức các cuộc họp …"); mid-sentence a
# capital letter is a name ("Ban Tổ chức Huyện ủy"), never an action
ACTION_AT_START = re.compile(ACTION.pattern, re.IGNORECASE)
_NOT_NOUN = r"(?!\s+(?:này|trên|đó|của|tại|thêm|nhiều))"
DIRECTIVE_START = re.compile(
    r"^(?:[^,]{0,80},\s*)?(?:giao|yêu cầu|đề nghị|kiến nghị|chỉ đạo|khẩn trương|tiếp tục|tăng cường|"
    rf"đẩy mạnh|triển khai|tổ chức|thường xuyên|cần|phải|trường hợp|nếu|đối với những)(?![\wÀ-ỹ]){_NOT_NOUN}",
    re.IGNORECASE,
)
DIRECTIVE_IN = re.compile(
    r"(?<!đã )(?<!được )(?<!theo )(?<!ứng )(?<!đúng )(?<!số )(?<!các )(?<!những )(?<![\wÀ-ỹ])(?:yêu cầu|giao|đề nghị|kiến nghị|chỉ đạo|"
    rf"(?-i:phải|cần))(?![\wÀ-ỹ]){_NOT_NOUN}",
    re.IGNORECASE,
)
BODY_HEAD = re.compile(
    r"^(?:UBND|HĐND|Ủy ban|Uỷ ban|Ban|Phòng|Sở|Văn phòng|Trung tâm|Lực lượng|Bộ|Cục|Chi cục|Tổ|Đội|"
    r"Công an|Thanh tra|Hội|Đoàn|Trường|Viện|Cơ quan|Các|Giám đốc|Chủ tịch|Hiệu trưởng|Thủ trưởng|"
    r"Trưởng|Bí thư|Giảng viên|Quân|Hải quân|Đảng ủy|Đảng uỷ|Huyện ủy|Tỉnh ủy|Thành ủy)(?![\wÀ-ỹ])"
)
DEADLINE_SENTENCE = re.compile(
    r"^(?:yêu cầu\s+|đề nghị\s+)?(?:(?:các|những)\s+(?:đơn vị|cơ quan)\s+)?(?:(?:gửi|hoàn thiện|hoàn thành|"
    r"thực hiện|nộp|báo cáo)(?![\wÀ-ỹ])|thời hạn|hạn\s)",
    re.IGNORECASE,
)
LIST_INTRO = re.compile(r"(?:gồm|bao gồm|như sau|sau đây)\s*:\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“‘(]?[A-ZĐÀ-Ỹ])|(?<=\./\.)\s*|;\s*")
_COMMA = re.compile(r"[,;]\s+")
_ABBREV = re.compile(r"(?:^|[\s(])(?:[A-ZĐ]{1,3}|[A-Za-z])\.$")


@dataclass
class Clause:
    text: str
    start: int
    end: int
    in_list: bool = False  # an item of a list after "gồm:"
    continued: bool = False  # not the first clause of its item


def _segments(text: str, base: int) -> list[tuple[str, int, int, str]]:
    """(text, start, end, kind) of each sentence or ';' part; kind is '.' or ';'."""
    out: list[tuple[str, int, int, str]] = []
    pos = 0
    kind = "."
    for m in _SENTENCE_END.finditer(text):
        if m.start() == 0 or m.end() >= len(text):
            continue
        if m.group(0).startswith(";"):
            piece, end = text[pos : m.start()], m.start()
        else:
            if _ABBREV.search(text[max(0, m.start() - 5) : m.start()]):
                continue  # "TP. Hồ Chí Minh", "V.Tùng"
            piece, end = text[pos : m.start()], m.start()
        if piece.strip():
            out.append((piece.strip(), base + pos, base + end, kind))
        kind = ";" if m.group(0).startswith(";") else "."
        pos = m.end()
    if text[pos:].strip():
        out.append((text[pos:].strip(), base + pos, base + len(text.rstrip()), kind))
    return out


def is_deadline_sentence(text: str) -> bool:
    return DEADLINE_SENTENCE.match(text.strip()) is not None and len(text) <= 160


CONNECTIVE = re.compile(
    r"^(?:đồng thời|trong đó|ngoài ra|bên cạnh đó|cùng với đó|mặt khác|qua đó|theo đó)\s*,",
    re.IGNORECASE,
)
ADDRESSING = re.compile(
    r"(?<!đã )(?<!được )(?<!theo )(?<!ứng )(?<!đúng )(?<![\wÀ-ỹ])(?:yêu cầu|giao|đề nghị|kiến nghị|chỉ đạo)(?![\wÀ-ỹ])"
    r"(?!\s+(?:này|trên|đó|của|tại|thêm|nhiều))",
    re.IGNORECASE,
)


def _starts_new(
    seg: str, seg_dated: bool, kind: str, current: str, current_dated: bool, bulleted: bool
) -> bool:
    """Whether ``seg`` (a sentence, or a ';' part: ``kind``) opens a new clause after the clause
    ``current`` (its head; ``current_dated``: it holds a deadline)."""
    if is_deadline_sentence(seg):
        return False
    if (c := CONNECTIVE.match(seg)) is not None:
        # "Đồng thời, tiếp tục rà soát …", "Trong đó, cần …": more of the same request, unless a
        # new body acts or someone new is addressed
        rest = seg[c.end() :].lstrip()
        return ADDRESSING.search(seg) is not None or (
            BODY_HEAD.match(rest) is not None and ACTION.search(rest[:80]) is not None
        )
    if kind == "." and len(current) <= 60 and not current_dated:
        return False  # a title sentence: "Chấn chỉnh công tác văn thư lưu trữ."
    if bulleted:  # a bullet is one task unless someone new is addressed or acts
        if kind == "." and ADDRESSING.search(seg):
            return True
        return BODY_HEAD.match(seg) is not None and ACTION.search(seg[:80]) is not None
    if DIRECTIVE_START.match(seg) and (kind == "." or not seg[:1].islower()):
        return True
    if kind == "." and DIRECTIVE_IN.search(seg):
        return True
    if BODY_HEAD.match(seg) and ACTION.search(seg):
        return True
    if kind == ";" and re.match(r"(?i)về\s", seg):
        return True  # "…; Về công tác y tế: …"
    if kind == ";" and seg_dated:
        # "…; lãnh đạo triển khai … ngay sau khi kết thúc Đại hội" is a task of its own;
        # "…; dự kiến các chức danh … ngay sau đại hội" closes the one before
        verb = re.sub(r"(?i)^(?:lãnh đạo|chỉ đạo)\s+(?=\S)", "", seg)  # "lãnh đạo triển khai …"
        return ACTION_AT_START.match(verb) is not None or current_dated
    return False


def split_clauses(text: str, start: int, issued: date, *, bulleted: bool = False) -> list[Clause]:
    """The clauses of one item's ``text`` (which starts at offset ``start`` of the document);
    a ``bulleted`` item ("-", "1.", "a)") is cut only where someone new is addressed or acts."""
    intro = LIST_INTRO.search(text)
    head, tail = (text, "") if intro is None else (text[: intro.end()], text[intro.end() :])
    clauses: list[Clause] = []
    pieces: list[list[str]] = []  # joined once at the end: merging stays linear
    dated: list[bool] = []
    precise: list[int] = []  # how many deadlines naming a day each clause holds
    own_spans: list[list[Span] | None] = []  # a one-segment clause's spans, not scanned twice
    for seg, s, e, kind in _segments(head, start):
        spans = deadline_spans(seg, issued)
        seg_dated = bool(spans)
        n_precise = sum(sp.precise for sp in spans)
        if clauses and not _starts_new(seg, seg_dated, kind, clauses[-1].text, dated[-1], bulleted):
            clauses[-1].end = e
            pieces[-1][-1] += ";" if kind == ";" else ""
            pieces[-1].append(seg)
            dated[-1] = dated[-1] or seg_dated
            precise[-1] += n_precise
            own_spans[-1] = None
            if len(clauses[-1].text) <= 60:  # _starts_new looks at a short head only
                clauses[-1].text = " ".join(pieces[-1])
        else:
            clauses.append(Clause(seg, s, e, continued=bool(clauses)))
            pieces.append([seg])
            dated.append(seg_dated)
            precise.append(n_precise)
            own_spans.append(spans)
    for c, words in zip(clauses, pieces, strict=True):
        c.text = " ".join(words)
    if tail:
        base = start + intro.end()  # type: ignore[union-attr]
        for seg, s, e, _kind in _segments(tail, base):
            if clauses and clauses[-1].in_list and is_deadline_sentence(seg):
                last = clauses[-1]
                last.text, last.end = f"{last.text} {seg}", e
                continue
            clauses.append(Clause(seg, s, e, in_list=True, continued=True))
    out: list[Clause] = []
    for i, c in enumerate(clauses):
        if i < len(precise) and precise[i] < 2:
            out.append(c)  # nothing to cut between
        else:
            out.extend(
                _cut_between_deadlines(c, issued, own_spans[i] if i < len(own_spans) else None)
            )
    return out


def _cut_between_deadlines(
    c: Clause, issued: date, known: list[Span] | None = None
) -> list[Clause]:
    """'… báo cáo ngay khi có phát hiện sai phạm, báo cáo tổng hợp … trước ngày 10/1/2020' →
    two clauses, when both deadlines name a day (or an event) and an action follows the comma.
    One scan of the clause, whatever the number of cuts."""
    flat = " ".join(c.text.split())
    if len(flat.lower()) != len(flat):
        return [c]
    spans = [
        sp for sp in (known if known is not None else deadline_spans(flat, issued)) if sp.precise
    ]
    cuts: list[int] = []
    for a, b in pairwise(spans):
        for m in _COMMA.finditer(flat, a.end, b.start):
            right = flat[m.end() : m.end() + 200]
            if ACTION_AT_START.match(right) or (BODY_HEAD.match(right) and ACTION.search(right)):
                cuts.append(m.start())
                break
    if not cuts:
        return [c]
    out: list[Clause] = []
    prev = 0
    for cut in [*cuts, len(flat)]:
        piece = flat[prev:cut].strip(",; ")
        out.append(Clause(piece, c.start + prev, c.start + cut, c.in_list, c.continued or prev > 0))
        prev = cut
    return out
