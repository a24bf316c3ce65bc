"""Split clean text into headings, paragraphs, numbered paragraphs, bullet items and sentences.

Offsets are in the clean text; `Cleaned.to_original` maps them back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_NUMBER_ONLY = re.compile(r"^\(?(\d{1,3}(?:\.\d{1,3})*\.?|[a-z]\)|\d{1,3}\))\s*$")
_NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*\.?(?:\s?[a-z][.)])?|[a-z][.)]|\([a-z]\))\s+(?=[A-Z(‘'“\"])")
_ABBREV = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|Mr|Mrs|Ms|Dr|St|No|Nos|para|paras|approx|cf|vs|Cllr|Prof|Rev|Ltd|Co)\.|\b[A-Z]\.)$"
)
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[A-Z0-9“‘\"'(•£])")
_KNOWN_HEADINGS = re.compile(
    r"^(key strengths|strengths|areas? for (?:improvement|priority action|development)|"
    r"what needs to improve.*|what (?:does|do) .* need to improve.*|next steps|case stud(?:y|ies).*|"
    r"overview|findings|summary.*|recommendations?|introduction|background|conclusions?|"
    r"the (?:experiences|impact) .*|overall effectiveness.*|areas for priority action|"
    r"what is working well|what are we worried about|what needs to happen|glossary|contents)\s*[:?]?\s*$",
    re.I,
)


@dataclass
class Unit:
    kind: str  # heading | paragraph | bullet
    start: int
    end: int
    section: str = ""
    number: str | None = None
    sentences: list[tuple[int, int]] = field(default_factory=list)


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans within text[start:end]."""
    end = len(text) if end is None else end
    out, cur = [], start
    for m in _BOUNDARY.finditer(text, start, end):
        before = text[cur:m.start()]
        if _ABBREV.search(before.rstrip("\"'”’)]")):
            continue
        if len(before.strip()) < 3:
            continue
        out.append(_trim(text, cur, m.start()))
        cur = m.end()
    if text[cur:end].strip():
        out.append(_trim(text, cur, end))
    return [s for s in out if s[1] > s[0]]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def is_heading(block: str) -> bool:
    s = block.strip()
    if not s or len(s) > 160 or len(sentences(s)) > 1:  # a paragraph, whatever its first words
        return False
    if _KNOWN_HEADINGS.match(s) and (":" in s or not s.endswith((".", ",", ";"))):  # "…: good." is a heading
        return True
    if len(s) > 120 or s[0].islower() or s.startswith("•"):
        return False
    words = s.split()
    if len(words) > 14 or s.endswith((".", ",", ";")):
        return False
    if s.endswith("?") or s.endswith(":"):
        return True
    return len(words) <= 10 and not re.search(r"\b(is|are|was|were|has|have)\b", s)


def segment(text: str) -> list[Unit]:
    units: list[Unit] = []
    section = ""
    pending_number: str | None = None
    pos = 0
    for block in re.split(r"(\n+)", text):
        start, pos = pos, pos + len(block)
        if not block.strip() or block.startswith("\n"):
            continue
        a, b = _trim(text, start, start + len(block))
        body = text[a:b]
        m = _NUMBER_ONLY.match(body)
        if m:
            pending_number = m.group(1).rstrip(".")
            continue
        if body.startswith("•"):
            unit = Unit("bullet", a, b, section)
            unit.sentences = sentences(text, a + 1, b)
        else:
            numbered = _NUMBERED.match(body)
            if numbered and not is_heading(body[numbered.end():]):
                pending_number = numbered.group(1).rstrip(".")
                a += numbered.end()
            elif is_heading(body) and pending_number is None:
                section = body.rstrip(":").strip()
                units.append(Unit("heading", a, b, section))
                continue
            unit = Unit("paragraph", a, b, section, number=pending_number)
            unit.sentences = sentences(text, a, b)
        pending_number = None
        units.append(unit)
    return units
