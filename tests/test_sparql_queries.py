"""The named SPARQL queries: they load, run on real stores, and give hand-checked answers."""
from __future__ import annotations

from pathlib import Path

import pytest

import queries
from kg.errors import QueryError
from kg.models import (Agency, Assessment, Corpus, Document, FollowUp, Inspection, Recurrence,
                       Reference, Span, Statement, Theme)
from kg.rdf import RDFStore, query_dataset, to_dataset
from kg.synthetic import generate

COLUMNS = {
    "open_findings_by_agency": ["agency", "label", "open"],
    "open_findings_by_theme": ["theme", "label", "open"],
    "open_findings_by_area": ["area", "label", "open"],
    "trace_finding": ["finding", "finding_quote", "evidence", "evidence_quote", "document", "date",
                      "relation", "score"],
    "status_as_of": ["finding", "area", "status"],
    "agencies_ranked_by_open_findings": ["agency", "label", "open", "total"],
    "recurring_weaknesses": ["finding_a", "area_a", "date_a", "finding_b", "area_b", "date_b", "score"],
    "conflicting_evidence": ["finding", "supports", "contradicts"],
    "actions_without_impact": ["action", "finding", "document", "date"],
    "overdue_recommendations": ["recommendation", "area", "due"],
    "referenced_inspections_not_in_corpus": ["reference", "kind", "date", "area", "document"],
    "findings_across_succession": ["finding", "agency", "status"],
    "theme_timeline": ["date", "document", "statement", "kind", "polarity"],
    "documents": ["document", "file", "kind", "area", "published", "statements"],
}
PARAMS = {
    "open_findings_by_agency": ["area"], "open_findings_by_theme": ["area"], "trace_finding": ["finding"],
    "status_as_of": ["as_of", "area"], "conflicting_evidence": ["area"], "actions_without_impact": ["area"],
    "overdue_recommendations": ["as_of"], "findings_across_succession": ["agency"],
    "theme_timeline": ["area", "theme"], "recurring_weaknesses": ["area"],
}


def _doc(id: str, kind: str, area: str, date: str, **kw) -> Document:
    return Document(id=id, file=f"{id}.pdf", sha256=id * 4, kind=kind, title=id, area=area, published=date, **kw)


def _st(id: str, doc: Document, kind: str, polarity: str | None, agencies: list[str], themes: list[str],
        **kw) -> Statement:
    quote = f"Quote of {id}."
    return Statement(id=id, doc=doc.id, kind=kind, polarity=polarity, section="s", text=quote,
                     span=Span(10, 10 + len(quote), quote), area=doc.area, date=doc.published,
                     agencies=agencies, themes=themes, **kw)


def _fu(id: str, finding: str, evidence: str, relation: str, reviewed: str | None = None) -> FollowUp:
    return FollowUp(id=id, finding=finding, evidence=evidence, relation=relation, score=0.9, method="test",
                    reviewed=reviewed, reviewer="rev" if reviewed else None)


def tiny() -> Corpus:
    """3 open findings in Haringey (f2 persists, f3 progress, f5 no evidence), f1 addressed, f4 open in Croydon."""
    d4 = _doc("doc-4", "jtai_letter", "croydon", "2016-05-01")
    d1 = _doc("doc-1", "jtai_letter", "haringey", "2018-01-10",
              inspection=Inspection("in-1", "jtai", "haringey", inspectorates=["ofsted"]),
              references=[Reference("ref-1", "jtai", "2016-05-01", "croydon", Span(0, 4, "JTAI"), resolved="doc-4"),
                          Reference("ref-2", "jtai", "2015-01-01", "haringey", Span(5, 9, "2015"))])
    d2 = _doc("doc-2", "action_plan", "haringey", "2018-06-01")
    d3 = _doc("doc-3", "annual_report", "haringey", "2019-03-01")
    s = [
        _st("st-f1", d1, "finding", "weakness", ["haringey/lscb"], ["front-door"]),
        _st("st-f2", d1, "finding", "weakness", ["haringey/police", "haringey/lscb"], ["neglect"]),
        _st("st-f3", d1, "recommendation", None, ["haringey/scp"], ["front-door"], due="2018-04-01"),
        _st("st-f5", d1, "recommendation", None, ["haringey/scp"], ["neglect"], due="2018-04-01"),
        _st("st-s1", d1, "finding", "strength", ["haringey/lscb"], ["front-door"]),
        _st("st-f4", d4, "finding", "weakness", ["croydon/csc"], ["front-door"]),
        _st("st-a1", d2, "action", None, ["haringey/lscb"], ["front-door"]),
        _st("st-a2", d2, "action", None, ["haringey/police"], ["neglect"]),
        _st("st-a3", d2, "action", None, ["haringey/scp"], ["front-door"]),
        _st("st-e1", d3, "evidence", "strength", ["haringey/lscb"], ["front-door"]),
        _st("st-e2", d3, "evidence", "weakness", ["haringey/police"], ["neglect"]),
    ]
    followups = [
        _fu("fu-1", "st-f1", "st-a1", "supports"), _fu("fu-2", "st-f1", "st-e1", "supports"),
        _fu("fu-3", "st-f1", "st-e2", "contradicts", "rejected"),
        _fu("fu-4", "st-f2", "st-e1", "supports"), _fu("fu-5", "st-f2", "st-e2", "contradicts"),
        _fu("fu-6", "st-f5", "st-a1", "supports", "rejected"), _fu("fu-7", "st-f3", "st-a3", "mentions"),
        _fu("fu-8", "st-f2", "st-a2", "mentions", "confirmed"),
    ]
    a = Assessment
    assessments = [
        a("st-f1", "no_evidence", 0.5, "", "2018-01-10"), a("st-f1", "progress", 0.6, "", "2018-06-01"),
        a("st-f1", "addressed", 0.9, "", "2019-03-01"),
        a("st-f2", "no_evidence", 0.5, "", "2018-01-10"), a("st-f2", "progress", 0.6, "", "2019-03-01"),
        a("st-f2", "persists", 1.0, "reviewer", "2018-06-01", set_by="person"),
        a("st-f3", "no_evidence", 0.5, "", "2018-01-10"), a("st-f3", "progress", 0.5, "", "2018-06-01"),
        a("st-f5", "no_evidence", 0.5, "", "2018-01-10"),
        a("st-f4", "no_evidence", 0.5, "", "2016-05-01"),
    ]
    agencies = [
        Agency("haringey/lscb", "Haringey LSCB", "partnership", "partnership", "haringey",
               succeeded_by="haringey/scp", succession_date="2019-09-29"),
        Agency("haringey/scp", "Haringey SCP", "partnership", "partnership", "haringey"),
        Agency("haringey/police", "Haringey police", "police-force", "police", "haringey"),
        Agency("croydon/csc", "Croydon CSC", "service", "children-social-care", "croydon"),
        Agency("ofsted", "Ofsted", "inspectorate", "inspectorate"),
    ]
    return Corpus(documents=[d1, d2, d3, d4], statements=s, followups=followups, assessments=assessments,
                  recurrences=[Recurrence("rc-1", "st-f4", "st-f1", 0.8, ["front-door"])], agencies=agencies,
                  themes=[Theme("front-door", "Front door"), Theme("neglect", "Neglect")],
                  areas={"haringey": "Haringey", "croydon": "Croydon"})


@pytest.fixture(scope="module")
def store() -> RDFStore:
    s = RDFStore.memory()
    s.load(tiny())
    return s


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory) -> RDFStore:
    return RDFStore.build(tmp_path_factory.mktemp("rdf") / "store", generate(400, seed=3))


def test_library_lists_every_query_with_header():
    assert queries.names() == sorted(COLUMNS)
    for name in queries.names():
        q = queries.load("sparql", name)
        first = q.text.splitlines()[:2]
        assert first[0].startswith(f"# {name} — ") and first[1].startswith("# params:")
        assert list(q.params) == PARAMS.get(name, []), name
        assert q.description
    assert "status_as_of(as_of, area)" in queries.describe()


def test_unknown_query_lists_valid_names(store):
    with pytest.raises(QueryError, match="open_findings_by_area"):
        queries.load("sparql", "open_findingz")
    with pytest.raises(QueryError, match="valid names"):
        store.query("no_such_query", {})
    with pytest.raises(QueryError, match="unknown parameter"):
        store.query("documents", {"area": "x"})


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_every_query_runs_on_synthetic_corpus(synthetic_store, name):
    values = {"area": "haringey", "as_of": "2019-06-30", "agency": "haringey/lscb", "theme": "front-door",
              "finding": synthetic_store.query("status_as_of", {"as_of": "2030-01-01"})[1][0][0]}
    columns, rows = synthetic_store.query(name, {p: values[p] for p in PARAMS.get(name, [])})
    assert columns == COLUMNS[name]
    assert rows, f"{name} gave no rows on the synthetic corpus"
    assert all(len(r) == len(columns) for r in rows)


def test_the_store_in_memory_answers_as_the_store_on_disk(synthetic_store, tmp_path):
    synthetic_store.export(tmp_path / "graph.nq", "nquads")
    in_memory = RDFStore.memory(tmp_path / "graph.nq")
    finding = synthetic_store.query("status_as_of", {"as_of": "2030-01-01"})[1][0][0]
    for name in COLUMNS:
        for area in ("", "haringey"):
            params = {"area": area, "as_of": "2019-06-30", "agency": "haringey/lscb", "theme": "front-door",
                      "finding": finding}
            params = {p: params[p] for p in PARAMS.get(name, [])}
            on_disk = synthetic_store.query(name, params)
            assert on_disk[1], (name, area)
            assert in_memory.query(name, params) == on_disk, (name, area)


def test_every_query_given_an_area_starts_from_the_block_queries_readme_documents():
    """The start block is copied into each query (SPARQL has no include, and each file must run
    on its own): every copy is the one in queries/README.md, "Where a query starts"."""
    readme = (Path(queries.__file__).parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Where a query starts", 1)[1]
    documented = section.split("```sparql", 1)[1].split("```", 1)[0].strip().splitlines()
    block = " ".join(" ".join(line.split()) for line in documented[:3])  # the three UNION branches
    with_area = [n for n, ps in PARAMS.items() if "area" in ps]
    assert len(with_area) >= 7
    for name in with_area:
        text = " ".join(queries.load("sparql", name).text.split())
        assert block in text, name


def test_recurrences_of_an_area_are_the_pairs_with_a_weakness_in_it(synthetic_store):
    """Given an area, recurring_weaknesses starts from that area's weaknesses; a pair reaching
    into another area keeps that area and date, and "" gives every pair."""
    everything = synthetic_store.query("recurring_weaknesses")[1]
    assert any(r[1] != r[4] for r in everything)  # pairs across areas
    areas = sorted({row[3] for row in synthetic_store.query("documents")[1] if row[3]})
    for area in areas + ["nowhere"]:
        got = synthetic_store.query("recurring_weaknesses", {"area": area})[1]
        assert got == [r for r in everything if area in (r[1], r[4])], area


def test_open_counts(store):
    assert store.query("open_findings_by_area")[1] == [("haringey", "Haringey", 3), ("croydon", "Croydon", 1)]
    assert store.query("open_findings_by_agency", {"area": "haringey"})[1] == [
        ("haringey/scp", "Haringey SCP", 2), ("haringey/lscb", "Haringey LSCB", 1),
        ("haringey/police", "Haringey police", 1)]
    assert store.query("open_findings_by_agency", {"area": ""})[1][-1] == ("haringey/police", "Haringey police", 1)
    assert store.query("open_findings_by_theme", {"area": ""})[1] == [
        ("front-door", "Front door", 2), ("neglect", "Neglect", 2)]
    assert store.query("agencies_ranked_by_open_findings")[1] == [
        ("haringey/scp", "Haringey SCP", 2, 2), ("haringey/lscb", "Haringey LSCB", 1, 2),
        ("croydon/csc", "Croydon CSC", 1, 1), ("haringey/police", "Haringey police", 1, 1)]


# The two ranking queries as they were before the build stored the counts: they count the statements.
_PREFIXES = """PREFIX sgkg: <https://w3id.org/safeguarding-kg/def#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
COUNTING = {
    "agencies_ranked_by_open_findings": _PREFIXES + """
SELECT ?agency (MIN(STR(?lbl)) AS ?label) ?open ?total
WHERE {
  { SELECT ?ag (COUNT(DISTINCT ?open_f) AS ?open) (COUNT(DISTINCT ?f) AS ?total)
    WHERE { ?f sgkg:isOpen ?isOpen ; sgkg:concerns ?ag . BIND(IF(?isOpen, ?f, ?none) AS ?open_f) }
    GROUP BY ?ag }
  ?ag dcterms:identifier ?agency .
  OPTIONAL { ?ag rdfs:label ?lbl }
}
GROUP BY ?agency ?open ?total
ORDER BY DESC(?open) DESC(?total) ?agency""",
    "open_findings_by_area": _PREFIXES + """
SELECT ?area (MIN(STR(?lbl)) AS ?label) ?open
WHERE {
  { SELECT ?ar (COUNT(DISTINCT ?f) AS ?open) WHERE { ?f sgkg:area ?ar . ?f sgkg:isOpen true } GROUP BY ?ar }
  ?ar dcterms:identifier ?area .
  OPTIONAL { ?ar rdfs:label ?lbl }
}
GROUP BY ?area ?open
ORDER BY DESC(?open) ?area""",
}


@pytest.mark.parametrize("name", sorted(COUNTING))
def test_the_counts_the_build_stores_are_the_statements_counted(store, synthetic_store, name):
    for s in (store, synthetic_store):
        rows = s.query(name)[1]
        assert rows and rows == s.query(COUNTING[name])[1]
    assert len(synthetic_store.query(name)[1]) > 5  # six areas, more agencies


def test_status_as_of_and_person_override(store):
    rows = dict((f, s) for f, _, s in store.query("status_as_of", {"as_of": "2019-06-01", "area": "haringey"})[1])
    assert rows == {"st-f1": "addressed", "st-f2": "progress", "st-f3": "progress", "st-f5": "no_evidence"}
    rows = dict((f, s) for f, _, s in store.query("status_as_of", {"as_of": "2018-06-01", "area": ""})[1])
    assert rows["st-f2"] == "persists" and rows["st-f1"] == "progress" and rows["st-f4"] == "no_evidence"
    assert store.query("status_as_of", {"as_of": "2016-01-01", "area": ""})[1] == []
    rows = dict((f, s) for f, _, s in store.query("status_as_of", {"as_of": "", "area": "haringey"})[1])
    assert rows["st-f2"] == "progress" and rows["st-f1"] == "addressed"
    assert store.query("findings_across_succession", {"agency": "haringey/scp"})[1] == [
        ("st-f1", "haringey/lscb", "addressed"), ("st-f2", "haringey/lscb", "persists"),
        ("st-f3", "haringey/scp", "progress"), ("st-f5", "haringey/scp", "no_evidence")]


def test_followup_questions(store):
    assert store.query("conflicting_evidence", {"area": "haringey"})[1] == [("st-f2", 1, 1)]
    assert store.query("actions_without_impact", {"area": ""})[1] == [("st-a3", "st-f3", "doc-2", "2018-06-01")]
    assert store.query("overdue_recommendations", {"as_of": "2018-12-31"})[1] == [("st-f5", "haringey", "2018-04-01")]
    assert store.query("overdue_recommendations", {"as_of": "2018-04-01"})[1] == []
    assert store.query("overdue_recommendations", {"as_of": ""})[1] == [("st-f5", "haringey", "2018-04-01")]
    assert len(store.query("findings_across_succession", {"agency": ""})[1]) == 6
    columns, rows = store.query("trace_finding", {"finding": "st-f1"})
    assert [(r[2], r[4], r[5], r[6], r[7]) for r in rows] == [
        ("st-a1", "doc-2", "2018-06-01", "supports", 0.9), ("st-e1", "doc-3", "2019-03-01", "supports", 0.9)]
    assert rows[0][1] == "Quote of st-f1." and rows[1][3] == "Quote of st-e1."
    assert store.query("trace_finding", {"finding": "st-f5"})[1] == [
        ("st-f5", "Quote of st-f5.", None, None, None, None, None, None)]


def test_reference_recurrence_timeline_documents(store):
    assert store.query("referenced_inspections_not_in_corpus")[1] == [
        ("ref-2", "jtai", "2015-01-01", "haringey", "doc-1")]
    assert store.query("recurring_weaknesses")[1] == [
        ("st-f4", "croydon", "2016-05-01", "st-f1", "haringey", "2018-01-10", 0.8)]
    rows = store.query("theme_timeline", {"area": "haringey", "theme": "neglect"})[1]
    assert [r[2] for r in rows] == ["st-f2", "st-f5", "st-a2", "st-e2"]
    assert rows[0] == ("2018-01-10", "doc-1", "st-f2", "finding", "weakness")
    assert rows[1][4] is None
    assert len(store.query("theme_timeline", {"area": "", "theme": ""})[1]) == 11
    assert store.query("documents")[1] == [
        ("doc-4", "doc-4.pdf", "jtai_letter", "croydon", "2016-05-01", 1),
        ("doc-1", "doc-1.pdf", "jtai_letter", "haringey", "2018-01-10", 5),
        ("doc-2", "doc-2.pdf", "action_plan", "haringey", "2018-06-01", 3),
        ("doc-3", "doc-3.pdf", "annual_report", "haringey", "2019-03-01", 2)]


def test_rdflib_in_memory_gives_the_same_answers(store):
    ds = to_dataset(tiny())
    args = {"area": "haringey", "as_of": "2018-12-31", "finding": "st-f2", "agency": "haringey/lscb",
            "theme": "front-door"}
    for name in queries.names():
        params = {p: args[p] for p in PARAMS.get(name, [])}
        assert query_dataset(ds, name, params) == store.query(name, params), name


PAYLOADS = ['"', "'", '" } UNION { ?s ?p ?o } #', "haringey\" || true || \"", "} UNION {", "{", "\\",
            "haringey' . ?x ?y ?z . FILTER('", ">\n<http://evil> <p> <o> .", "\u0000", "st-f1\"@en"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_payloads_change_nothing(store, payload):
    before = len(store)
    assert store.query("open_findings_by_agency", {"area": payload})[1] == []
    assert store.query("trace_finding", {"finding": payload})[1] == []
    assert store.query("findings_across_succession", {"agency": payload})[1] == []
    assert store.query("theme_timeline", {"area": "haringey", "theme": payload})[1] == []
    store.query("status_as_of", {"as_of": payload, "area": payload})
    store.query("overdue_recommendations", {"as_of": payload})
    assert len(store) == before
