"""From a read document to typed records: the document, its findings,
recommendations, actions, evidence, statistics and references."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from kg import resolve
from kg.ids import normalise, stable_id
from kg.models import Document, Inspection, Reference, Span, Statement, Statistic
from loaders.clean import Cleaned, clean
from loaders.cues import is_consequence, is_method, judge
from loaders.dates import find_dates, month_year
from loaders.metadata import Described, describe
from loaders.read import RawText
from loaders.segment import Unit, segment

INSPECTION_KINDS = ("jtai_letter", "focused_visit", "inspection_report", "monitoring_visit")
_REC_SECTION = re.compile(
    r"what needs to improve|need to improve|areas for priority action|next steps|recommendations?|"
    r"what needs to happen|areas? for (?:further )?development|priority actions?", re.I)
_STRENGTH_SECTION = re.compile(r"\bstrengths?\b|what(?:'s| is) working well|good practice", re.I)
_WEAKNESS_SECTION = re.compile(r"areas? for improvement|weakness|what are we worried|concerns?", re.I)
_SKIP_SECTION = re.compile(
    r"^(contents|glossary|appendix|yours sincerely|information about|list of|budget|quality assurance manager)", re.I)
# Ofsted's back page ("… (Ofsted) regulates and inspects to achieve excellence …", then how to reuse the
# document and subscribe) follows the last section with no heading of its own
_COLOPHON = re.compile(r"The Office for Standards in Education,? Children[’']?s Services and Skills \(Ofsted\) "
                       r"regulates and inspects")
# "What the inspection judgements mean" defines each grade ("A good local authority leads effective
# services …"), under sub-headings for the local authority and the board: no word of it is about the area
_GRADES_DEFINED = re.compile(r"\bjudge?ments mean\b", re.I)
_GRADES_DEFINED_PART = re.compile(r"(?:the\s+)?(?:local authority|lscb|local safeguarding children board|board)\s*$", re.I)
# "More needs to be done", "aware of the need to …" observe a shortfall (a weakness); they ask nothing
_SHOULD = re.compile(r"\b(should|must|(?<!the )needs? to(?! be done)|ought to|is required to|are required to)\b(?! not have)", re.I)
# A modal inside a comparison does not ask for anything: "progressing as they should" meets the
# expectation; "not as timely as they should be", "longer than they should" fall short of it (a weakness)
_AS_MODAL = r"\b(?:as|than)\s+(?:it|they|this|these|he|she|we)\s+(?:should|must|needs? to|ought to)\b"
_COMPARED = re.compile(_AS_MODAL, re.I)
# Nor does what someone needs, inside a clause ("the help they need to re-enter education", "leaders
# know that they need to …"); a sentence or clause that opens "They need to …" asks
_NEEDED = re.compile(r"(?<=[^\W\d_]) (?:they|we|he|she|you) need to\b", re.I)


def _asks(sentence: str) -> bool:
    """A modal that asks for something ("should", "needs to"), not one inside a comparison or
    one that says what someone needs."""
    return bool(_SHOULD.search(_NEEDED.sub("", _COMPARED.sub("", sentence))))


_SHORTFALL = re.compile(r"\b(?:not|n[’']t|less|lower|higher|longer|later|slower|fewer)\b[^.;]{0,80}?" + _AS_MODAL, re.I)
# A sentence that opens with a directive verb asks for something ("Ensure that …", "28. Improve the
# quality of …"): the older framework lists its recommendations under "Areas for improvement" this way.
# Words that also open descriptions ("Review of planning is …", "Secure placements …") count only before
# the object of a directive.
_DIRECTIVE = re.compile(
    r"(?:Ensure|Improve|Develop|Introduce|Strengthen|Establish|Implement|Embed|Provide|Undertake|Evaluate|"
    r"Consider|Prioritise|Continue\s+to|Further\s+(?:develop|improve|strengthen|embed)|"
    r"(?:Review|Monitor|Increase|Reduce|Secure|Address)(?=\s+(?:the|that|all|its|their|how|whether)\b))\b(?!\s+of\b)")
_ACTION = re.compile(
    r"\b(?:ha(?:s|ve)|had|were|was|is|are)\s+(?:now\s+|also\s+|recently\s+|successfully\s+|been\s+)*(?:been\s+)?"
    r"(established|introduced|developed|implemented|launched|appointed|recruited|secured|created|delivered|set up|"
    r"put in place|commissioned|agreed|reviewed|revised|held|trained|completed|strengthened|embedded|produced|"
    r"rolled out|updated|redesigned|restructured|undertaken|carried out|initiated|began|started|expanded|invested)\b|"
    r"\bwe (?:have )?(?:established|introduced|developed|implemented|launched|appointed|recruited|secured|created|"
    r"delivered|set up|put in place|commissioned|agreed|reviewed|revised|held|trained|completed|strengthened|"
    r"produced|rolled out|updated|undertook|carried out)\b", re.I)
_DONE = re.compile(
    r"^(?:we\s+)?(introduced|developed|established|implemented|launched|appointed|recruited|created|delivered|set up|"
    r"held|trained|completed|reviewed|revised|produced|rolled out|running|commissioned|enhanced|secured|agreed|"
    r"updated|strengthened|embedded|ran|hosted|published|circulated|refreshed|co-located|re-?launched)\b", re.I)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?%")
_COMPARE = re.compile(
    r"\b(increase|decrease|rise|fall|reduction|improvement|drop|up|down)\w*\s+(?:\w+\s+){0,2}?from\s+"
    r"(?:(?:19|20)\d\d(?:/\d{2,4})?\s+)?(?:at\s+|of\s+)?(\d+(?:\.\d+)?)\s?%", re.I)
_REF = re.compile(
    r"\b(?:since|following|after|at|in|during|from|of)\s+(?:the|its|our)\s+(?:(last|previous|most recent|earlier|recent)\s+)?"
    r"((?:ILACS |SIF |single |Ofsted )?inspection|focused visit|monitoring visit|joint targeted area inspection|JTAI|"
    r"inspection of (?:local authority )?children[’']s services)"
    r"(?:\s+(?:on|of|into)\s+[\w ,-]{0,60}?)?(?:\s+(?:in|of|on|dated)\s+((?:\d{1,2}\s+)?(?:[A-Z][a-z]+\s+)?(?:19|20)\d\d))?",
    re.I)


def _ref_kind(word: str) -> str:
    w = word.lower()
    if "joint" in w or "jtai" in w:
        return "jtai_letter"
    if "focused" in w:
        return "focused_visit"
    if "monitoring" in w:
        return "monitoring_visit"
    return "inspection_report"


def load(raw: RawText) -> tuple[Document, list[Statement]]:
    """Extract one document. Pure function of the file's content."""
    cleaned = clean(raw.text)
    meta = describe(cleaned.text)
    doc_id = "doc-" + raw.sha256[:16]
    date = meta.published or meta.inspection_end
    inspection = None
    if meta.kind in INSPECTION_KINDS:
        inspection = Inspection(
            id=stable_id("insp", raw.sha256), kind=meta.kind, area=meta.area, start=meta.inspection_start,
            end=meta.inspection_end, framework=meta.framework, deep_dive=meta.deep_dive,
            inspectorates=meta.inspectorates, inspectors=meta.inspectors, grades=meta.grades, deadline=meta.deadline)
    doc = Document(
        id=doc_id, file=raw.file, sha256=raw.sha256, kind=meta.kind, title=meta.title, area=meta.area,
        published=meta.published, pages=raw.pages, inspection=inspection, addressees=meta.addressees)
    units = segment(cleaned.text)
    glossary = resolve.learn_glossary(cleaned.text)
    statements = _statements(raw, cleaned, units, meta, doc_id, date, glossary)
    doc.references = _references(raw, cleaned, meta, doc_id, date, statements)
    return doc, statements


def _span(raw: RawText, cleaned: Cleaned, a: int, b: int) -> Span:
    start, end = cleaned.to_original(a, b)
    return Span(start, end, raw.text[start:end], raw.page_of(start),
                raw.text[max(0, start - 32):start], raw.text[end:end + 32])


def _body_units(units: list[Unit], meta: Described, text: str) -> list[Unit]:
    """Drop the letter's address block and everything after the signature or the back page."""
    start = 0
    for i, u in enumerate(units):
        if u.kind == "heading" and u.section.lower().startswith("dear"):
            start = i + 1
            break
    out = []
    for u in units[start:]:
        if u.kind == "heading" and re.match(r"yours (sincerely|faithfully)", u.section, re.I) \
                or _COLOPHON.match(text, u.start):
            break
        out.append(u)
    return out


def _statements(raw, cleaned, units, meta: Described, doc_id, date, glossary) -> list[Statement]:
    text = cleaned.text
    inspection_doc = meta.kind in INSPECTION_KINDS
    seen: Counter[str] = Counter()
    out: list[Statement] = []

    @lru_cache(maxsize=64)
    def context_themes(a: int, b: int, section: str = "") -> list[str]:
        return resolve.tag_themes(section or text[a:b])

    title = normalise(meta.title or "")
    title = title if len(title.split()) >= 4 else None  # the cover's title, where a body repeats it
    grades_defined = False  # inside "What the inspection judgements mean"
    for unit in _body_units(units, meta, text):
        if unit.kind == "heading":
            grades_defined = bool(_GRADES_DEFINED.search(unit.section)) or (
                grades_defined and bool(_GRADES_DEFINED_PART.match(unit.section)))
        if unit.kind == "heading" or grades_defined or _SKIP_SECTION.match(unit.section or ""):
            continue
        section = unit.section
        rec_section = bool(_REC_SECTION.search(section))
        for i, (a, b) in enumerate(unit.sentences):
            sentence = text[a:b].lstrip("• ").strip()
            if len(sentence.split()) < 4 or _is_table_junk(sentence) or (title and normalise(sentence).startswith(title)) \
                    or _is_heading_line(sentence, unit):
                continue
            # A list item's first sentence is what needs to improve. The sentences after it carry
            # the item on if they ask for something ("This should include …"); otherwise they explain
            # it ("Case recording is too variable. However, key documents are not being uploaded
            # quickly enough.") and are judged as any other sentence.
            listed = rec_section and (i == 0 or unit.kind != "bullet" or _asks(sentence))
            kind, polarity, stat = _classify(sentence, section, listed, unit, inspection_doc)
            if kind is None:
                continue
            key = normalise(sentence)
            seen[key] += 1
            sid = stable_id("st", raw.sha256, kind, key, str(seen[key]))
            span = _span(raw, cleaned, a, b)
            concerned, mentioned = _agencies(sentence, meta, date, glossary)
            themes = resolve.tag_themes(sentence) or context_themes(unit.start, unit.end) \
                or context_themes(-1, -1, section) or ([meta.deep_dive] if meta.deep_dive else [])
            due = None
            if kind == "recommendation":
                found = find_dates(sentence)
                due = found[-1][0] if found else (meta.deadline if "written statement" in sentence.lower() else None)
            out.append(Statement(
                id=sid, doc=doc_id, kind=kind, polarity=polarity, section=section, text=sentence, span=span,
                area=meta.area, date=date, agencies=concerned, mentioned=mentioned, themes=themes, due=due,
                statistic=stat))
    return out


_PAGE_REF = re.compile(r"[A-Za-z’')]\s+\d{1,3}(?=\s+[A-Z]|\s*$)")  # "… Children Board 35 Information …"


_RELATIVE = re.compile(r"\b(?:who|that|which)\s+\w+", re.I)  # "children who need help": no main verb


def _is_heading_line(sentence: str, unit: Unit) -> bool:
    """A heading the segmenter took for text, in a dozen words at most: a question ("What does the
    LSCB need to improve?"), or, outside a list, words with no full stop and no finite verb ("The
    experiences and progress of children who need help and protection")."""
    s = sentence.rstrip()
    return len(s.split()) <= 12 and (s.endswith("?") or (
        unit.kind != "bullet" and not s.endswith((".", "!", ")", ":", ";", "”", '"'))
        and not _SUBJECT_END.search(_RELATIVE.sub("", s))))


def _is_table_junk(sentence: str) -> bool:
    """Table cells and contents lines: mostly not letters, no word, or two headings with their page
    numbers and no full stop (a report's contents page, as PDFs of the older framework give it)."""
    letters = sum(ch.isalpha() for ch in sentence)
    return letters < 0.5 * len(sentence) or not re.search(r"\b[a-z]{3,}\b", sentence) or (
        len(_PAGE_REF.findall(sentence)) >= 2 and not sentence.rstrip().endswith((".", "!", "?", ")")))


def _classify(sentence: str, section: str, rec_section: bool, unit: Unit, inspection_doc: bool):
    """-> (kind, polarity, statistic) or (None, None, None) for a sentence that is no statement."""
    if is_method(sentence) or (is_consequence(sentence) and not rec_section):
        return None, None, None
    j = judge(sentence)
    if inspection_doc:
        if not rec_section and _SHORTFALL.search(sentence):
            return "finding", "weakness", None
        if rec_section or _DIRECTIVE.match(sentence) or (_asks(sentence) and not re.match(r"(this|it|there)\b", sentence, re.I)
                           and j.positive <= j.negative):
            return "recommendation", None, None
        prior = 1 if _STRENGTH_SECTION.search(section) else -1 if _WEAKNESS_SECTION.search(section) else 0
        if not j.evaluative and not prior:
            return None, None, None
        pos, neg = j.positive + 0.75 * (prior > 0), j.negative + 0.75 * (prior < 0)
        return "finding", "strength" if pos > neg else "weakness", None
    stat = _statistic(sentence)
    if stat is not None:
        return "statistic", None if stat.direction is None else ("strength" if j.positive >= j.negative else "weakness"), stat
    if _ACTION.search(sentence) or _DONE.match(sentence):
        return "action", None, None
    if _STRENGTH_SECTION.search(section) and j.positive >= j.negative:
        return "evidence", "strength", None
    if _WEAKNESS_SECTION.search(section) and j.negative >= j.positive:
        return "evidence", "weakness", None
    if j.evaluative:
        return "evidence", j.polarity, None
    return None, None, None


def _statistic(sentence: str) -> Statistic | None:
    m = _PERCENT.search(sentence)
    if not m:
        return None
    value = float(m.group(1))
    cmp = _COMPARE.search(sentence)
    if not cmp:
        return Statistic(value, "%")
    prev = float(cmp.group(2))
    direction = "up" if value > prev else "down" if value < prev else "same"
    return Statistic(value, "%", prev, direction)


_SUBJECT_END = re.compile(
    r"\b(is|are|was|were|has|have|had|do|does|did|can|cannot|could|should|must|need|needs|will|would|"
    r"ensures?|provides?|delivers?|receives?|benefits?|works?|makes?|holds?|undertakes?|recognises?)\b", re.I)


def _agencies(sentence: str, meta: Described, date: str | None, glossary: dict[str, str]) -> tuple[list[str], list[str]]:
    mentions = resolve.tag_agencies(sentence, meta.area, date, glossary)
    mentions = [m for m in mentions if m.role != "inspectorate"]
    verb = _SUBJECT_END.search(sentence)
    cut = verb.start() if verb else len(sentence)
    subject = [m.agency_id for m in mentions if m.start < cut]
    concerned = list(dict.fromkeys(subject or [m.agency_id for m in mentions[:1]]))
    if not concerned and meta.area:
        default = "partnership" if meta.kind == "jtai_letter" else "children-social-care"
        concerned = [a.id for a in resolve.agencies_for_area(meta.area) if a.role == default][:1]
        if default == "partnership" and date:
            concerned = _current(concerned, resolve.agencies_for_area(meta.area), date)
    mentioned = list(dict.fromkeys(m.agency_id for m in mentions if m.agency_id not in concerned))
    return concerned, mentioned


def _current(ids: list[str], agencies, date: str) -> list[str]:
    by_id = {a.id: a for a in agencies}
    out = []
    for i in ids:
        a = by_id.get(i)
        while a and a.succeeded_by and a.succession_date and a.succession_date <= date and a.succeeded_by in by_id:
            a = by_id[a.succeeded_by]
        out.append(a.id if a else i)
    return out


def _references(raw, cleaned, meta: Described, doc_id, date, statements) -> list[Reference]:
    refs: dict[str, Reference] = {}
    for m in _REF.finditer(cleaned.text):
        when = m.group(3)
        ref_date = month_year(when) if when and re.search(r"[A-Za-z]", when) else (when.strip()[-4:] if when else None)
        if not (m.group(1) or ref_date):
            continue
        if date and ref_date and ref_date > date[:len(ref_date)]:
            continue
        kind = _ref_kind(m.group(2))
        if kind == meta.kind and ref_date and date and date.startswith(ref_date[:7]) and len(ref_date) == 7:
            continue  # the document speaking of itself
        rid = stable_id("ref", doc_id, kind, ref_date or (m.group(1) or "").lower())
        if rid in refs:
            continue
        span = _span(raw, cleaned, m.start(), m.end())
        refs[rid] = Reference(rid, kind, ref_date, meta.area, span)
        for st in statements:
            if st.span.start <= span.start < st.span.end and st.refers_to is None:
                st.refers_to = rid
    return list(refs.values())
