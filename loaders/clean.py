"""Repair extraction damage while keeping a map back to the original text.

`clean(text)` returns the repaired text and, for every character of it, the
offset of the original character it came from, so any span of the clean text
can be shown (and quoted exactly) in the original. Repairs: running headers,
footers, page numbers and a contact block at the foot of a page (a letterhead's
address, telephone, e-mail and web lines) are dropped; lines wrapped inside a
paragraph are joined; sentences cut by page breaks or footnotes are rejoined; a
word broken at a line-end hyphen is joined without the hyphen where the joined
word occurs elsewhere in the document, else with it ("care-\nexperienced" is
"care-experienced"); footnote markers are removed; bullets (`-`, `•`, `■`, `◼`,
U+F06E, U+F02D…) become "• ".
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

BULLETS = "-•■◼▪●◦○►➢✓\uf06e\uf02d\uf0b7\uf0a7\uf0d8\uf076\u2013\u2014*·"
SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹⁰"
_BULLET = re.compile(rf"^[ \t]*(?:[{re.escape(BULLETS)}]|o(?=\s))[ \t]+(?=\S)")
_LONE_BULLET = re.compile(rf"^[ \t]*[{re.escape(BULLETS)}][ \t]*$")  # its item on a later line (PDF-to-text)
_PAGE_NO = re.compile(r"^\s*(?:page\s+)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?\s*$", re.I)
_FOOTNOTE = re.compile(rf"^\s*[{SUPERSCRIPTS}]+\s*\S")
_END = re.compile(r"[.!?:;)\"'”’]\s*$")
_WORD_END = re.compile(r"([A-Za-z]+)-$")
_WORD_START = re.compile(r"^([a-z]+)")
# A numbered paragraph ("117. Governance …") starts a block even after a line with no full stop:
# that line is a heading ("Inspection findings – the Local Safeguarding Children Board", "… care
# leavers: good"), unless it breaks off mid-phrase ("… from 63% in 2015–16 to 68% in 2016–").
_PARAGRAPH_NUMBER = re.compile(r"^\d{1,3}\.(?:\s+[A-Z‘“]|$)")  # or "117." on a line of its own
# The section headings of inspection reports start a block after a finished sentence even when the
# line is as long as the text's (the previous block may be a list item: "… (Enabler two)").
_REPORT_HEADING = re.compile(r"^(?:The (?:experiences and progress|impact of leaders) of|What needs to improve|"
                             r"Overall effectiveness|Inspection findings|Recommendations\s*$|Areas for (?:improvement|priority action))")
_BREAKS_OFF = re.compile(r"(?:[-–—,]|\b(?:of|to|and|or|from|in|by|the|a|an|at|than|for|with|on|as|is|are|was|were))$")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
# A line of a contact block: an e-mail or web address, a telephone number, a UK postcode.
_CONTACT = re.compile(r"[\w.+-]@[\w-]+\.\w|\bwww\.|https?://|^\s*(?:T|Tel|Telephone|Textphone|Fax|Phone|Minicom)\b\.?:?\s*[+(\d]"
                      r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\s*$")
_TITLE_LINE = re.compile(r"^\s*(?:[A-Z0-9][\w’'&,.-]*\s*){1,4}$")  # "Piccadilly Gate", "Ofsted", "Manchester"


@dataclass(frozen=True)
class Cleaned:
    text: str
    offsets: tuple[int, ...]  # offsets[i] = original offset of text[i]; one extra entry = end

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) covering clean [start, end)."""
        if end <= start:
            o = self.offsets[start]
            return o, o
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass
class _Line:
    start: int
    end: int
    text: str
    page: int


def _lines(text: str) -> list[_Line]:
    out, page, pos = [], 0, 0
    for raw in text.split("\n"):
        end = pos + len(raw)
        segs = raw.split("\f")
        seg_start = pos
        for i, seg in enumerate(segs):
            if i:
                page += 1
            out.append(_Line(seg_start, seg_start + len(seg), seg, page))
            seg_start += len(seg) + 1
        pos = end + 1
    return out


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", _SPACES.sub(" ", text.strip().lower()))


def _by_page(lines: list[_Line]) -> dict[int, list[int]]:
    """The indexes of each page's lines that are not blank."""
    by_page: dict[int, list[int]] = {}
    for i, ln in enumerate(lines):
        if ln.text.strip():
            by_page.setdefault(ln.page, []).append(i)
    return by_page


def running_lines(lines: list[_Line], by_page: dict[int, list[int]]) -> set[int]:
    """Indexes of page headers/footers: lines near page edges that repeat across pages."""
    pages = max((ln.page for ln in lines), default=0) + 1
    if pages < 3:
        return set()
    edges = {p: idx[:4] + idx[-4:] for p, idx in by_page.items()}
    counts = Counter(_shape(lines[i].text) for idx in edges.values() for i in set(idx))
    threshold = max(2, pages // 4)
    drop = set()
    for page, idx in edges.items():
        for i in idx:
            if page == 0 and not _PAGE_NO.match(lines[i].text):
                continue  # on the first page a repeated line is the title, not a running header
            shape = _shape(lines[i].text)
            if _PAGE_NO.match(lines[i].text) or (counts[shape] >= threshold and len(shape) < 120):
                drop.add(i)
    return drop


def contact_blocks(lines: list[_Line], by_page: dict[int, list[int]], tail: int = 12) -> set[int]:
    """Indexes of the contact block ending a page that another page follows: letters print the
    sender's address, telephone, e-mail and web address at the foot of the first page, where
    text that runs on to the next page is cut by it. The block is the short lines from the first
    of at least two contact lines (e-mail, web, telephone, postcode) among the page's last
    `tail` lines to the page's end, and up to four short title-case lines just above it (the
    organisation, street and town); a line of running text above it ends the block."""
    last_page = max(by_page, default=0)
    drop: set[int] = set()
    for page, idx in by_page.items():
        if page == last_page:
            continue
        end = idx[-tail:]
        hits = [i for i in end if len(lines[i].text.strip()) <= 60 and _CONTACT.search(lines[i].text)]
        if len(hits) < 2:
            continue
        block = [i for i in end if i >= hits[0]]
        if any(len(lines[i].text.strip()) > 60 for i in block):
            continue
        above = [i for i in idx if i < hits[0]]
        for _ in range(4):
            if not above or not _TITLE_LINE.match(lines[above[-1]].text):
                break
            block.insert(0, above.pop())
        drop.update(block)
    return drop


def clean(text: str) -> Cleaned:
    lines = _lines(text)
    by_page = _by_page(lines)
    drop = running_lines(lines, by_page) | contact_blocks(lines, by_page)
    vocab = set(re.findall(r"[a-z]{4,}", text.lower()))
    lengths = sorted(len(ln.text.strip()) for ln in lines if ln.text.strip())
    full = lengths[int(len(lengths) * 0.9)] if lengths else 80
    prev_len = 0
    last_number: int | None = None  # the last paragraph number that started a paragraph
    out: list[str] = []
    offs: list[int] = []

    def emit(s: str, at: int | list[int]) -> None:
        out.append(s)
        offs.extend(at if isinstance(at, list) else [at] * len(s))

    paragraph_open = False
    pending_break: int | None = None  # original offset of the break to emit
    lone_bullet: int | None = None  # original offset of a bullet whose item is still to come
    for i, ln in enumerate(lines):
        body = ln.text
        if i in drop or _FOOTNOTE.match(body):
            continue
        lstrip = len(body) - len(body.lstrip())
        lone = _LONE_BULLET.match(body)
        if not body.strip() or lone:
            if paragraph_open:
                pending_break = ln.start
                paragraph_open = False
            if lone:
                lone_bullet = ln.start + lstrip
            continue
        matched = _BULLET.match(body)
        bullet = matched is not None or lone_bullet is not None
        content_start = matched.end() if matched else lstrip
        chars, at = _scrub(body[content_start:].rstrip(), ln.start + content_start)
        if not chars:
            continue
        opening = _PARAGRAPH_NUMBER.match(chars)
        number = int(opening.group(0).split(".")[0]) if opening else None
        if out and (paragraph_open or pending_break is not None):
            tail = "".join(out[-3:])
            joinable = not bullet and not _END.search(tail) and chars[:1].islower()
            if paragraph_open and not bullet:
                m, n = _WORD_END.search(tail), _WORD_START.match(chars)
                if m and n:  # a word broken at a line-end hyphen: joined, without the hyphen if
                    if (m.group(1) + n.group(1)).lower() in vocab:  # the document spells it so
                        out[-1] = out[-1][:-1]
                        offs.pop()
                    emit(chars, at)
                    paragraph_open = True
                    pending_break = None
                    prev_len = len(body.strip())
                    continue
                starts_upper = chars[:1].isupper() or chars[:1].isdigit()
                short = prev_len < 0.7 * full and starts_upper
                heading = (starts_upper and bool(_END.search(tail)) and len(chars) < 0.7 * full
                           and not chars.endswith((".", ",", ";")))
                # "40. … when they turn / 21. A significant number …": a number opening a line after an
                # unfinished sentence is the sentence's when paragraph numbers have passed it (a list
                # may start again at 1, and a paragraph's own number may have been lost)
                numbered = number is not None and not _BREAKS_OFF.search(tail) and (
                    bool(_END.search(tail)) or last_number is None or number == 1 or number > last_number)
                report_heading = bool(_REPORT_HEADING.match(chars)) and bool(_END.search(tail))
                emit("\n" if short or heading or numbered or report_heading else " ", ln.start - 1)
            elif joinable:
                emit(" ", pending_break if pending_break is not None else ln.start - 1)
            else:
                emit("\n\n", pending_break if pending_break is not None else ln.start - 1)
        if bullet:
            emit("• ", lone_bullet if lone_bullet is not None and not matched else ln.start + lstrip)
        lone_bullet = None
        if number is not None and (not out or out[-1] != " "):  # it opened a paragraph
            last_number = number
        emit(chars, at)
        paragraph_open = True
        pending_break = None
        prev_len = len(body.strip())
    offs.append(offs[-1] + 1 if offs else 0)
    return Cleaned("".join(out), tuple(offs))


def _scrub(s: str, base: int) -> tuple[str, list[int]]:
    """Drop footnote markers, fold runs of spaces; keep each char's original offset."""
    chars: list[str] = []
    at: list[int] = []
    last_space = False
    for j, ch in enumerate(s):
        if ch in SUPERSCRIPTS:
            continue
        if ch in " \t\u00a0\u2009\u202f":
            if last_space or not chars:
                continue
            ch, last_space = " ", True
        else:
            last_space = False
        chars.append(ch)
        at.append(base + j)
    while chars and chars[-1] == " ":
        chars.pop()
        at.pop()
    return "".join(chars), at
