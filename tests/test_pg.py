"""The property-graph mapping and its networkx form (no engine needed)."""
from __future__ import annotations

import dataclasses

import networkx as nx
import pytest

from kg.pg import (NODE_SPECS, NODES, RELS, central_agencies, key_label_of, mapping_table,
                   node_key, theme_clusters, theme_cooccurrence, to_networkx, to_property_graph)
from kg.synthetic import generate
from pgkit import no_server_left_behind, small_corpus  # noqa: F401


@pytest.fixture(scope="module")
def graph():
    return to_property_graph(small_corpus())


def by_id(nodes):
    return {(n.key_label, n.id): n for n in nodes}


def test_every_node_and_relationship_is_in_the_mapping_table(graph):
    nodes, rels = graph
    declared = {(r.type, r.src, r.dst): set(r.props) for r in RELS}
    for n in nodes:
        assert set(n.props) <= set(NODE_SPECS[n.label].props)
        assert n.props["id"] == n.id
    for r in rels:
        key = (r.type, key_label_of(r.src_label), key_label_of(r.dst_label))
        assert key in declared and set(r.props) <= declared[key], key


def test_relationships_only_join_existing_nodes(graph):
    nodes, rels = graph
    ids = set(by_id(nodes))
    for r in rels:
        assert (key_label_of(r.src_label), r.src) in ids and (key_label_of(r.dst_label), r.dst) in ids, r


def test_statements_carry_kind_label_span_and_current_status(graph):
    nodes, _ = graph
    n = by_id(nodes)
    f1 = n[("Statement", "st-f1")]
    assert f1.labels == ("Statement", "Finding")
    assert f1.props["quote"] == "Health practitioners are not part of strategy discussions."
    assert (f1.props["start"], f1.props["end"], f1.props["page"]) == (10, 10 + len(f1.props["quote"]), 1)
    assert (f1.props["status"], f1.props["confidence"]) == ("addressed", 0.9)  # the reviewer's word
    assert n[("Statement", "st-f2")].props["status"] == "progress"  # the latest
    assert "status" not in n[("Statement", "st-r2")].props  # never assessed
    stat = n[("Statement", "st-s1")]
    assert stat.labels == ("Statement", "Statistic") and stat.props["value"] == 94.0
    assert n[("Statement", "st-r1")].props["due"] == "2018-07-15"


def test_followups_keep_review_and_rejected_links(graph):
    _, rels = graph
    fu = {r.props["id"]: r for r in rels if r.type == "FOLLOWED_UP_BY"}
    assert len(fu) == 7
    assert fu["fu-6"].props["reviewed"] == "rejected" and fu["fu-6"].props["reviewer"] == "jb"
    assert fu["fu-4"].props["cues"] == ["up from"] and fu["fu-4"].props["score"] == 0.66666


def test_agency_succession_hierarchy_and_stubs(graph):
    nodes, rels = graph
    succ = [r for r in rels if r.type == "SUCCEEDED_BY"]
    assert [(r.src, r.dst, r.props) for r in succ] == [("haringey/lscb", "haringey/scp", {"date": "2019-09-29"})]
    assert ("met/cait", "met") in {(r.src, r.dst) for r in rels if r.type == "SUBORGANIZATION_OF"}
    assert by_id(nodes)[("Agency", "met/cait")].props["aliases"] == ["CAIT", "child abuse team"]
    insp = {r.dst for r in rels if r.type == "CARRIED_OUT_BY"}
    assert insp == {"ofsted"}  # hmicfrs is not a known agency


def test_references_resolve_only_inside_the_corpus(graph):
    _, rels = graph
    assert {(r.src, r.dst) for r in rels if r.type == "REFERS_TO"} == {("ref-2", "doc-h1")}
    assert {(r.src, r.dst) for r in rels if r.type == "CITES"} == {("st-a1", "ref-2"), ("st-c1", "ref-1")}


def test_mapping_is_deterministic_and_documented():
    a, b = to_property_graph(small_corpus()), to_property_graph(small_corpus())
    assert [(n.label, n.id, n.props) for n in a[0]] == [(n.label, n.id, n.props) for n in b[0]]
    assert [(r.type, r.src, r.dst, r.props) for r in a[1]] == [(r.type, r.src, r.dst, r.props) for r in b[1]]
    table = mapping_table()
    for spec in NODES:
        assert f"{spec.label}`" in table
    for spec in RELS:
        assert f"`{spec.type}`" in table


def test_unknown_property_is_refused():
    corpus = small_corpus()
    bad = dataclasses.replace(NODE_SPECS["Theme"], props=("id",))
    NODE_SPECS["Theme"] = bad
    try:
        with pytest.raises(ValueError, match="not in the mapping table"):
            to_property_graph(corpus)
    finally:
        NODE_SPECS["Theme"] = next(s for s in NODES if s.label == "Theme")


def test_networkx_has_the_same_nodes_and_edges():
    corpus = small_corpus()
    nodes, rels = to_property_graph(corpus)
    g = to_networkx(corpus)
    assert isinstance(g, nx.MultiDiGraph)
    assert g.number_of_nodes() == len(nodes) and g.number_of_edges() == len(rels)
    f1 = g.nodes[node_key("Finding", "st-f1")]
    assert f1["labels"] == ["Statement", "Finding"] and f1["status"] == "addressed"
    edges = g.get_edge_data(node_key("Finding", "st-f2"), node_key("Evidence", "st-e2"))
    assert edges["fu-3"]["type"] == "FOLLOWED_UP_BY" and edges["fu-3"]["relation"] == "contradicts"


def test_central_agencies_rank_agencies_of_open_findings():
    rows = central_agencies(to_networkx(small_corpus()), top=10)
    agencies = {r[0]: r for r in rows}
    assert set(agencies) == {"met/cait", "haringey/ccg", "met", "croydon/mash", "haringey/scp"}
    assert agencies["met/cait"][1:3] == ("Met CAIT", 1)
    assert [r[3] for r in rows] == sorted((r[3] for r in rows), reverse=True)


def test_theme_clusters_partition_the_co_occurring_themes():
    g = to_networkx(generate(200, seed=1))
    co = theme_cooccurrence(g)
    clusters = theme_clusters(g)
    assert sorted(t for c in clusters for t in c) == sorted(co.nodes)
    assert clusters == theme_clusters(g)
    assert all(w >= 1 for _, _, w in co.edges(data="weight"))


def test_synthetic_corpus_maps_completely():
    corpus = generate(300, seed=3)
    nodes, rels = to_property_graph(corpus)
    kinds = {n.label for n in nodes}
    assert {"Finding", "Recommendation", "Action", "Evidence", "Statistic", "Assessment", "Reference"} <= kinds
    assert sum(n.key_label == "Statement" for n in nodes) == len(corpus.statements)
    types = {r.type for r in rels}
    assert {"FOLLOWED_UP_BY", "RECURS_IN", "SUCCEEDED_BY", "HAS_ASSESSMENT", "CONCERNS", "HAS_THEME"} <= types


def test_only_document_owned_nodes_have_from():
    from kg.pg import OWNED_BY_DOCUMENT

    assert {r.src for r in RELS if r.type == "FROM"} == set(OWNED_BY_DOCUMENT)
