"""How a Corpus becomes RDF: the IRI scheme and the triples, written straight as N-Quads.

Emitting N-Quads text (rather than rdflib terms) keeps a 5,000-finding corpus to seconds;
`kg.rdf.to_dataset` parses the same text when an rdflib Dataset is wanted.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Callable, Iterable
from urllib.parse import quote

from rdflib import RDF, RDFS, SKOS, XSD, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV

from kg.ids import files_digest, stable_id
from kg.link import current, is_open
from kg.models import Assessment, Corpus, Document, FollowUp, Span, Statement, is_target
from kg.pg import assessment_id, finding_counts
from kg.vocab import SGKG

ROOT = "https://w3id.org/safeguarding-kg/"
ID = Namespace(ROOT + "id/")
AGENCY = Namespace(ROOT + "agency/")
AREA = Namespace(ROOT + "area/")
THEME = Namespace(ROOT + "theme/")
OA = Namespace("http://www.w3.org/ns/oa#")
DERIVED = URIRef(ROOT + "graph/derived")

_SAFE = "/-_.~"


def _terms(ns, names: str) -> SimpleNamespace:
    return SimpleNamespace(**{n: str(ns[n]) for n in names.split()})


S = SimpleNamespace(**{n: str(SGKG[n]) for n in SGKG.__annotations__})
T = _terms(RDF, "type")
L = _terms(RDFS, "label comment")
K = _terms(SKOS, "Concept prefLabel altLabel broader")
D = _terms(DCTERMS, "identifier title date")
P = _terms(PROV, "wasDerivedFrom wasAssociatedWith wasAttributedTo qualifiedInfluence SoftwareAgent Person")
O = _terms(ORG, "Organization OrganizationalUnit subOrganizationOf originalOrganization resultingOrganization")
A = SimpleNamespace(**{n: str(OA) + n for n in
                       "hasSource hasSelector TextQuoteSelector TextPositionSelector exact prefix suffix start end".split()})
X = _terms(XSD, "date gYear gYearMonth decimal integer boolean")
_CLASS = {"finding": S.Finding, "recommendation": S.Recommendation, "action": S.Action,
          "evidence": S.Evidence, "statistic": S.Statistic}


def _id(local_id: str) -> str:
    return str(ID) + quote(local_id, safe=_SAFE)


def iri(local_id: str) -> URIRef:
    """A document, statement, follow-up, assessment, reference, inspection or recurrence."""
    return URIRef(_id(local_id))


def agency_iri(agency_id: str) -> URIRef:
    return URIRef(str(AGENCY) + quote(agency_id, safe=_SAFE))


def area_iri(area_id: str) -> URIRef:
    return URIRef(str(AREA) + quote(area_id, safe=_SAFE))


def theme_iri(theme_id: str) -> URIRef:
    return URIRef(str(THEME) + quote(theme_id, safe=_SAFE))


def derived_graph(area_id: str | None = None) -> URIRef:
    """Where the build's own conclusions go. DERIVED holds the reference data (areas, themes,
    agencies, agents) and recurrences, which cross areas; each area's follow-ups, assessments and
    current statuses are in DERIVED/<area>."""
    return URIRef(f"{DERIVED}/{quote(area_id, safe=_SAFE)}") if area_id else DERIVED


_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def date_datatype(text: str) -> str | None:
    """The XSD type of a date as the corpus writes it: "2016" is an xsd:gYear, "2016-05" an
    xsd:gYearMonth, "2016-05-12" an xsd:date; anything else (or an impossible date) None."""
    m = _PARTIAL_DATE.fullmatch(text)
    if not m or m.group(1) == "0000":
        return None
    if m.group(3):
        try:
            date.fromisoformat(text)
        except ValueError:
            return None
        return X.date
    if m.group(2):
        return X.gYearMonth if 1 <= int(m.group(2)) <= 12 else None
    return X.gYear


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def decimal_lexical(x: float) -> str:
    """The canonical xsd:decimal form Oxigraph stores, so exports round-trip exactly."""
    text = format(Decimal(repr(float(x))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


class Quads:
    """N-Quads lines, one graph at a time; with a `sink` (a binary file) they are written out
    in chunks rather than kept, so a national graph never sits in memory as one string. What
    is written is indexed by graph (`index`: where each graph's lines are in the file, and
    their digest), so that a store can replace just the graphs that changed since a build."""

    CHUNK = 200_000

    def __init__(self, sink: IO[bytes] | None = None) -> None:
        self.lines: list[str] = []
        self.sink = sink
        self.index: dict[str, dict] = {}
        self._runs: list[tuple[int, str]] = []  # (line, graph) where each graph's run of lines starts
        self._graph = ""
        self._offset = 0

    def _in(self, g: str) -> None:
        self._graph = g
        self._runs.append((len(self.lines), g))

    def spill(self, force: bool = False) -> None:
        if self.sink is None or not (force or len(self.lines) >= self.CHUNK):
            return
        ends = [start for start, _ in self._runs[1:]] + [len(self.lines)]
        for (start, g), end in zip(self._runs, ends):
            if end > start:
                data = "".join(self.lines[start:end]).encode("utf-8")
                part = self.index.setdefault(g, {"quads": 0, "ranges": [], "digest": hashlib.sha256()})
                part["quads"] += end - start
                part["digest"].update(data)
                ranges = part["ranges"]
                if ranges and sum(ranges[-1]) == self._offset:
                    ranges[-1][1] += len(data)
                else:
                    ranges.append([self._offset, len(data)])
                self.sink.write(data)
                self._offset += len(data)
        self.lines.clear()
        self._runs = [(0, self._graph)]

    def add(self, g: str, s: str, p: str, o: str | None) -> None:
        if o:
            if g != self._graph:
                self._in(g)
            self.lines.append(f"<{s}> <{p}> <{o}> <{g}> .\n")

    def lit(self, g: str, s: str, p: str, value, kind: str = "str") -> None:
        if value is None or value == "":
            return
        if g != self._graph:
            self._in(g)
        if kind == "date":
            text = str(value)
            dt = date_datatype(text)
            o = f'"{_esc(text)}"^^<{dt}>' if dt else f'"{_esc(text)}"'
        elif kind == "dec":
            o = f'"{decimal_lexical(value)}"^^<{X.decimal}>'
        elif kind == "int":
            o = f'"{int(value)}"^^<{X.integer}>'
        elif kind == "bool":
            o = f'"{"true" if value else "false"}"^^<{X.boolean}>'
        else:
            o = f'"{_esc(str(value))}"'
        self.lines.append(f"<{s}> <{p}> {o} <{g}> .\n")

    def node(self, g: str, s: str, cls: str, local_id: str | None = None) -> None:
        self.add(g, s, T.type, cls)
        self.lit(g, s, D.identifier, local_id)

    def bytes(self) -> bytes:
        return "".join(self.lines).encode("utf-8")

    def copy(self, g: str, data: bytes, quads: int, digest) -> None:  # type: ignore[no-untyped-def]
        """Graph `g`'s lines as they are (`data`: `quads` lines, their `digest` a hashlib
        object), e.g. from an earlier file."""
        self.spill(force=True)
        self.index[g] = {"quads": quads, "ranges": [[self._offset, len(data)]], "digest": digest}
        self.sink.write(data)
        self._offset += len(data)
        self._graph, self._runs = g, [(0, g)]


def _span(q: Quads, g: str, node: str, doc: str, span: Span) -> None:
    target, by_quote, by_pos = node + "#span", node + "#quote", node + "#position"
    q.add(g, node, S.source, target)
    q.node(g, target, S.TextSpan)
    q.add(g, target, A.hasSource, doc)
    q.add(g, target, A.hasSelector, by_quote)
    q.add(g, target, A.hasSelector, by_pos)
    q.lit(g, target, S.page, span.page, "int")
    q.node(g, by_quote, A.TextQuoteSelector)
    q.lit(g, by_quote, A.exact, span.quote)
    q.lit(g, by_quote, A.prefix, span.prefix)
    q.lit(g, by_quote, A.suffix, span.suffix)
    q.node(g, by_pos, A.TextPositionSelector)
    q.lit(g, by_pos, A.start, span.start, "int")
    q.lit(g, by_pos, A.end, span.end, "int")


def _document(q: Quads, d: Document, statements: int) -> None:
    g = node = _id(d.id)
    q.node(g, node, S.Document, d.id)
    q.add(g, node, S.documentKind, getattr(S, d.kind))
    q.lit(g, node, D.title, d.title)
    q.lit(g, node, D.date, d.published, "date")
    q.lit(g, node, S.file, d.file)
    q.lit(g, node, S.sha256, d.sha256)
    q.lit(g, node, S.pages, d.pages, "int")
    q.lit(g, node, S.statementCount, statements, "int")
    q.add(g, node, S.area, d.area and area_iri(d.area))
    if i := d.inspection:
        ins = _id(i.id)
        q.add(g, node, S.reports, ins)
        q.node(g, ins, S.Inspection, i.id)
        q.lit(g, ins, S.inspectionKind, i.kind)
        q.add(g, ins, S.area, i.area and area_iri(i.area))
        q.lit(g, ins, S.startDate, i.start, "date")
        q.lit(g, ins, S.endDate, i.end, "date")
        q.lit(g, ins, S.framework, i.framework)
        q.lit(g, ins, S.deepDive, i.deep_dive)
        q.lit(g, ins, S.deadline, i.deadline, "date")
        for who in i.inspectorates:
            q.add(g, ins, P.wasAssociatedWith, agency_iri(who))
        for name in i.inspectors:
            q.lit(g, ins, S.inspector, name)
        for key, value in sorted(i.grades.items()):
            grade = f"{ins}#grade-{quote(key, safe='-_.~')}"
            q.add(g, ins, S.grade, grade)
            q.node(g, grade, S.Grade)
            q.lit(g, grade, S.judgement, key)
            q.lit(g, grade, S.gradeValue, value)
    for ad in d.addressees:
        who = _id(stable_id("ad", d.id, ad.name, ad.role, ad.organisation))
        q.add(g, node, S.addressedTo, who)
        q.node(g, who, S.Addressee)
        q.lit(g, who, L.label, ad.name)
        q.lit(g, who, S.role, ad.role)
        q.lit(g, who, S.organisation, ad.organisation)
        q.add(g, who, S.agency, ad.agency and agency_iri(ad.agency))
    for r in d.references:
        ref = _id(r.id)
        q.node(g, ref, S.Reference, r.id)
        q.add(g, ref, P.wasDerivedFrom, node)
        q.lit(g, ref, S.referenceKind, r.kind)
        q.lit(g, ref, D.date, r.date, "date")
        q.add(g, ref, S.area, r.area and area_iri(r.area))
        q.add(g, ref, S.resolvedTo, r.resolved and _id(r.resolved))
        _span(q, g, ref, node, r.span)


def _statement(q: Quads, s: Statement) -> None:
    g = doc = _id(s.doc)
    node = _id(s.id)
    q.node(g, node, _CLASS[s.kind], s.id)
    q.add(g, node, P.wasDerivedFrom, doc)
    q.add(g, node, S.polarity, s.polarity and getattr(S, s.polarity))
    q.lit(g, node, S.section, s.section)
    q.lit(g, node, S.text, s.text)
    q.lit(g, node, D.date, s.date, "date")
    q.lit(g, node, S.due, s.due, "date")
    q.add(g, node, S.area, s.area and area_iri(s.area))
    for a in s.agencies:
        q.add(g, node, S.concerns, agency_iri(a))
    for a in s.mentioned:
        q.add(g, node, S.mentionsAgency, agency_iri(a))
    for t in s.themes:
        q.add(g, node, S.theme, theme_iri(t))
    q.add(g, node, S.refersTo, s.refers_to and _id(s.refers_to))
    if st := s.statistic:
        q.lit(g, node, S.value, st.value, "dec")
        q.lit(g, node, S.unit, st.unit)
        q.lit(g, node, S.previousValue, st.previous, "dec")
        q.lit(g, node, S.direction, st.direction)
    _span(q, g, node, doc, s.span)


def _areas(c: Corpus) -> dict[str, str | None]:
    """Every area named anywhere, with its label where the corpus gives one."""
    named = [d.area for d in c.documents] + [s.area for s in c.statements] + [a.area for a in c.agencies]
    named += [r.area for d in c.documents for r in d.references]
    named += [d.inspection.area for d in c.documents if d.inspection]
    return dict(sorted({**{a: None for a in named if a}, **c.areas}.items()))


def _reference_data(q: Quads, c: Corpus) -> None:
    g = str(DERIVED)
    for area, label in _areas(c).items():
        node = area_iri(area)
        q.node(g, node, S.Area, area)
        q.lit(g, node, L.label, label)

    for t in c.themes:
        node = theme_iri(t.id)
        q.node(g, node, K.Concept, t.id)
        q.lit(g, node, K.prefLabel, t.label)
        for b in t.broader:
            q.add(g, node, K.broader, theme_iri(b))
    named = {t for s in c.statements for t in s.themes} | {b for t in c.themes for b in t.broader}
    for t in sorted(named - {t.id for t in c.themes}):
        q.node(g, theme_iri(t), K.Concept, t)

    for a in c.agencies:
        node = agency_iri(a.id)
        q.node(g, node, S.Agency, a.id)
        q.add(g, node, T.type, O.Organization)
        q.lit(g, node, L.label, a.label)
        q.lit(g, node, S.agencyType, a.type)
        q.lit(g, node, S.role, a.role)
        for alias in a.aliases:
            q.lit(g, node, K.altLabel, alias)
        q.add(g, node, S.area, a.area and area_iri(a.area))
        if a.parent:
            q.add(g, node, T.type, O.OrganizationalUnit)
            q.add(g, node, O.subOrganizationOf, agency_iri(a.parent))
        if a.succeeded_by:
            successor, event = agency_iri(a.succeeded_by), node + "#succession"
            q.add(g, node, S.succeededBy, successor)
            q.node(g, event, S.Succession)
            q.add(g, event, O.originalOrganization, node)
            q.add(g, event, O.resultingOrganization, successor)
            q.lit(g, event, D.date, a.succession_date, "date")
    named = {x for s in c.statements for x in (*s.agencies, *s.mentioned)}
    named |= {x for a in c.agencies for x in (a.parent, a.succeeded_by) if x}
    named |= {w for d in c.documents if d.inspection for w in d.inspection.inspectorates}
    named |= {ad.agency for d in c.documents for ad in d.addressees if ad.agency}
    for a in sorted(named - {a.id for a in c.agencies}):
        q.node(g, agency_iri(a), S.Agency, a)


def _judgements(q: Quads, c: Corpus, before: tuple[IO[bytes], dict[str, dict]] | None = None,
                recurrences: Callable[[], object] | None = None) -> None:
    """Follow-ups, assessments and current statuses, an area's derived graph at a time. Given
    `before` (an earlier file and its index), an area's graph made from the same follow-ups,
    assessments and statuses (`_judgement_key`) is copied from there: a new document changes
    its own area's, and writing the others' 4.5 million lines afresh took 10 s nationally."""
    graph = {s.id: str(derived_graph(s.area)) for s in c.statements}
    now = current(c.assessments)
    parts: dict[str, tuple[list, list, list]] = defaultdict(lambda: ([], [], []))
    for f in c.followups:
        parts[graph.get(f.finding, str(DERIVED))][0].append(f)
    for a in c.assessments:
        parts[graph.get(a.finding, str(DERIVED))][1].append(a)
    for s in c.statements:
        parts[graph[s.id]][2].append(s)
    agents: dict[str, tuple[str, str]] = {}
    for g, (followups, assessments, statements) in sorted(parts.items()):
        # the national graph gets more lines below, so it is always written
        key = _judgement_key(followups, assessments, statements, now) if q.sink is not None and g != str(DERIVED) else None
        old = before[1].get(g) if before else None
        _agents(followups, agents)
        if found := _copyable(before, old, key):
            q.copy(g, found[0], old["quads"], found[1])
        else:
            _followups(q, g, followups)
            _assessments(q, g, assessments)
            _current(q, g, statements, now)
        if key:
            q.spill(force=True)
            if g in q.index:  # not when it has no lines (an area of evidence only, no target)
                q.index[g]["source"] = key
    g = str(DERIVED)
    for agent, (cls, label) in sorted(agents.items()):
        q.node(g, agent, cls)
        q.lit(g, agent, L.label, label)
    agencies, areas = finding_counts(c, now)
    for ag, (open_, total) in agencies.items():
        q.lit(g, agency_iri(ag), S.openFindingCount, open_, "int")
        q.lit(g, agency_iri(ag), S.findingCount, total, "int")
    for ar, open_ in areas.items():
        q.lit(g, area_iri(ar), S.openFindingCount, open_, "int")
    if recurrences is not None:
        recurrences()
    for r in c.recurrences:
        node = _id(r.id)
        q.node(g, node, S.Recurrence, r.id)
        q.add(g, node, S.statementA, _id(r.a))
        q.add(g, node, S.statementB, _id(r.b))
        q.lit(g, node, S.score, r.score, "dec")
        for t in r.themes:
            q.add(g, node, S.theme, theme_iri(t))


def _judgement_key(followups: list[FollowUp], assessments: list[Assessment], statements: list[Statement],
                   now: dict[str, Assessment]) -> str:
    """What an area's derived graph is made from: its follow-ups, assessments, and each
    statement's current assessment and whether it can be open."""
    targets = [(s.id, is_target(s), now.get(s.id)) for s in statements]
    return hashlib.sha256(f"{_code_digest()} {followups!r} {assessments!r} {targets!r}".encode()).hexdigest()


def _agents(followups: list[FollowUp], agents: dict[str, tuple[str, str]]) -> None:
    """The software and people the follow-ups are attributed to (`_followups` writes the links)."""
    for method in {f.method for f in followups}:
        agents[_id("agent/" + method)] = (P.SoftwareAgent, method)
    for reviewer in {f.reviewer for f in followups if f.reviewer}:
        agents[_id("person/" + reviewer)] = (P.Person, reviewer)


def _followups(q: Quads, g: str, followups: list[FollowUp]) -> None:
    for f in followups:
        node, evidence = _id(f.id), _id(f.evidence)
        q.node(g, node, S.FollowUp, f.id)
        q.add(g, node, S.finding, _id(f.finding))
        q.add(g, node, S.evidence, evidence)
        q.add(g, evidence, P.qualifiedInfluence, node)
        q.add(g, node, S.relation, getattr(S, f.relation))
        q.lit(g, node, S.score, f.score, "dec")
        q.lit(g, node, S.method, f.method)
        for cue in f.cues:
            q.lit(g, node, S.cue, cue)
        q.lit(g, node, S.review, f.reviewed)
        q.spill()
        q.lit(g, node, L.comment, f.note)
        q.add(g, node, P.wasAttributedTo, _id("agent/" + f.method))  # the agents: `_agents`
        if f.reviewer:
            q.add(g, node, P.wasAttributedTo, _id("person/" + f.reviewer))


def _assessments(q: Quads, g: str, assessments: list[Assessment]) -> None:
    for a in assessments:
        node = _id(assessment_id(a))
        q.node(g, node, S.Assessment, assessment_id(a))
        q.add(g, node, S.assessmentOf, _id(a.finding))
        q.add(g, node, S.status, getattr(S, a.status))
        q.lit(g, node, S.confidence, a.confidence, "dec")
        q.lit(g, node, S.explanation, a.explanation)
        q.lit(g, node, S.asOf, a.as_of, "date")
        q.lit(g, node, S.setBy, a.set_by)
        q.add(g, node, S.lastEvidence, a.last_evidence and _id(a.last_evidence))
        q.spill()


def _current(q: Quads, g: str, statements: list[Statement], statuses: dict[str, Assessment]) -> None:
    """Each statement's current status, materialised in its area's derived graph `g` so queries
    need not recompute it: its current assessment (`statuses`, kg.link.current:
    the rule the property graph stores on its statement nodes, so both forms agree) gives
    sgkg:currentStatus, sgkg:currentConfidence and sgkg:statusAsOf; every finding-like statement
    gets sgkg:isOpen (true unless that status is addressed, so also true with no assessment at
    all). Status as of another date is still computed from the assessments."""
    for s in statements:
        node = _id(s.id)
        now = statuses.get(s.id)
        if now is not None:
            q.add(g, node, S.currentStatus, getattr(S, now.status))
            q.lit(g, node, S.currentConfidence, now.confidence, "dec")
            q.lit(g, node, S.statusAsOf, now.as_of, "date")
        if is_target(s):
            q.lit(g, node, S.isOpen, is_open(now), "bool")


def nquads(corpus: Corpus, documents: Iterable[str] | None = None, derived: bool = True) -> bytes:
    """The corpus as N-Quads: a graph per document (only `documents` if given) and `derived`."""
    q = Quads()
    _fill(q, corpus, documents, derived)
    return q.bytes()


def write_nquads(corpus: Corpus, path: str | os.PathLike,
                 previous: tuple[str | os.PathLike, dict[str, dict]] | None = None,
                 recurrences: Callable[[], object] | None = None) -> dict[str, dict]:
    """Stream the corpus's N-Quads (as `nquads` gives them) into a file. Returns the file's index:
    for each named graph, its quads, the byte ranges its lines fill and their SHA-256, and for a
    document's graph the digest of what it is made from (`_source_key`). Given a `previous`
    such file and its index, a document graph made from the same is copied from there.
    `recurrences`: called just before the corpus's recurrences are written, the last lines (a
    build may still be finding them meanwhile: `kg.pipeline.start_link_and_assess`)."""
    with open(path, "wb") as fh, contextlib.ExitStack() as stack:
        q = Quads(fh)
        before = (stack.enter_context(open(previous[0], "rb")), previous[1]) if previous else None
        _fill(q, corpus, None, True, before, recurrences)
        q.spill(force=True)
    return {g: {**part, "digest": part["digest"].hexdigest()} for g, part in sorted(q.index.items())}


def graph_sources(corpus: Corpus, index: dict[str, dict]) -> tuple[dict[str, str | None], dict[str | None, str | None]]:
    """What, by the `index` of a file `write_nquads` wrote, each document's graph and each area's
    derived graph was made from (`_source_key`, `_judgement_key`; None where it does not say)."""
    documents = {d.id: index.get(_id(d.id), {}).get("source") for d in corpus.documents}
    areas = {a: index.get(str(derived_graph(a)), {}).get("source") for a in {s.area for s in corpus.statements}}
    return documents, areas


@functools.cache
def _code_digest() -> str:
    """The code a document's graph is written by (its IRIs, terms and record types)."""
    here = Path(__file__).parent
    return files_digest(hashlib.sha256(), [here / n for n in ("rdf_map.py", "vocab.py", "ids.py", "models.py")]).hexdigest()


def _source_key(d: Document, statements: list[Statement]) -> str:
    """What a document's graph is made from: every field of the document and its statements."""
    return hashlib.sha256(f"{_code_digest()} {d!r} {statements!r}".encode()).hexdigest()


def _copyable(before: tuple[IO[bytes], dict[str, dict]] | None, part: dict | None, key: str | None):  # type: ignore[no-untyped-def]
    """`graph_lines` of a graph in the earlier file `before`, if made from the same (`key`) and
    written in one run: where its lines were in several, the lines between them were another
    graph's, which copying would lose."""
    if before and part and key and part.get("source") == key and len(part["ranges"]) == 1:
        return graph_lines(before[0], part)
    return None


def graph_lines(fh: IO[bytes], part: dict):  # type: ignore[no-untyped-def]
    """(lines, their hashlib digest) of a graph in an earlier N-Quads file, where its index
    entry `part` (`write_nquads`) says they are, if they still have the SHA-256 it records;
    else None."""
    data = bytearray()
    for offset, length in part["ranges"]:
        fh.seek(offset)
        data += fh.read(length)
    digest = hashlib.sha256(data)
    return (bytes(data), digest) if digest.hexdigest() == part["digest"] else None


def _fill(q: Quads, corpus: Corpus, documents: Iterable[str] | None, derived: bool,
          before: tuple[IO[bytes], dict[str, dict]] | None = None, recurrences: Callable[[], object] | None = None
          ) -> None:
    keep = set(documents) if documents is not None else None
    statements = defaultdict(list)
    for s in corpus.statements:
        statements[s.doc].append(s)
    for d in corpus.documents:  # a document's graph in one run of lines
        if keep is None or d.id in keep:
            g = _id(d.id)
            key = _source_key(d, statements[d.id]) if q.sink is not None else None
            old = before[1].get(g) if before else None
            found = _copyable(before, old, key)
            if found:
                q.copy(g, found[0], old["quads"], found[1])
            else:
                _document(q, d, len(statements[d.id]))
                for s in statements[d.id]:
                    _statement(q, s)
                    q.spill()
            if key:
                q.spill(force=True)
                q.index[g]["source"] = key
    if derived:
        _reference_data(q, corpus)
        _judgements(q, corpus, before, recurrences)
