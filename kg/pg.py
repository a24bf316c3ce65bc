"""The property-graph form of a Corpus: one mapping table, two outputs.

`NODES` and `RELS` are the single statement of how records become labels,
relationship types and properties.  `to_property_graph` emits exactly that
(and checks itself against the table); every writer (FalkorDB, Neo4j, CSV)
and `to_networkx` consume its output, so nothing is mapped twice.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from kg.ids import stable_id
from kg.link import current, is_open
from kg.models import Assessment, Corpus, Span, is_target


@dataclass(frozen=True)
class NodeSpec:
    label: str
    record: str
    props: tuple[str, ...]
    super_label: str | None = None

    @property
    def key_label(self) -> str:
        return self.super_label or self.label


@dataclass(frozen=True)
class RelSpec:
    type: str
    src: str
    dst: str
    record: str
    props: tuple[str, ...] = ()


_SPAN = ("quote", "start", "end", "page", "prefix", "suffix")
_STATEMENT = ("id", "kind", "polarity", "section", "text", *_SPAN, "document", "area", "date",
              "due", "status", "confidence", "status_as_of")
_STATISTIC = ("value", "unit", "previous", "direction")

NODES: tuple[NodeSpec, ...] = (
    NodeSpec("Document", "Document", ("id", "file", "sha256", "kind", "title", "area", "published", "pages",
                                      "statements")),
    NodeSpec("Inspection", "Document.inspection",
             ("id", "kind", "area", "start", "end", "framework", "deep_dive", "inspectorates",
              "inspectors", "grades", "deadline")),
    NodeSpec("Area", "Corpus.areas (+ every area id referred to)", ("id", "label", "open_findings")),
    NodeSpec("Agency", "Agency (+ stub for every agency id referred to)",
             ("id", "label", "type", "role", "area", "aliases", "open_findings", "findings")),
    NodeSpec("Theme", "Theme (+ stub for every theme id referred to)", ("id", "label")),
    NodeSpec("Finding", "Statement kind=finding", _STATEMENT, "Statement"),
    NodeSpec("Recommendation", "Statement kind=recommendation", _STATEMENT, "Statement"),
    NodeSpec("Action", "Statement kind=action", _STATEMENT, "Statement"),
    NodeSpec("Evidence", "Statement kind=evidence", _STATEMENT, "Statement"),
    NodeSpec("Statistic", "Statement kind=statistic", _STATEMENT + _STATISTIC, "Statement"),
    NodeSpec("Assessment", "Assessment",
             ("id", "finding", "status", "confidence", "explanation", "as_of", "last_evidence", "set_by")),
    NodeSpec("Reference", "Document.references", ("id", "kind", "date", "area", *_SPAN, "resolved")),
    NodeSpec("Addressee", "Document.addressees", ("id", "name", "role", "organisation")),
)

RELS: tuple[RelSpec, ...] = (
    RelSpec("FROM", "Statement", "Document", "Statement.doc"),
    RelSpec("FROM", "Reference", "Document", "Document.references"),
    RelSpec("ABOUT", "Document", "Inspection", "Document.inspection"),
    RelSpec("IN_AREA", "Document", "Area", "Document.area"),
    RelSpec("IN_AREA", "Inspection", "Area", "Inspection.area"),
    RelSpec("IN_AREA", "Statement", "Area", "Statement.area"),
    RelSpec("IN_AREA", "Reference", "Area", "Reference.area"),
    RelSpec("CARRIED_OUT_BY", "Inspection", "Agency", "Inspection.inspectorates (known agency ids)"),
    RelSpec("ADDRESSED_TO", "Document", "Addressee", "Document.addressees"),
    RelSpec("MEMBER_OF", "Addressee", "Agency", "Addressee.agency"),
    RelSpec("OPERATES_IN", "Agency", "Area", "Agency.area"),
    RelSpec("SUBORGANIZATION_OF", "Agency", "Agency", "Agency.parent"),
    RelSpec("SUCCEEDED_BY", "Agency", "Agency", "Agency.succeeded_by", ("date",)),
    RelSpec("BROADER", "Theme", "Theme", "Theme.broader"),
    RelSpec("CONCERNS", "Statement", "Agency", "Statement.agencies"),
    RelSpec("MENTIONS", "Statement", "Agency", "Statement.mentioned"),
    RelSpec("HAS_THEME", "Statement", "Theme", "Statement.themes"),
    RelSpec("CITES", "Statement", "Reference", "Statement.refers_to"),
    RelSpec("REFERS_TO", "Reference", "Document", "Reference.resolved (document in corpus)"),
    RelSpec("FOLLOWED_UP_BY", "Statement", "Statement", "FollowUp (finding -> evidence)",
            ("id", "relation", "score", "method", "cues", "reviewed", "reviewer", "note")),
    RelSpec("HAS_ASSESSMENT", "Statement", "Assessment", "Assessment.finding"),
    RelSpec("BASED_ON", "Assessment", "Statement", "Assessment.last_evidence"),
    RelSpec("RECURS_IN", "Statement", "Statement", "Recurrence (a -> b)", ("id", "score", "themes")),
)

NODE_SPECS = {s.label: s for s in NODES}
KEY_LABELS: tuple[str, ...] = tuple(dict.fromkeys(s.key_label for s in NODES))
STATEMENT_LABELS = {"finding": "Finding", "recommendation": "Recommendation", "action": "Action",
                    "evidence": "Evidence", "statistic": "Statistic"}


def key_label_of(label: str) -> str:
    """The label a node is merged and indexed on (`Statement` for every statement kind)."""
    spec = NODE_SPECS.get(label)
    return spec.key_label if spec else label


OWNED_BY_DOCUMENT = ("Statement", "Reference")
ORPHANED_WITHOUT = {"Assessment": "HAS_ASSESSMENT", "Addressee": "ADDRESSED_TO"}


@dataclass(frozen=True, slots=True)  # slots: 1.4 million nodes and relationships nationally, 80 MB less
class Node:
    label: str
    id: str
    props: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key_label(self) -> str:
        return NODE_SPECS[self.label].key_label

    @property
    def labels(self) -> tuple[str, ...]:
        spec = NODE_SPECS[self.label]
        return (spec.super_label, spec.label) if spec.super_label else (spec.label,)


@dataclass(frozen=True, slots=True)
class Rel:
    type: str
    src: str
    dst: str
    props: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    src_label: str = ""
    dst_label: str = ""

    @property
    def key(self) -> str:
        """What tells this relationship apart from others of its type between the same nodes."""
        return f"{self.type}|{self.dst}|{self.props.get('id', '')}"


def _clean(props: dict[str, Any]) -> dict[str, Any]:
    """Drop nulls and empty lists: neither engine stores them and CSV cannot tell them apart.
    NUL characters are removed from text: they break Cypher parameter parsing on FalkorDB and
    carry no meaning. (Called for every node and relationship, 1.4 M times nationally: the
    types are tested with `type() is`, which halves the time of `isinstance` and a helper.)"""
    out = {}
    for k, v in props.items():
        t = type(v)
        if t is str:
            out[k] = v.replace("\x00", "")
        elif t is list or t is tuple:
            if v:
                out[k] = [x.replace("\x00", "") if type(x) is str else x for x in v]
        elif v is not None:
            out[k] = v
    return out


def _span(span: Span) -> dict[str, Any]:
    return {"quote": span.quote, "start": span.start, "end": span.end, "page": span.page,
            "prefix": span.prefix or None, "suffix": span.suffix or None}


def assessment_id(a: Assessment) -> str:
    return stable_id("as", a.finding, a.as_of or "", a.set_by, a.status)


def finding_counts(corpus: Corpus, statuses: dict[str, Assessment]
                   ) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """Open and all weakness findings and recommendations per agency they concern, and open
    ones per area (open: `kg.link.is_open` of its current assessment, from `statuses`). Both graph
    forms store them on the agency and area nodes, so that the named queries ranking agencies
    and areas read a number each instead of counting 100,000 statements."""
    agencies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    areas: Counter[str] = Counter()
    for s in corpus.statements:
        if not is_target(s):
            continue
        open_ = is_open(statuses.get(s.id))
        for ag in dict.fromkeys(s.agencies):
            agencies[ag][0] += open_
            agencies[ag][1] += 1
        if open_ and s.area:
            areas[s.area] += 1
    return {k: (v[0], v[1]) for k, v in sorted(agencies.items())}, dict(sorted(areas.items()))


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[tuple[str, str], Node] = {}
        self.rels: dict[tuple[str, str, str], Rel] = {}

    def node(self, label: str, id: str, props: dict[str, Any]) -> None:
        spec = NODE_SPECS[label]
        clean = _clean({"id": id, **props})
        unknown = set(clean) - set(spec.props)
        if unknown:
            raise ValueError(f"{label}: properties {sorted(unknown)} are not in the mapping table")
        key = (spec.key_label, id)
        old = self.nodes.get(key)
        if old is None or (len(old.props) <= 1 and len(clean) > 1):
            self.nodes[key] = Node(label, id, clean)

    def stub(self, label: str, id: str | None) -> None:
        if id and (NODE_SPECS[label].key_label, id) not in self.nodes:
            self.nodes[(label, id)] = Node(label, id, {"id": id})

    def rel(self, type: str, src_label: str, src: str | None, dst_label: str, dst: str | None,
            props: dict[str, Any] | None = None) -> None:
        if not src or not dst:
            return
        rel = Rel(type, src, dst, _clean(props) if props else {}, src_label, dst_label)
        self.rels[(src_label, src, rel.key)] = rel


_RELSPEC_KEYS = {(r.type, r.src, r.dst): r for r in RELS}


def to_property_graph(corpus: Corpus, documents: Collection[str] | None = None) -> tuple[list[Node], list[Rel]]:
    """Nodes and relationships of the corpus, as the mapping table says.

    Given `documents` (ids), only those documents' own parts are made (`OWNED`: the document,
    its inspection, addressees, references and statements, their assessments and the follow-ups
    from them) besides everything national: areas, themes and agencies (stubs included) with
    their counts, and the relationships `NATIONAL_RELS`. That is what a graph loaded from an
    earlier corpus needs when only those documents' parts changed (`kg.pgstore.update_statements`)."""
    b = _Builder()
    for area, label in corpus.areas.items():
        b.node("Area", area, {"label": label})
    for t in corpus.themes:
        b.node("Theme", t.id, {"label": t.label})
    for a in corpus.agencies:
        b.node("Agency", a.id, {"label": a.label, "type": a.type, "role": a.role, "area": a.area,
                                "aliases": a.aliases})
    agency_ids = {a.id for a in corpus.agencies}
    doc_ids = {d.id for d in corpus.documents}
    statement_ids = {s.id for s in corpus.statements}
    keep = None if documents is None else set(documents)

    counts = Counter(s.doc for s in corpus.statements)
    for d in corpus.documents:
        if keep is not None and d.id not in keep:
            continue
        b.node("Document", d.id, {"file": d.file, "sha256": d.sha256, "kind": d.kind, "title": d.title,
                                  "area": d.area, "published": d.published, "pages": d.pages,
                                  "statements": counts[d.id]})
        b.rel("IN_AREA", "Document", d.id, "Area", d.area)
        if i := d.inspection:
            b.node("Inspection", i.id, {
                "kind": i.kind, "area": i.area, "start": i.start, "end": i.end, "framework": i.framework,
                "deep_dive": i.deep_dive, "inspectorates": i.inspectorates, "inspectors": i.inspectors,
                "grades": json.dumps(i.grades, sort_keys=True) if i.grades else None,
                "deadline": i.deadline})
            b.rel("ABOUT", "Document", d.id, "Inspection", i.id)
            b.rel("IN_AREA", "Inspection", i.id, "Area", i.area)
            for who in i.inspectorates:
                if who in agency_ids:
                    b.rel("CARRIED_OUT_BY", "Inspection", i.id, "Agency", who)
        for ad in d.addressees:
            ad_id = stable_id("ad", d.id, ad.name, ad.role, ad.organisation)
            b.node("Addressee", ad_id, {"name": ad.name, "role": ad.role, "organisation": ad.organisation})
            b.rel("ADDRESSED_TO", "Document", d.id, "Addressee", ad_id)
            b.rel("MEMBER_OF", "Addressee", ad_id, "Agency", ad.agency)
        for r in d.references:
            b.node("Reference", r.id, {"kind": r.kind, "date": r.date, "area": r.area,
                                       "resolved": r.resolved, **_span(r.span)})
            b.rel("FROM", "Reference", r.id, "Document", d.id)
            b.rel("IN_AREA", "Reference", r.id, "Area", r.area)

    now = current(corpus.assessments)
    kept = statement_ids if keep is None else set()
    for s in corpus.statements:
        if keep is not None:
            if s.doc not in keep:
                continue
            kept.add(s.id)
        a = now.get(s.id)
        props = {"kind": s.kind, "polarity": s.polarity, "section": s.section, "text": s.text,
                 **_span(s.span), "document": s.doc, "area": s.area, "date": s.date, "due": s.due,
                 "status": a.status if a else None,
                 "confidence": a.confidence if a else None,
                 "status_as_of": a.as_of if a else None}
        if s.statistic:
            st = s.statistic
            props |= {"value": st.value, "unit": st.unit, "previous": st.previous, "direction": st.direction}
        b.node(STATEMENT_LABELS[s.kind], s.id, props)
        b.rel("FROM", "Statement", s.id, "Document", s.doc if s.doc in doc_ids else None)
        b.rel("IN_AREA", "Statement", s.id, "Area", s.area)
        for type, ids, label in (("CONCERNS", s.agencies, "Agency"), ("MENTIONS", s.mentioned, "Agency"),
                                 ("HAS_THEME", s.themes, "Theme")):
            for target in ids:
                b.rel(type, "Statement", s.id, label, target)
        if s.refers_to:
            b.rel("CITES", "Statement", s.id, "Reference", s.refers_to)

    for a in corpus.assessments:
        if a.finding not in kept:
            continue
        aid = assessment_id(a)
        b.node("Assessment", aid, {"finding": a.finding, "status": a.status, "confidence": a.confidence,
                                   "explanation": a.explanation, "as_of": a.as_of,
                                   "last_evidence": a.last_evidence, "set_by": a.set_by})
        b.rel("HAS_ASSESSMENT", "Statement", a.finding, "Assessment", aid)
        if a.last_evidence in statement_ids:
            b.rel("BASED_ON", "Assessment", aid, "Statement", a.last_evidence)

    for f in corpus.followups:
        if f.finding in kept and f.evidence in statement_ids:
            b.rel("FOLLOWED_UP_BY", "Statement", f.finding, "Statement", f.evidence, {
                "id": f.id, "relation": f.relation, "score": f.score, "method": f.method, "cues": f.cues,
                "reviewed": f.reviewed, "reviewer": f.reviewer, "note": f.note})
    _national(b, corpus, doc_ids, statement_ids, now)

    reference_ids = {k[1] for k in b.nodes if k[0] == "Reference"}
    rels = [r for r in b.rels.values() if r.type != "CITES" or r.dst in reference_ids]
    for r in rels:
        spec = _RELSPEC_KEYS.get((r.type, r.src_label, r.dst_label))
        if spec is None or set(r.props) - set(spec.props):
            raise ValueError(f"{r.type} {r.src_label}->{r.dst_label} {sorted(r.props)} is not in the mapping table")
    return list(b.nodes.values()), rels


OWNED = ("Document", "Inspection", "Addressee", "Reference", "Statement", "Assessment")  # key labels
NATIONAL_RELS = ("BROADER", "OPERATES_IN", "SUBORGANIZATION_OF", "SUCCEEDED_BY", "REFERS_TO", "RECURS_IN")


def _national(b: _Builder, corpus: Corpus, doc_ids: set[str], statement_ids: set[str],
              now: dict[str, Assessment]) -> None:
    """What does not belong to one document: stubs for every area, agency and theme referred to,
    the relationships `NATIONAL_RELS` and the open and total counts."""
    for t in corpus.themes:
        for broader in t.broader:
            b.stub("Theme", broader)
            b.rel("BROADER", "Theme", t.id, "Theme", broader)
    for a in corpus.agencies:
        for target, label in ((a.area, "Area"), (a.parent, "Agency"), (a.succeeded_by, "Agency")):
            b.stub(label, target)
        b.rel("OPERATES_IN", "Agency", a.id, "Area", a.area)
        b.rel("SUBORGANIZATION_OF", "Agency", a.id, "Agency", a.parent)
        b.rel("SUCCEEDED_BY", "Agency", a.id, "Agency", a.succeeded_by, {"date": a.succession_date})
    for d in corpus.documents:
        b.stub("Area", d.area)
        if d.inspection:
            b.stub("Area", d.inspection.area)
        for ad in d.addressees:
            b.stub("Agency", ad.agency)
        for r in d.references:
            b.stub("Area", r.area)
            if r.resolved in doc_ids:
                b.rel("REFERS_TO", "Reference", r.id, "Document", r.resolved)
    for s in corpus.statements:
        b.stub("Area", s.area)
        for ids, label in ((s.agencies, "Agency"), (s.mentioned, "Agency"), (s.themes, "Theme")):
            for target in ids:
                b.stub(label, target)
    for r in corpus.recurrences:
        if r.a in statement_ids and r.b in statement_ids:
            b.rel("RECURS_IN", "Statement", r.a, "Statement", r.b, {"id": r.id, "score": r.score, "themes": r.themes})
    agency_counts, area_counts = finding_counts(corpus, now)  # once every node exists, stubs included
    for ag, (open_, total) in agency_counts.items():
        b.nodes[("Agency", ag)].props.update(open_findings=open_, findings=total)
    for area, open_ in area_counts.items():
        b.nodes[("Area", area)].props.update(open_findings=open_)


def mapping_table() -> str:
    """The mapping as Markdown, for the README."""
    lines = ["| label | from record | properties |", "|---|---|---|"]
    for s in NODES:
        label = f"{s.super_label}:{s.label}" if s.super_label else s.label
        lines.append(f"| `{label}` | {s.record} | {', '.join(s.props)} |")
    lines += ["", "| relationship | from → to | from record | properties |", "|---|---|---|---|"]
    for r in RELS:
        lines.append(f"| `{r.type}` | {r.src} → {r.dst} | {r.record} | {', '.join(r.props) or '—'} |")
    return "\n".join(lines)


def node_key(label: str, id: str) -> str:
    """The networkx node key: `KeyLabel:id` (statements share the key label `Statement`)."""
    return f"{key_label_of(label)}:{id}"


def to_networkx(corpus: Corpus) -> nx.MultiDiGraph:
    """The same nodes and relationships as the property graph, in networkx.

    Node keys are `KeyLabel:id`; node attribute `labels` holds the graph labels and the rest are
    the node's properties.  Edge keys are the relationship's `id` property or its type; edge
    attribute `type` holds the relationship type."""
    nodes, rels = to_property_graph(corpus)
    g = nx.MultiDiGraph()
    for n in nodes:
        g.add_node(node_key(n.label, n.id), labels=list(n.labels), **n.props)
    for r in rels:
        g.add_edge(node_key(r.src_label, r.src), node_key(r.dst_label, r.dst),
                   key=r.props.get("id", r.type), type=r.type, **r.props)
    return g


def _is_open(data: dict[str, Any]) -> bool:
    finding_like = data.get("kind") == "recommendation" or (
        data.get("kind") == "finding" and data.get("polarity") == "weakness")
    return finding_like and data.get("status") != "addressed"


def central_agencies(g: nx.MultiDiGraph, top: int = 10) -> list[tuple[str, str | None, int, float]]:
    """Agencies most central to open findings: PageRank over the graph of open findings, the
    agencies they concern and the agency hierarchy.  Rows: (agency, label, open, centrality)."""
    h = nx.Graph()
    open_count: dict[str, int] = defaultdict(int)
    for u, v, data in g.edges(data=True):
        if data["type"] == "CONCERNS" and _is_open(g.nodes[u]):
            h.add_edge(u, v)
            open_count[v] += 1
        elif data["type"] == "SUBORGANIZATION_OF":
            h.add_edge(u, v)
    if not open_count:
        return []
    rank = nx.pagerank(h)
    agencies = sorted(open_count, key=lambda n: (-rank[n], n))[:top]
    return [(g.nodes[n]["id"], g.nodes[n].get("label"), open_count[n], round(rank[n], 6)) for n in agencies]


def theme_cooccurrence(g: nx.MultiDiGraph, open_only: bool = False) -> nx.Graph:
    """Themes joined by how many statements carry both (edge attribute `weight`)."""
    themes_of: dict[str, list[str]] = defaultdict(list)
    for u, v, data in g.edges(data=True):
        if data["type"] == "HAS_THEME" and (not open_only or _is_open(g.nodes[u])):
            themes_of[u].append(g.nodes[v]["id"])
    co = nx.Graph()
    for themes in themes_of.values():
        themes = sorted(set(themes))
        co.add_nodes_from(themes)
        for i, a in enumerate(themes):
            for b in themes[i + 1:]:
                w = co.get_edge_data(a, b, {"weight": 0})["weight"]
                co.add_edge(a, b, weight=w + 1)
    return co


def theme_clusters(g: nx.MultiDiGraph, min_weight: int = 1, open_only: bool = False,
                   seed: int = 0) -> list[list[str]]:
    """Groups of themes that tend to be raised together (Louvain communities of the
    co-occurrence graph, edges below `min_weight` dropped), largest first."""
    co = theme_cooccurrence(g, open_only)
    co.remove_edges_from([(a, b) for a, b, w in co.edges(data="weight") if w < min_weight])
    communities = nx.community.louvain_communities(co, weight="weight", seed=seed)
    return sorted((sorted(c) for c in communities), key=lambda c: (-len(c), c))
