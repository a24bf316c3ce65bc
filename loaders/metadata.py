"""Work out what a document is from its text alone: kind, area, dates, who and what."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from kg import resolve
from kg.models import Addressee
from loaders.dates import find_dates, find_range

_KINDS = [
    ("news", re.compile(r"\b(cypnow|children & young people now|communitycare|community care|"
                        r"the guardian|bbc news|local democracy reporter|read more)\b", re.I), 4000),
    ("jtai_letter", re.compile(r"joint targeted area inspection|\bJTAI\b(?! (?:action|improvement) plan)", re.I), 2500),
    ("monitoring_visit", re.compile(r"\bmonitoring visit\b", re.I), 1500),
    ("focused_visit", re.compile(r"\bfocused visit\b", re.I), 1500),
    ("action_plan", re.compile(r"\b(action plan|written statement of (?:proposed )?action|improvement plan)\b", re.I), 400),
    ("annual_report", re.compile(r"\bannual report\b|\byear(?:ly)? report\b", re.I), 1500),
    ("inspection_report", re.compile(
        r"inspection of (?:[\w\s,’'&-]+?\s)?(?:local\s+authority\s+)?children[’']s\s+(?:social\s+care\s+)?services|"
        r"inspection of (?:safeguarding and )?looked after children(?:[’']s)? services|"
        r"inspection of services for children in need of help and protection|"
        r"review of the effectiveness of the local safeguarding children board|"
        r"children[’']s services inspection", re.I), 1500),
]
_NEWS_SHAPE = re.compile(r"^[A-Z][a-z]+ [A-Z][a-z]+\n(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),", re.M)
_LETTER = re.compile(r"^\s*Dear\b", re.M)
_GRADE = re.compile(  # a grade ends its line, clause or heading ("… achieve good outcomes" is not one)
    r"\b(outstanding|good|requires?\s+improvement(?:\s+to\s+be\s+good)?|inadequate|not\s+judged)"
    r"[ \t]*(?:$|[.,;:’']|\s+(?-i:[A-Z0-9]))", re.I | re.M)
_JUDGEMENTS = {  # the judgement's name, then its grade (the older framework's overall one is a sentence)
    "overall": r"overall effectiveness|overall judgement is(?: that)?|children[’']s services in",
    "leaders": r"impact of leaders|leadership,? management and governance",
    "help_protection": r"children who need help and protection",
    "in_care": r"children in care(?! and care leavers)|children looked after|children in care and care leavers",
    "care_leavers": r"care leavers",
    "adoption": r"adoption performance",
    "lscb": r"^the local safeguarding children board",  # a line of its own, deep in the report
}
INSPECTORATES = {
    "ofsted": re.compile(r"\bOfsted\b"),
    "cqc": re.compile(r"\bCare Quality Commission\b|\bCQC\b"),
    "hmicfrs": re.compile(r"\bHMICFRS\b|\bHMIC\b|Inspectorate of Constabulary|HM Constabulary|HMI Constabulary"),
    "hmi-probation": re.compile(r"\bHMI ?Prob(?:ation)?\b|Inspectorate of Probation"),
}
_TITLE_WORDS = ("Her|His|HMI|Inspection|Inspector|Inspectors|Judgement|Ofsted|The|This|Deputy|Assistant|Senior|Chief|"
                "National|Quality|Lead|Team|Contracted|Seconded|Associate|Social|Regional|Shadow|AI")
_WORD = rf"(?!(?:{_TITLE_WORDS})\b)[A-Z][\w’'-]+"
_NAME = rf"{_WORD}[ \t]*\n?[ \t]*{_WORD}(?:[ \t]+{_WORD}){{0,2}}"  # 2–4 capitalised words, not titles (may wrap after the first)
_NAMES = rf"{_NAME}(?:,\s*{_NAME})*(?:,?\s+and\s+{_NAME})?"
_MAJESTY = r"(?:Her|His)\s+Majesty[’']s\s+Inspector"
_INSPECTOR = re.compile("|".join([
    rf"(?i:lead|reporting)\s+(?i:inspector)[:\s]+({_NAME})",  # "Lead inspector: Jo Bloggs"
    rf"(?i:team\s+inspectors?):\s*({_NAMES})",
    rf"{_MAJESTY}s?(?:\s+\(HMI\))?(?:\s+for\s+this\s+visit)?\s+(?:was|were)\s+({_NAMES})",
    rf"(?:\bwere|\bwas|\band|\bby|,)\s+({_NAMES}),?\s+(?:\w+\s+of\s+)?{_MAJESTY}",  # "… by Al Smale and Tara
    # Geere, two of Her Majesty’s Inspectors", "… were Jo Bloggs, Her Majesty’s Inspector, and …"
    rf"(?:^|\t)[ \t]*({_NAME}),?[ \t]*\n?[ \t]*(?:{_MAJESTY}|(?:Deputy\s+|Assistant\s+)?Chief\s+Inspector\b|"
    r"National\s+Director)",  # a signature
]), re.M)
_DEADLINE = re.compile(r"written statement.{0,300}?\bby\s+(\d{1,2}\s+\w+\s+\d{4})", re.I | re.S)
_DEEP_DIVE = re.compile(r"deep dive[^.]{0,300}\.", re.I | re.S)


@dataclass
class Described:
    kind: str
    title: str
    area: str | None
    published: str | None
    inspection_start: str | None = None
    inspection_end: str | None = None
    framework: str | None = None
    inspectorates: list[str] = field(default_factory=list)
    inspectors: list[str] = field(default_factory=list)
    grades: dict[str, str] = field(default_factory=dict)
    deadline: str | None = None
    deep_dive: str | None = None
    addressees: list[Addressee] = field(default_factory=list)


_LETTERHEAD = re.compile(r"(Piccadilly Gate|Agora|Clive House|Royal Exchange Buildings)[^\n]*(?:\n(?=[A-Za-z])[^\n]{0,40}){0,5}", re.I)


def describe(text: str) -> Described:
    """`text` is the cleaned text of a document."""
    text = _LETTERHEAD.sub(lambda m: " " * len(m.group(0)), text)
    head = text[:4000]
    kind = doc_kind(text)
    title = _title(text, kind)
    area = _area(text, title)
    dated = find_dates(head[:1500])
    published = _published(text, kind, dated)
    rng = _inspection_range(text, kind)
    d = Described(kind, title, area, published)
    if rng:
        d.inspection_start, d.inspection_end = rng
        d.published = _plausible(d.published, d.inspection_end)
    if kind in ("jtai_letter", "focused_visit", "inspection_report", "monitoring_visit"):
        d.inspectorates = [k for k, rx in INSPECTORATES.items() if rx.search(text[:6000])] or ["ofsted"]
        d.inspectors = _inspectors(text)
    if kind == "inspection_report":
        d.grades = grades(text)
    if kind in ("inspection_report", "monitoring_visit"):
        d.framework = framework(text)
    elif kind == "focused_visit":  # Ofsted's focused visits are part of ILACS, which brought them in (2018)
        d.framework = "ILACS"
    m = _DEADLINE.search(text)
    if m:
        found = find_dates(m.group(1))
        d.deadline = found[0][0] if found else None
    m = _DEEP_DIVE.search(text[:8000])
    if m:
        themes = resolve.tag_themes(m.group(0))
        d.deep_dive = themes[0] if themes else None
    if kind == "jtai_letter":
        d.addressees = addressees(text, area)
    return d


def doc_kind(text: str) -> str:
    head = text[:4000]
    if _NEWS_SHAPE.search(head[:600]) and not _LETTER.search(head):
        return "news"
    scores: dict[str, int] = {}
    for kind, rx, window in _KINDS:
        hit = rx.search(head[:window])
        if hit:
            scores[kind] = hit.start()
    if not scores:
        return "other"
    if "news" in scores and not _LETTER.search(head):
        return "news"
    scores.pop("news", None)
    if "annual_report" in scores and scores["annual_report"] < 400:
        return "annual_report"
    if "action_plan" in scores and scores["action_plan"] < 300:
        return "action_plan"
    scores.pop("action_plan", None)
    scores.pop("annual_report", None) if len(scores) > 1 else None
    return min(scores, key=scores.get) if scores else "other"


def _title(text: str, kind: str) -> str:
    for rx in (rx for k, rx, _ in _KINDS if k == kind):
        m = rx.search(text[:3000])
        if m and m.group(0).lower().startswith("inspection of"):
            return " ".join(m.group(0).split())[:200]
    for line in text[:3000].split("\n"):
        s = line.strip()
        if len(s) > 20 and re.search(r"inspection|visit|report|plan|annual", s, re.I) and not s.startswith("Dear"):
            return s[:200]
    first = next((ln.strip() for ln in text.split("\n") if len(ln.strip()) > 3), "")
    return first[:200]


def _area(text: str, title: str) -> str | None:
    found = resolve.find_areas(title) or resolve.find_areas(text[:300])
    if found:
        return found[0][0]
    counts = Counter(a for a, _, _ in resolve.find_areas(text[:6000]))
    if not counts:
        counts = Counter(a for a, _, _ in resolve.find_areas(text[:60000]))
    return counts.most_common(1)[0][0] if counts else None


def _published(text: str, kind: str, dated: list[tuple[str, int, int]]) -> str | None:
    m = re.search(r"(?:agreed date|date of publication|published(?: on)?|publication date)\s*:?\s*([\s\S]{0,40})", text[:5000], re.I)
    if m:
        found = find_dates(re.sub(r"(\d)\s+(st|nd|rd|th)\b", r"\1\2", m.group(1)))
        if found:
            return found[0][0]
    for line in text[:1500].split("\n"):
        found = find_dates(line)
        if found and len(line.strip()) <= len(line[found[0][1]:found[0][2]]) + 12:
            return found[0][0]
    if kind == "news" and dated:
        return dated[0][0]
    return None


def _plausible(published: str | None, inspected: str) -> str | None:
    """A letter cannot predate its visit: "21 January 2019" for a December 2019 visit is a typo for 2020."""
    if not published or published >= inspected:
        return published
    next_year = f"{int(published[:4]) + 1}{published[4:]}"
    return next_year if inspected <= next_year <= f"{int(inspected[:4]) + 1}{inspected[4:]}" else None


_WHEN = re.compile(r"(inspection dates?|visit(?:ed)?|between|carried out|undertook|took place|fieldwork|"
                   r"inspected|evaluated|on\s+\d{1,2}\s)", re.I)


def _inspection_range(text: str, kind: str) -> tuple[str, str] | None:
    for m in list(_WHEN.finditer(text[:6000]))[:12]:
        zone = text[m.start():m.start() + 400]
        rng = find_range(zone)
        if rng:
            return rng
        found = find_dates(zone[:160])
        if found:
            return found[0][0], found[0][0]
    return None


def framework(text: str) -> str | None:
    """ILACS (2018 on) or the single inspection framework (2013–2017), from the judgements it uses."""
    head = text[:8000]
    if re.search(r"impact of leaders on social work\s+practice|inspection of [\w\s,’'-]*local\s+authority\s+children", head, re.I):
        return "ILACS"
    if re.search(r"leadership,? management and governance|single inspection|children looked after and care leavers", head, re.I):
        return "SIF"
    return None


_JOINT = re.compile(r"in\s+care\s+and\s+$", re.I)  # "children in care and care leavers" is one judgement
_PAST = re.compile(r"[.]|\b(?:was|were)\b")


def grades(text: str) -> dict[str, str]:
    """The judgements a report grades, by key (`_JUDGEMENTS`). ILACS's joint judgement on
    "children in care and care leavers" is `in_care` only."""
    out: dict[str, str] = {}
    for key, rx in _JUDGEMENTS.items():
        zone = text if key == "lscb" else text[:8000]  # the table of judgements is at the top
        for m in re.finditer(rx.replace(" ", r"\s+"), zone, re.I | re.M):  # a name can wrap across lines
            if key == "care_leavers" and _JOINT.search(zone, max(0, m.start() - 20), m.start()):
                continue
            g = _GRADE.search(zone, m.end(), m.end() + 140)
            gap = zone[m.end():g.start()] if g else ""
            # close to the name (at most the rest of a long name between), within one sentence,
            # and not a past judgement ("… the judgement was ‘requires improvement’")
            if g and len(re.findall(r"\w+", gap)) <= 8 and not _PAST.search(gap):
                grade = " ".join(g.group(1).lower().split())
                out[key] = re.sub(r"^requires? improvement.*", "requires improvement", grade)
                break
    return out


def _inspectors(text: str) -> list[str]:
    """The inspectors a report or letter names (lead inspector, "inspectors were …", signatures)."""
    names: list[str] = []
    for m in _INSPECTOR.finditer(text):
        found = next(g for g in m.groups() if g)
        for name in re.split(r",\s*|\s+and\s+", found):
            name = re.sub(r"-\s+", "-", " ".join(re.sub(r"^and\s+", "", name).split()))
            if len(name.split()) >= 2 and name not in names:
                names.append(name)
    return names


def addressees(text: str, area: str | None) -> list[Addressee]:
    m = _LETTER.search(text[:6000])
    if not m:
        return []
    block = text[:m.start()].split("\n")
    out = []
    for line in block:
        s = line.strip()
        if "," not in s or find_dates(s) or len(s) > 160:
            continue
        name, _, rest = s.partition(",")
        parts = [p.strip() for p in rest.split(",") if p.strip()]
        role = parts[0] if parts else ""
        org = parts[-1] if len(parts) > 1 else rest.strip()
        mentions = resolve.tag_agencies(s, area)
        out.append(Addressee(name.strip(), role, org, mentions[0].agency_id if mentions else None))
    return out
