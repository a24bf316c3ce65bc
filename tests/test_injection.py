"""Hostile values never change a graph or a query. The SPARQL named queries are already
tried with payloads in tests/test_sparql_queries.py; here: the Cypher named queries on
FalkorDB, and hostile *data* (text, titles, file names and ids that look like query syntax)
written to both stores and read back unchanged."""
from __future__ import annotations

import dataclasses

import pytest

import queries
from kg.errors import QueryError
from kg.falkor import FalkorEngine
from kg.pg import to_property_graph
from kg.rdf import RDFStore
from pgkit import falkor_children, no_server_left_behind, small_corpus  # noqa: F401

CYPHER = ["'", '"', "\\", "x' OR 1=1 //", "'}) DETACH DELETE n //", "x\"}) MATCH (n) DETACH DELETE n RETURN 1 //",
          "$area", "`", "haringey' RETURN 1 UNION MATCH (n) RETURN n //", "\u0000", "*/ MATCH (n) SET n.x=1 /*"]
HOSTILE = ['"> . <http://evil/s> <http://evil/p> <http://evil/o> <http://evil/g> .\n# ',
           "'}) MATCH (n) DETACH DELETE n //", "\\\" } ; DROP ALL ; INSERT DATA { <a> <b> <c> } #",
           "line\nbreak\r\ttab \u2028 sep", "<script>alert(1)</script>", "café — “quoted” ✓ 😀"]
FILTERS = {"area", "finding", "agency", "theme"}


def hostile_corpus():
    """The hand-made corpus with each statement's text and quote, each title and file name made hostile."""
    c = small_corpus()
    pick = lambda i: HOSTILE[i % len(HOSTILE)]
    c.documents = [dataclasses.replace(d, title=pick(i) + d.title, file=pick(i + 1) + d.file)
                   for i, d in enumerate(c.documents)]
    c.statements = [dataclasses.replace(s, text=pick(i) + s.text,
                                        span=dataclasses.replace(s.span, quote=pick(i) + s.span.quote))
                    for i, s in enumerate(c.statements)]
    return c


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with FalkorEngine.open(tmp_path_factory.mktemp("falkor")) as e:
        e.load(small_corpus())
        yield e


def _state(e: FalkorEngine):
    rows = e.query("MATCH (n) RETURN n.id, labels(n), properties(n)")[1]
    rels = e.query("MATCH (a)-[r]->(b) RETURN a.id, type(r), b.id, properties(r)")[1]
    return sorted(map(repr, rows)), sorted(map(repr, rels))


@pytest.mark.parametrize("payload", CYPHER)
def test_cypher_payloads_in_parameters_change_nothing(engine, payload):
    before = _state(engine)
    for name in queries.names("cypher"):
        params = queries.load("cypher", name).params
        if not params:
            continue
        try:
            _, rows = engine.query(name, {p: payload for p in params})
        except QueryError:
            # the falkordb client sends parameters as a `CYPHER name=value` text prefix, and the
            # server reads it as a C string: a NUL cuts it short and the query fails to parse
            assert payload == "\u0000", name
            continue
        if FILTERS & set(params):
            assert rows == [], name
    assert _state(engine) == before


def test_hostile_text_round_trips_through_falkordb(tmp_path):
    corpus = hostile_corpus()
    nodes, rels = to_property_graph(corpus)
    with FalkorEngine.open(tmp_path) as e:
        e.load(corpus)
        assert e.counts() == (len(nodes), len(rels))
        for s in corpus.statements:
            got = e.query("MATCH (s:Statement {id: $id}) RETURN s.text, s.quote", {"id": s.id})[1]
            assert got == [(s.text, s.span.quote)], s.id
        for d in corpus.documents:
            assert e.query("MATCH (d:Document {id: $id}) RETURN d.title, d.file", {"id": d.id})[1] == [(d.title, d.file)]


def test_hostile_text_round_trips_through_the_rdf_store():
    corpus, clean = hostile_corpus(), small_corpus()
    store, plain = RDFStore.memory(), RDFStore.memory()
    store.load(corpus)
    plain.load(clean)
    assert len(store) == len(plain) and store.graphs() == plain.graphs()
    assert not any("evil" in g for g in store.graphs())
    q = "SELECT ?t WHERE { ?s <http://purl.org/dc/terms/title> ?t }"
    assert sorted(r[0] for r in store.query(q)[1]) == sorted(d.title for d in corpus.documents)
    for s in corpus.statements:
        assert any(s.span.quote == r[0] for r in store.query("SELECT ?q WHERE { ?x ?p ?q }", {})[1]), s.id


def test_a_nul_character_in_text_does_not_break_the_graph_load(tmp_path):
    c = small_corpus()
    s = c.statements[0]
    c.statements[0] = dataclasses.replace(s, text="Nul\x00byte " + s.text)
    with FalkorEngine.open(tmp_path) as e:
        e.load(c)
        assert e.query("MATCH (s:Statement {id: $id}) RETURN count(s)", {"id": s.id})[1] == [(1,)]
