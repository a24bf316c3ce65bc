"""Pushing to a Bolt server (FalkorDB's experimental Bolt port, started here), its error
messages, and the neo4j-admin CSV export."""
from __future__ import annotations

import csv
import dataclasses
import time

import pytest

from kg.errors import StoreError
from kg.falkor import FalkorEngine, FalkorServer, free_port
from kg.neo4j_push import export_neo4j_csv, push_neo4j, query_neo4j
from kg.pg import to_property_graph
from pgkit import no_server_left_behind, small_corpus  # noqa: F401

PASSWORD = "s3cret-Pa55word"
# FalkorDB's Bolt port: no auth when the server has no password; messages over ~4.5 KB crash it.
BOLT = dict(user="falkordb", password="", database="kg", timeout=1)
PUSH = dict(batch_size=20, max_batch_bytes=3000)
COUNT = "MATCH (n) WITH count(n) AS nodes OPTIONAL MATCH ()-[r]->() RETURN nodes, count(r) AS rels"


@pytest.fixture(scope="module")
def bolt(tmp_path_factory):
    server = FalkorServer(tmp_path_factory.mktemp("bolt"), bolt=True, stop_timeout=5).start()
    try:
        yield f"bolt://127.0.0.1:{server.bolt_port}"
    finally:
        server.stop(save=False)


def counts(uri, database="kg"):
    return query_neo4j(uri, BOLT["user"], BOLT["password"], COUNT, database=database, timeout=1)[1][0]


def test_unreachable_server_fails_fast_without_the_password():
    port = free_port()
    start = time.monotonic()
    with pytest.raises(StoreError) as err:
        push_neo4j(small_corpus(), f"bolt://127.0.0.1:{port}", "neo4j", PASSWORD, timeout=2)
    assert time.monotonic() - start < 10
    message = str(err.value)
    assert f"127.0.0.1:{port}" in message and "cannot reach" in message
    assert PASSWORD not in message


def test_a_bad_address_is_a_store_error():
    with pytest.raises(StoreError) as err:
        push_neo4j(small_corpus(), "http://127.0.0.1:7474", "neo4j", PASSWORD)
    assert "not a usable Bolt address" in str(err.value) and PASSWORD not in str(err.value)


def test_push_is_batched_complete_and_idempotent(bolt):
    corpus = small_corpus()
    nodes, rels = to_property_graph(corpus)
    seen = []
    result = push_neo4j(corpus, bolt, progress=lambda stage, done, total: seen.append((stage, done, total)),
                        **BOLT, **PUSH)
    assert result == {"nodes": len(nodes), "relationships": len(rels), "constraints": 0}
    assert {s for s, _, _ in seen} == {"replace", "nodes", "relationships"}
    assert all(done <= total for _, done, total in seen)
    assert counts(bolt) == (len(nodes), len(rels))
    push_neo4j(corpus, bolt, **BOLT, **PUSH)
    assert counts(bolt) == (len(nodes), len(rels))


def test_repushing_a_document_replaces_its_own_nodes_and_links(bolt):
    corpus = small_corpus()
    push_neo4j(corpus, bolt, **BOLT, **PUSH)
    changed = dataclasses.replace(corpus)
    changed.statements = [s for s in corpus.statements if s.id != "st-e2"]
    changed.followups = [f for f in corpus.followups if f.evidence != "st-e2"]
    changed.assessments = [dataclasses.replace(a, last_evidence=None) if a.last_evidence == "st-e2" else a
                           for a in corpus.assessments]
    push_neo4j(changed, bolt, **BOLT, **PUSH)
    nodes, rels = to_property_graph(changed)
    assert counts(bolt) == (len(nodes), len(rels))
    rows = query_neo4j(bolt, BOLT["user"], "", "MATCH (s:Statement {id: 'st-e2'}) RETURN s.id", database="kg", timeout=1)
    assert rows == (["s.id"], [])
    push_neo4j(corpus, bolt, **BOLT, **PUSH)
    assert counts(bolt) == tuple(map(len, to_property_graph(corpus)))


def test_named_queries_over_bolt_answer_as_the_embedded_engine(bolt, tmp_path):
    corpus = small_corpus()
    push_neo4j(corpus, bolt, **BOLT, **PUSH)
    with FalkorEngine.open(tmp_path) as engine:
        engine.load(corpus)
        for name, params in (("open_findings_by_agency", {"area": "haringey"}), ("documents", {}),
                             ("trace_finding", {"finding": "st-f2"})):
            expected = engine.query(name, params)
            got = query_neo4j(bolt, BOLT["user"], "", name, params, database="kg", timeout=1)
            assert got[0] == expected[0] and sorted(map(repr, got[1])) == sorted(map(repr, expected[1])), name


def test_csv_export_has_neo4j_admin_headers_and_every_row(tmp_path):
    corpus = small_corpus()
    nodes, rels = to_property_graph(corpus)
    files = export_neo4j_csv(corpus, tmp_path)
    node_rows, rel_rows, ids = 0, 0, set()
    for path in files:
        if path.suffix != ".csv":
            continue
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        if path.name.startswith("nodes_"):
            assert header[0].startswith("id:ID(") and header[1] == ":LABEL"
            node_rows += len(body)
            space = header[0][len("id:ID("):-1]
            ids |= {(space, r[0]) for r in body}
        else:
            assert header[0].startswith(":START_ID(") and header[1].startswith(":END_ID(") and header[2] == ":TYPE"
            rel_rows += len(body)
            src, dst = header[0][len(":START_ID("):-1], header[1][len(":END_ID("):-1]
            assert all((src, r[0]) in ids and (dst, r[1]) in ids for r in body), path.name
    assert node_rows == len(nodes) and rel_rows == len(rels)
    stats = (tmp_path / "nodes_Statistic.csv").read_text("utf-8").splitlines()
    assert "value:double" in stats[0] and "start:long" in stats[0] and "Statement;Statistic" in stats[1]
    fu = (tmp_path / "rels_FOLLOWED_UP_BY_Statement_Statement.csv").read_text("utf-8").splitlines()[0]
    assert fu == ":START_ID(Statement),:END_ID(Statement),:TYPE,id:string,relation:string,score:double," \
                 "method:string,cues:string[],reviewed:string,reviewer:string,note:string"
    command = (tmp_path / "import.txt").read_text("utf-8")
    assert command.startswith("neo4j-admin database import full") and "--nodes=nodes_Finding.csv" in command
