"""Dates and date ranges as inspection documents write them."""
from __future__ import annotations

import re
from datetime import date

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
_M = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_MN = _M.replace("(", "(?:", 1)
_D = r"(\d{1,2})\s?(?:st|nd|rd|th)?"
_Y = r"((?:19|20)\d\d)"
DMY = re.compile(rf"\b{_D}\s+{_M},?\s+{_Y}\b", re.I)
MDY = re.compile(rf"\b{_M}\s+{_D},?\s+{_Y}\b", re.I)
MY = re.compile(rf"\b{_M}\s+{_Y}\b", re.I)
_SEP = r"(?:\s*,?\s*(?:-|–|—|to|and|until)\s*|\s*,\s*)"
RANGE = re.compile(
    rf"\b{_D}(?:\s+(?:of\s+)?{_M})?(?:\s+{_Y})?(?:{_SEP}\d{{1,2}}(?:st|nd|rd|th)?(?:\s+{_MN})?)*?{_SEP}"
    rf"{_D}\s+(?:of\s+)?{_M},?\s+{_Y}\b", re.I)
NUMERIC = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)\b")


def _iso(d: str, m: str, y: str) -> str | None:
    try:
        return date(int(y), MONTHS[m.lower().rstrip(".")], int(d)).isoformat()
    except (ValueError, KeyError):
        return None


def find_dates(text: str) -> list[tuple[str, int, int]]:
    """Every full date in text as (ISO date, start, end), in order."""
    out = []
    for m in DMY.finditer(text):
        iso = _iso(m.group(1), m.group(2), m.group(3))
        if iso:
            out.append((iso, m.start(), m.end()))
    for m in MDY.finditer(text):
        iso = _iso(m.group(2), m.group(1), m.group(3))
        if iso:
            out.append((iso, m.start(), m.end()))
    for m in NUMERIC.finditer(text):
        try:
            out.append((date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat(), m.start(), m.end()))
        except ValueError:
            pass
    return sorted(out, key=lambda t: t[1])


def find_range(text: str) -> tuple[str, str] | None:
    """The first date range ("4 and 8 December 2017", "7 to 18 November 2022")."""
    m = RANGE.search(text)
    if not m:
        return None
    d1, m1, y1, d2, m2, y2 = m.groups()
    if not m1:
        first = re.search(_M, m.group(0), re.I)
        m1 = first.group(1) if first else m2
    end = _iso(d2, m2, y2)
    start = _iso(d1, m1 or m2, y1 or y2)
    if start and end and start > end and not y1:
        start = _iso(d1, m1 or m2, str(int(y2) - 1))
    if start and end and start <= end:
        return start, end
    return None


def month_year(text: str) -> str | None:
    """"December 2017" -> "2017-12"."""
    m = MY.search(text)
    if not m:
        return None
    return f"{m.group(2)}-{MONTHS[m.group(1).lower().rstrip('.')]:02d}"
