"""The RDF form of a Corpus, its SHACL check, and an on-disk SPARQL store.

One named graph per source document (graph IRI = the document's IRI) holds what was
extracted from it; agencies, themes, areas, follow-ups, assessments and recurrences live in
the `derived` graph, so re-ingesting a document replaces exactly its triples.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import RDF, RDFS, SKOS, XSD, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV
from rdflib.term import Node

from kg.errors import QueryError, StoreError, ValidationError
from kg.ids import stable_id
from kg.models import Assessment, Corpus, Document, Span, Statement
from kg.vocab import SGKG

OA = Namespace("http://www.w3.org/ns/oa#")
ROOT = "https://w3id.org/safeguarding-kg/"
ID = Namespace(ROOT + "id/")
AGENCY = Namespace(ROOT + "agency/")
AREA = Namespace(ROOT + "area/")
THEME = Namespace(ROOT + "theme/")
DERIVED = URIRef(ROOT + "graph/derived")

PREFIXES = {"sgkg": str(SGKG), "id": str(ID), "agency": str(AGENCY), "area": str(AREA),
            "theme": str(THEME), "prov": str(PROV), "org": str(ORG), "oa": str(OA),
            "dcterms": str(DCTERMS), "skos": str(SKOS), "rdfs": str(RDFS), "xsd": str(XSD)}

_CLASS = {"finding": SGKG.Finding, "recommendation": SGKG.Recommendation, "action": SGKG.Action,
          "evidence": SGKG.Evidence, "statistic": SGKG.Statistic}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SAFE = "/-_.~"

Quad = tuple[Node, Node, Node, URIRef]


def iri(local_id: str) -> URIRef:
    """The IRI of a document, statement, follow-up, assessment, reference or recurrence."""
    return ID[quote(local_id, safe=_SAFE)]


def agency_iri(agency_id: str) -> URIRef:
    return AGENCY[quote(agency_id, safe=_SAFE)]


def area_iri(area_id: str) -> URIRef:
    return AREA[quote(area_id, safe=_SAFE)]


def theme_iri(theme_id: str) -> URIRef:
    return THEME[quote(theme_id, safe=_SAFE)]


def assessment_id(a: Assessment) -> str:
    return stable_id("as", a.finding, a.as_of or "", a.set_by, a.status)


def _dec(x: float) -> Literal:
    """xsd:decimal in the canonical form Oxigraph stores, so exports round-trip exactly."""
    text = format(Decimal(repr(float(x))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return Literal(text if text not in ("", "-0") else "0", datatype=XSD.decimal)


def _date(value: str) -> Literal:
    """xsd:date when well formed; anything else stays a plain string so SHACL reports it."""
    return Literal(value, datatype=XSD.date) if _DATE.match(value) else Literal(value)


class _Quads:
    def __init__(self) -> None:
        self.out: list[Quad] = []

    def add(self, g: URIRef, s: Node, p: Node, o: Node | None) -> None:
        if o is not None:
            self.out.append((s, p, o, g))

    def lit(self, g: URIRef, s: Node, p: Node, value, kind: str = "str") -> None:
        if value is None or value == "":
            return
        if kind == "date":
            o = _date(value)
        elif kind == "dec":
            o = _dec(value)
        elif kind == "int":
            o = Literal(int(value))
        else:
            o = Literal(str(value))
        self.out.append((s, p, o, g))

    def ident(self, g: URIRef, s: Node, local_id: str) -> None:
        self.out.append((s, DCTERMS.identifier, Literal(local_id), g))


def _span(q: _Quads, g: URIRef, node: URIRef, doc: URIRef, span: Span) -> None:
    target = URIRef(node + "#span")
    quote_sel, pos_sel = URIRef(node + "#quote"), URIRef(node + "#position")
    q.add(g, node, SGKG.source, target)
    q.add(g, target, RDF.type, SGKG.TextSpan)
    q.add(g, target, OA.hasSource, doc)
    q.add(g, target, OA.hasSelector, quote_sel)
    q.add(g, target, OA.hasSelector, pos_sel)
    q.lit(g, target, SGKG.page, span.page, "int")
    q.add(g, quote_sel, RDF.type, OA.TextQuoteSelector)
    q.add(g, quote_sel, OA.exact, Literal(span.quote))
    q.lit(g, quote_sel, OA.prefix, span.prefix)
    q.lit(g, quote_sel, OA.suffix, span.suffix)
    q.add(g, pos_sel, RDF.type, OA.TextPositionSelector)
    q.lit(g, pos_sel, OA.start, span.start, "int")
    q.lit(g, pos_sel, OA.end, span.end, "int")


def _document(q: _Quads, d: Document) -> None:
    g = node = iri(d.id)
    q.add(g, node, RDF.type, SGKG.Document)
    q.ident(g, node, d.id)
    q.add(g, node, SGKG.documentKind, SGKG[d.kind])
    q.lit(g, node, DCTERMS.title, d.title)
    q.lit(g, node, DCTERMS.date, d.published, "date")
    q.lit(g, node, SGKG.file, d.file)
    q.lit(g, node, SGKG.sha256, d.sha256)
    q.lit(g, node, SGKG.pages, d.pages, "int")
    if d.area:
        q.add(g, node, SGKG.area, area_iri(d.area))
    if i := d.inspection:
        ins = iri(i.id)
        q.add(g, node, SGKG.reports, ins)
        q.add(g, ins, RDF.type, SGKG.Inspection)
        q.ident(g, ins, i.id)
        q.lit(g, ins, SGKG.inspectionKind, i.kind)
        if i.area:
            q.add(g, ins, SGKG.area, area_iri(i.area))
        q.lit(g, ins, SGKG.startDate, i.start, "date")
        q.lit(g, ins, SGKG.endDate, i.end, "date")
        q.lit(g, ins, SGKG.framework, i.framework)
        q.lit(g, ins, SGKG.deepDive, i.deep_dive)
        q.lit(g, ins, SGKG.deadline, i.deadline, "date")
        for who in i.inspectorates:
            q.add(g, ins, PROV.wasAssociatedWith, agency_iri(who))
        for name in i.inspectors:
            q.lit(g, ins, SGKG.inspector, name)
        for key, value in sorted(i.grades.items()):
            grade = URIRef(f"{ins}#grade-{quote(key, safe='-_.~')}")
            q.add(g, ins, SGKG.grade, grade)
            q.add(g, grade, RDF.type, SGKG.Grade)
            q.lit(g, grade, SGKG.judgement, key)
            q.lit(g, grade, SGKG.gradeValue, value)
    for ad in d.addressees:
        who = iri(stable_id("ad", d.id, ad.name, ad.role, ad.organisation))
        q.add(g, node, SGKG.addressedTo, who)
        q.add(g, who, RDF.type, SGKG.Addressee)
        q.lit(g, who, RDFS.label, ad.name)
        q.lit(g, who, SGKG.role, ad.role)
        q.lit(g, who, SGKG.organisation, ad.organisation)
        if ad.agency:
            q.add(g, who, SGKG.agency, agency_iri(ad.agency))
    for r in d.references:
        ref = iri(r.id)
        q.add(g, ref, RDF.type, SGKG.Reference)
        q.ident(g, ref, r.id)
        q.add(g, ref, PROV.wasDerivedFrom, node)
        q.lit(g, ref, SGKG.referenceKind, r.kind)
        q.lit(g, ref, DCTERMS.date, r.date, "date")
        if r.area:
            q.add(g, ref, SGKG.area, area_iri(r.area))
        if r.resolved:
            q.add(g, ref, SGKG.resolvedTo, iri(r.resolved))
        _span(q, g, ref, node, r.span)


def _statement(q: _Quads, s: Statement) -> None:
    g = doc = iri(s.doc)
    node = iri(s.id)
    q.add(g, node, RDF.type, _CLASS[s.kind])
    q.ident(g, node, s.id)
    q.add(g, node, PROV.wasDerivedFrom, doc)
    if s.polarity:
        q.add(g, node, SGKG.polarity, SGKG[s.polarity])
    q.lit(g, node, SGKG.section, s.section)
    q.lit(g, node, SGKG.text, s.text)
    q.lit(g, node, DCTERMS.date, s.date, "date")
    q.lit(g, node, SGKG.due, s.due, "date")
    if s.area:
        q.add(g, node, SGKG.area, area_iri(s.area))
    for a in s.agencies:
        q.add(g, node, SGKG.concerns, agency_iri(a))
    for a in s.mentioned:
        q.add(g, node, SGKG.mentionsAgency, agency_iri(a))
    for t in s.themes:
        q.add(g, node, SGKG.theme, theme_iri(t))
    if s.refers_to:
        q.add(g, node, SGKG.refersTo, iri(s.refers_to))
    if st := s.statistic:
        q.lit(g, node, SGKG.value, st.value, "dec")
        q.lit(g, node, SGKG.unit, st.unit)
        q.lit(g, node, SGKG.previousValue, st.previous, "dec")
        q.lit(g, node, SGKG.direction, st.direction)
    _span(q, g, node, doc, s.span)


def _derived(q: _Quads, c: Corpus) -> None:
    g = DERIVED
    areas: dict[str, str | None] = dict(c.areas)
    agencies = {a.id for a in c.agencies}
    themes = {t.id for t in c.themes}
    for d in c.documents:
        areas.setdefault(d.area, None) if d.area else None
        for r in d.references:
            areas.setdefault(r.area, None) if r.area else None
        if d.inspection:
            areas.setdefault(d.inspection.area, None) if d.inspection.area else None
    for s in c.statements:
        if s.area:
            areas.setdefault(s.area, None)
    for a in c.agencies:
        if a.area:
            areas.setdefault(a.area, None)
    for area, label in sorted(areas.items()):
        node = area_iri(area)
        q.add(g, node, RDF.type, SGKG.Area)
        q.ident(g, node, area)
        q.lit(g, node, RDFS.label, label)

    for t in c.themes:
        node = theme_iri(t.id)
        q.add(g, node, RDF.type, SKOS.Concept)
        q.ident(g, node, t.id)
        q.lit(g, node, SKOS.prefLabel, t.label)
        for b in t.broader:
            q.add(g, node, SKOS.broader, theme_iri(b))
    referred_themes = {t for s in c.statements for t in s.themes} | {b for t in c.themes for b in t.broader}
    for t in sorted(referred_themes - themes):
        q.add(g, theme_iri(t), RDF.type, SKOS.Concept)
        q.ident(g, theme_iri(t), t)

    for a in c.agencies:
        node = agency_iri(a.id)
        q.add(g, node, RDF.type, SGKG.Agency)
        q.add(g, node, RDF.type, ORG.Organization)
        q.ident(g, node, a.id)
        q.lit(g, node, RDFS.label, a.label)
        q.lit(g, node, SGKG.agencyType, a.type)
        q.lit(g, node, SGKG.role, a.role)
        for alias in a.aliases:
            q.lit(g, node, SKOS.altLabel, alias)
        if a.area:
            q.add(g, node, SGKG.area, area_iri(a.area))
        if a.parent:
            q.add(g, node, RDF.type, ORG.OrganizationalUnit)
            q.add(g, node, ORG.subOrganizationOf, agency_iri(a.parent))
        if a.succeeded_by:
            nxt = agency_iri(a.succeeded_by)
            event = URIRef(f"{node}#succession")
            q.add(g, node, SGKG.succeededBy, nxt)
            q.add(g, event, RDF.type, SGKG.Succession)
            q.add(g, event, ORG.originalOrganization, node)
            q.add(g, event, ORG.resultingOrganization, nxt)
            q.lit(g, event, DCTERMS.date, a.succession_date, "date")
    referred = {x for s in c.statements for x in (*s.agencies, *s.mentioned)}
    referred |= {x for a in c.agencies for x in (a.parent, a.succeeded_by) if x}
    referred |= {w for d in c.documents if d.inspection for w in d.inspection.inspectorates}
    referred |= {ad.agency for d in c.documents for ad in d.addressees if ad.agency}
    for a in sorted(referred - agencies):
        q.add(g, agency_iri(a), RDF.type, SGKG.Agency)
        q.ident(g, agency_iri(a), a)

    for f in c.followups:
        node, ev = iri(f.id), iri(f.evidence)
        q.add(g, node, RDF.type, SGKG.FollowUp)
        q.ident(g, node, f.id)
        q.add(g, node, SGKG.finding, iri(f.finding))
        q.add(g, node, SGKG.evidence, ev)
        q.add(g, ev, PROV.qualifiedInfluence, node)
        q.add(g, node, SGKG.relation, SGKG[f.relation])
        q.lit(g, node, SGKG.score, f.score, "dec")
        q.lit(g, node, SGKG.method, f.method)
        for cue in f.cues:
            q.lit(g, node, SGKG.cue, cue)
        q.lit(g, node, SGKG.review, f.reviewed)
        q.lit(g, node, RDFS.comment, f.note)
        software = ID["agent/" + quote(f.method, safe=_SAFE)]
        q.add(g, node, PROV.wasAttributedTo, software)
        q.add(g, software, RDF.type, PROV.SoftwareAgent)
        q.lit(g, software, RDFS.label, f.method)
        if f.reviewer:
            person = ID["person/" + quote(f.reviewer, safe=_SAFE)]
            q.add(g, node, PROV.wasAttributedTo, person)
            q.add(g, person, RDF.type, PROV.Person)
            q.lit(g, person, RDFS.label, f.reviewer)

    for a in c.assessments:
        node = iri(assessment_id(a))
        q.add(g, node, RDF.type, SGKG.Assessment)
        q.add(g, node, SGKG.assessmentOf, iri(a.finding))
        q.add(g, node, SGKG.status, SGKG[a.status])
        q.lit(g, node, SGKG.confidence, a.confidence, "dec")
        q.lit(g, node, SGKG.explanation, a.explanation)
        q.lit(g, node, SGKG.asOf, a.as_of, "date")
        q.lit(g, node, SGKG.setBy, a.set_by)
        if a.last_evidence:
            q.add(g, node, SGKG.lastEvidence, iri(a.last_evidence))

    for r in c.recurrences:
        node = iri(r.id)
        q.add(g, node, RDF.type, SGKG.Recurrence)
        q.ident(g, node, r.id)
        q.add(g, node, SGKG.statementA, iri(r.a))
        q.add(g, node, SGKG.statementB, iri(r.b))
        q.lit(g, node, SGKG.score, r.score, "dec")
        for t in r.themes:
            q.add(g, node, SGKG.theme, theme_iri(t))


def quads(corpus: Corpus, documents: Iterable[str] | None = None, derived: bool = True) -> list[Quad]:
    """The corpus as (s, p, o, graph) rdflib terms; `documents` limits which document graphs."""
    keep = set(documents) if documents is not None else None
    q = _Quads()
    for d in corpus.documents:
        if keep is None or d.id in keep:
            _document(q, d)
    for s in corpus.statements:
        if keep is None or s.doc in keep:
            _statement(q, s)
    if derived:
        _derived(q, corpus)
    return q.out


def bind_prefixes(g: Graph) -> None:
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, replace=True)


def to_dataset(corpus: Corpus) -> Dataset:
    """The corpus as an rdflib Dataset, one named graph per document plus `derived`.

    Its default graph is the union of the named graphs, so the named queries run on it too."""
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    ds.addN(quads(corpus))
    return ds


def _nquad_term(t: Node) -> str:
    if isinstance(t, Literal):
        return t._literal_n3(use_plain=False)
    return t.n3()


def to_nquads(items: Iterable[Quad]) -> bytes:
    return "".join(f"{_nquad_term(s)} {_nquad_term(p)} {_nquad_term(o)} {g.n3()} .\n"
                   for s, p, o, g in items).encode("utf-8")


# ---------------------------------------------------------------- SHACL

def shapes_graph() -> Graph:
    return Graph().parse(data=files("ontology").joinpath("shapes.ttl").read_text("utf-8"), format="turtle")


def ontology_graph() -> Graph:
    return Graph().parse(data=files("ontology").joinpath("sgkg.ttl").read_text("utf-8"), format="turtle")


def validate(data: Dataset | Graph) -> list[str]:
    """SHACL violations of the graph (all named graphs together), as "focus node: message"."""
    from pyshacl import validate as shacl

    if isinstance(data, Dataset):
        g = Graph()
        for s, p, o, _ in data.quads((None, None, None, None)):
            g.add((s, p, o))
    else:
        g = data
    conforms, report, _ = shacl(g, shacl_graph=shapes_graph(), inference="none", advanced=True)
    if conforms:
        return []
    SH = Namespace("http://www.w3.org/ns/shacl#")
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        where = f" ({path.n3(report.namespace_manager)})" if isinstance(path, URIRef) else ""
        out.append(f"{focus}: {message}{where}")
    return sorted(out)


def check(data: Dataset | Graph) -> None:
    """Raise ValidationError listing the violations, if any."""
    problems = validate(data)
    if problems:
        shown = "\n".join(problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ValidationError(f"{len(problems)} SHACL violation(s):\n{shown}{more}")


# ---------------------------------------------------------------- store

FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ttl": ox.RdfFormat.TURTLE,
           "ntriples": ox.RdfFormat.N_TRIPLES, "nt": ox.RdfFormat.N_TRIPLES,
           "trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS, "nq": ox.RdfFormat.N_QUADS,
           "jsonld": None, "json-ld": None}
_QUOTED_FORMATS = ("turtle", "ntriples", "trig", "nquads", "jsonld")


def _py(term) -> object:
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if dt in (str(XSD.integer), str(XSD.int), str(XSD.long)):
            return int(term.value)
        if dt in (str(XSD.decimal), str(XSD.double), str(XSD.float)):
            return float(term.value)
        if dt == str(XSD.boolean):
            return term.value == "true"
        return term.value
    return term.value


def _py_rdflib(term) -> object:
    if term is None:
        return None
    if isinstance(term, Literal) and term.datatype in (XSD.integer, XSD.int, XSD.long):
        return int(term)
    if isinstance(term, Literal) and term.datatype in (XSD.decimal, XSD.double, XSD.float):
        return float(term)
    return str(term)


def _resolve(name_or_text: str, params: dict[str, str] | None) -> tuple[str, dict[str, str]]:
    """Query text and {variable: value}: a named query's parameter NAME binds ?param_NAME,
    a missing one is "" (any); in ad-hoc text each key binds the variable of that name."""
    import queries

    params = dict(params or {})
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name_or_text.strip()):
        q = queries.load("sparql", name_or_text.strip())
        unknown = set(params) - set(q.params)
        if unknown:
            raise QueryError(f"{q.name}: unknown parameter(s) {sorted(unknown)}; "
                             f"it takes: {', '.join(q.params) or 'none'}")
        return q.text, {f"param_{p}": str(params.get(p, "")) for p in q.params}
    return name_or_text, {k: str(v) for k, v in params.items()}


def query_dataset(ds: Dataset, name_or_text: str, params: dict[str, str] | None = None
                  ) -> tuple[list[str], list[tuple]]:
    """Run a named query (or SPARQL text) in memory with rdflib; values bound with initBindings."""
    text, params = _resolve(name_or_text, params)
    try:
        result = ds.query(text, initBindings={k: Literal(str(v)) for k, v in params.items()})
    except Exception as e:
        raise QueryError(f"{name_or_text}: {e}") from e
    keep = [i for i, v in enumerate(result.vars) if not str(v).startswith("param_")]
    columns = [str(result.vars[i]) for i in keep]
    return columns, [tuple(_py_rdflib(row[i]) for i in keep) for row in result]


class RDFStore:
    """An Oxigraph store, on disk (`open`, `build`) or in memory (`memory`)."""

    def __init__(self, store: ox.Store, path: Path | None = None):
        self._store = store
        self.path = path

    @classmethod
    def open(cls, path: str | os.PathLike, read_only: bool = False) -> "RDFStore":
        p = Path(path)
        try:
            if read_only:
                return cls(ox.Store.read_only(str(p)), p)
            p.mkdir(parents=True, exist_ok=True)
            return cls(ox.Store(str(p)), p)
        except OSError as e:
            raise StoreError(f"{p}: cannot open the RDF store: {e}") from e

    @classmethod
    def memory(cls) -> "RDFStore":
        return cls(ox.Store())

    @classmethod
    def build(cls, path: str | os.PathLike, corpus: Corpus) -> "RDFStore":
        """Build a fresh store for the corpus in a temporary folder, then move it into place."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{p.name}.", dir=p.parent))
        try:
            store = ox.Store(str(tmp))
            cls(store).load(corpus)
            store.flush()
            del store
            old = p.with_name(f".{p.name}.old")
            if old.exists():
                shutil.rmtree(old)
            if p.exists():
                p.rename(old)
            tmp.rename(p)
            shutil.rmtree(old, ignore_errors=True)
        except Exception:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls.open(p)

    def close(self) -> None:
        if self._store is not None and self.path is not None:
            self._store.flush()
        self._store = None

    def __enter__(self) -> "RDFStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def store(self) -> ox.Store:
        if self._store is None:
            raise StoreError(f"{self.path or 'memory store'}: the store is closed")
        return self._store

    def __len__(self) -> int:
        return len(self.store)

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs())

    def load(self, corpus: Corpus) -> None:
        """Replace the store's contents with the corpus (bulk load of N-Quads)."""
        self.store.clear()
        self.store.bulk_load(to_nquads(quads(corpus)), ox.RdfFormat.N_QUADS)

    def replace_document(self, doc_id: str, corpus: Corpus) -> None:
        """Swap in the document's graph as it is in `corpus` (dropped if it is not there)
        and rebuild the derived graph."""
        new = list(ox.parse(to_nquads(quads(corpus, documents=[doc_id])), ox.RdfFormat.N_QUADS))
        for graph in (ox.NamedNode(str(iri(doc_id))), ox.NamedNode(str(DERIVED))):
            if self.store.contains_named_graph(graph):
                self.store.remove_graph(graph)
        self.store.extend(new)

    def quads(self) -> Iterator[ox.Quad]:
        return iter(self.store)

    def query(self, name_or_text: str, params: dict[str, str] | None = None
              ) -> tuple[list[str], list[tuple]]:
        """Run a named query (or SPARQL text) over the union of all graphs.

        Values are bound by the engine (`substitutions`), never pasted into the text."""
        text, params = _resolve(name_or_text, params)
        subs = {ox.Variable(k): ox.Literal(str(v)) for k, v in params.items()}
        try:
            result = self.store.query(text, use_default_graph_as_union=True, substitutions=subs)
        except (SyntaxError, OSError, ValueError) as e:
            raise QueryError(f"{name_or_text}: {e}") from e
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError(f"{name_or_text}: only SELECT queries give a table")
        columns = [v.value for v in result.variables if not v.value.startswith("param_")]
        return columns, [tuple(_py(sol[c]) for c in columns) for sol in result]

    def to_dataset(self) -> Dataset:
        ds = Dataset(default_union=True)
        bind_prefixes(ds)
        ds.parse(data=self.store.dump(format=ox.RdfFormat.N_QUADS), format="nquads")
        return ds

    def export(self, path: str | os.PathLike, format: str = "trig") -> Path:
        """Write the store as turtle, ntriples (all graphs merged), trig, nquads or jsonld."""
        fmt = format.lower()
        if fmt not in FORMATS:
            raise StoreError(f"{path}: unknown format {format!r}; use one of {', '.join(_QUOTED_FORMATS)}")
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        if fmt in ("jsonld", "json-ld"):
            context = json_context()
            self.to_dataset().serialize(tmp, format="json-ld", context=context, auto_compact=True)
        elif FORMATS[fmt] in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
            self.store.dump(str(tmp), FORMATS[fmt], prefixes=PREFIXES if fmt == "trig" else None)
        else:
            triples = self.store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
            data = ox.serialize(triples, format=FORMATS[fmt],
                                prefixes=PREFIXES if FORMATS[fmt] == ox.RdfFormat.TURTLE else None)
            tmp.write_bytes(data)
        tmp.replace(out)
        return out


def json_context() -> dict:
    import json

    return json.loads(files("ontology").joinpath("context.jsonld").read_text("utf-8"))["@context"]
