"""Every named question answers alike in Cypher on FalkorDB and in SPARQL on the RDF store."""
from __future__ import annotations

import pytest

import queries
from kg.falkor import FalkorEngine
from kg.pgstore import query_names
from kg.synthetic import generate
from pgkit import no_server_left_behind, small_corpus  # noqa: F401

rdf = pytest.importorskip("kg.rdf")


def normalise(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 3)
    return str(value)


def table(rows):
    return sorted((tuple(normalise(v) for v in row) for row in rows), key=repr)


def cases(corpus) -> list[tuple[str, dict[str, str]]]:
    """Each query with the parameter values that exercise it on this corpus."""
    findings = [s.id for s in corpus.statements if s.kind == "finding"]
    traced = {f.finding for f in corpus.followups}
    area = corpus.statements[0].area
    theme = next(t for s in corpus.statements for t in s.themes)
    succession = next(a.id for a in corpus.agencies if a.succeeded_by)
    values = {
        "area": ["", area, "nowhere"],
        "theme": ["", theme],
        "as_of": ["", "2016-01-01", "2019-01-01", "2021-06-30", "2030-01-01"],
        "finding": [next(f for f in findings if f in traced), next(f for f in findings if f not in traced), "st-none"],
        "agency": ["", succession, corpus.agencies[0].id, "no-such-agency"],
    }
    out = []
    for name in query_names():
        combos = [{}]
        for p in queries.load("cypher", name).params:
            combos = [dict(c, **{p: v}) for c in combos for v in values[p]]
        out += [(name, c) for c in combos]
    return out


CORPORA = {"hand-made": small_corpus, "synthetic-3000": lambda: generate(3000)}


@pytest.fixture(scope="module", params=list(CORPORA))
def stores(request, tmp_path_factory):
    corpus = CORPORA[request.param]()
    store = rdf.RDFStore.memory()
    store.load(corpus)
    with FalkorEngine.open(tmp_path_factory.mktemp("eq")) as engine:
        engine.load(corpus)
        yield corpus, engine, store


def test_cypher_and_sparql_answer_alike(stores):
    corpus, engine, store = stores
    failures = []
    for name, params in cases(corpus):
        c_cols, c_rows = engine.query(name, params)
        s_cols, s_rows = store.query(name, params)
        if c_cols != s_cols or table(c_rows) != table(s_rows):
            a, b = set(table(c_rows)), set(table(s_rows))
            failures.append(f"{name}{params}: columns {c_cols} / {s_cols}; "
                            f"cypher only {sorted(a - b, key=repr)[:3]}; sparql only {sorted(b - a, key=repr)[:3]}")
    assert not failures, "\n".join(failures)


def test_the_cases_return_rows(stores):
    corpus, engine, _ = stores
    empty = {name for name, params in cases(corpus) if engine.query(name, params)[1]}
    assert empty == set(query_names())
