"""The embedded FalkorDB engine: start/stop, load, replacement, persistence, the query library."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import queries
from kg.errors import QueryError
from kg.falkor import RDB_FILE, FalkorEngine, FalkorServer
from kg.pg import to_property_graph
from kg.pgstore import index_labels, query_names
from pgkit import falkor_children, no_server_left_behind, small_corpus  # noqa: F401

README = Path(__file__).resolve().parents[1] / "queries" / "README.md"


def readme_table() -> dict[str, tuple[list[str], list[str]]]:
    out = {}
    for line in README.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"[a-z_]+", cells[0]) and cells[0] != "name":
            split = lambda s: [x.strip() for x in s.split(",") if x.strip() not in ("", "—")]
            out[cells[0]] = (split(cells[1]), split(cells[2]))
    return out


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with FalkorEngine.open(tmp_path_factory.mktemp("falkor")) as e:
        e.load(small_corpus())
        yield e


def graph_state(e: FalkorEngine):
    nodes = e.query("MATCH (n) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props")[1]
    rels = e.query("MATCH (a)-[r]->(b) RETURN a.id, type(r), b.id, properties(r)")[1]
    canon = lambda rows: sorted(repr(r) for r in rows)
    return canon(nodes), canon(rels)


def test_server_runs_on_loopback_and_stops_saving_the_rdb(tmp_path):
    server = FalkorServer(tmp_path).start()
    try:
        assert server.process.poll() is None and server.bolt_port is None
        assert server.process.pid in falkor_children()
        args = server.process.args
        assert args[args.index("--bind") + 1] == "127.0.0.1" and args[args.index("--save") + 1] == ""
    finally:
        server.stop()
    assert server.process is None and falkor_children() == []
    assert (tmp_path / RDB_FILE).exists()


def test_a_server_that_stops_answering_is_an_error_not_a_hang(tmp_path):
    """A FalkorDB that hangs (here: frozen with SIGSTOP) fails each command after the timeout,
    once, without silent retries, and the engine still stops its server."""
    import os
    import signal
    import time

    from kg.errors import StoreError

    with pytest.raises(StoreError, match="could not save"):
        with FalkorEngine.open(tmp_path, timeout=1) as e:
            e.load(small_corpus())
            pid = e.server.process.pid
            os.kill(pid, signal.SIGSTOP)
            try:
                for call in (lambda: e.query("documents"), lambda: e.load(small_corpus())):
                    started = time.monotonic()
                    with pytest.raises((QueryError, StoreError), match="[Tt]imeout"):
                        call()
                    assert time.monotonic() - started < 5
            finally:
                e.server.stop_timeout = 1
    assert falkor_children() == []


def test_a_server_that_hangs_at_its_first_graph_is_started_again(tmp_path, monkeypatch):
    """FalkorDB 4.16 now and then deadlocks making the first graph of a new server. The first
    server here is frozen (SIGSTOP) as soon as it answers PING: `open` kills it and gives an
    engine on a second server that holds the graph."""
    import os
    import signal

    started, real_start = [], FalkorServer.start

    def start_and_freeze_the_first(self):
        real_start(self)
        started.append(self.process.pid)
        if len(started) == 1:
            os.kill(self.process.pid, signal.SIGSTOP)
        return self

    monkeypatch.setattr(FalkorServer, "start", start_and_freeze_the_first)
    monkeypatch.setattr(FalkorEngine, "FIRST_ANSWER", 1.0)
    with FalkorEngine.open(tmp_path) as e:
        assert len(started) == 2 and e.server.process.pid == started[1]
        assert e.server.command_timeout == 300.0
        assert not os.path.exists(f"/proc/{started[0]}")  # killed and reaped
        e.load(small_corpus())
        assert e.counts() == tuple(map(len, to_property_graph(small_corpus())))
    assert falkor_children() == []


def test_load_matches_the_mapping_and_is_idempotent(engine):
    nodes, rels = to_property_graph(small_corpus())
    assert engine.counts() == (len(nodes), len(rels))
    before = graph_state(engine)
    engine.load(small_corpus())
    assert graph_state(engine) == before


def test_batches_of_any_size_give_the_same_graph(engine, tmp_path):
    with FalkorEngine.open(tmp_path, batch_size=3) as small:
        small.load(small_corpus())
        assert graph_state(small) == graph_state(engine)


def _canonical(e: FalkorEngine):
    """Every node (labels, properties with their types) and relationship, order-free."""
    norm = lambda props: sorted((k, type(v).__name__, repr(v)) for k, v in props.items())
    nodes = e.query("MATCH (n) RETURN labels(n), properties(n)")[1]
    rels = e.query("MATCH (a)-[r]->(b) RETURN a.id, type(r), b.id, properties(r)")[1]
    return (sorted(repr((sorted(labels), norm(p))) for labels, p in nodes),
            sorted(repr((a, t, b, norm(p))) for a, t, b, p in rels))


@pytest.mark.parametrize("which", ["hand-made", "samples", "samples in many calls"])
def test_the_bulk_load_makes_the_graph_the_cypher_load_makes(which, samples, tmp_path, monkeypatch):
    import kg.falkor_bulk as fb

    corpus = small_corpus() if which == "hand-made" else samples[0]
    calls = []
    if which == "samples in many calls":  # tokens of a few rows, calls of a few tokens
        monkeypatch.setattr(fb, "TOKEN_BYTES", 2_000)
        monkeypatch.setattr(fb, "CALL_BYTES", 8_000)
        send = fb.send
        monkeypatch.setattr(fb, "send", lambda execute, *a: send(lambda *c: calls.append(c[2]) or execute(*c), *a))
    graphs = []
    for how in ("load", "bulk_load"):
        with FalkorEngine.open(tmp_path / how) as e:
            counts = getattr(e, how)(corpus)
            graphs.append((_canonical(e), e.counts(), counts))
            indexes = {r[0] for r in e.query("CALL db.indexes() YIELD label, status")[1]}
            assert indexes == set(index_labels())
    (cypher, n1, _), (bulk, n2, made) = graphs
    assert n1 == n2 == (made["nodes"], made["relationships"]) and n1[0] > 30
    assert bulk == cypher
    if calls:
        assert len(calls) > 20 and calls[0] == b"BEGIN" and b"BEGIN" not in calls[1:]


def test_the_bulk_encoding_keeps_every_value_as_it_is():
    from kg.falkor_bulk import value

    assert value(" padded ") == b"\x03 padded \x00" and value("") == b"\x03\x00"
    assert value(True) == b"\x01\x01" and value(1)[0] == 4 and value(1.0)[0] == 2 and value(None) == b"\x00"
    assert value(["2019"])[9:] == b"\x03" + b"2019\x00"  # a year written as text stays text
    with pytest.raises(ValueError, match="NUL"):
        value("a\x00b")
    with pytest.raises(TypeError, match="cannot store"):
        value({"a": 1})


def test_graph_persists_in_the_folder(tmp_path):
    corpus = small_corpus()
    with FalkorEngine.open(tmp_path) as e:
        e.load(corpus)
        counts = e.counts()
    assert (tmp_path / RDB_FILE).stat().st_size > 0
    with FalkorEngine.open(tmp_path) as e:
        assert e.counts() == counts
        assert e.query("documents")[1]


def test_properties_survive_quotes_backslashes_newlines_and_unicode(engine):
    cols, rows = engine.query("MATCH (d:Document {id: $id}) RETURN d.title AS title, d.pages AS pages",
                              {"id": "doc-h2"})
    assert rows == [('Action "plan" \\ 2019', None)]
    text = 'line one\nline "two" \\ £ é — ✓'
    cols, rows = engine.query("RETURN $t AS t", {"t": text})
    assert rows == [(text,)]
    rows = engine.query("MATCH (s:Statement {id: 'st-s1'}) RETURN s.quote, s.start, s.end, s.page, s.status, "
                        "s.confidence, s.value, s.unit")[1]
    assert rows == [("94% of checks within 5 days, up from 90%.", 10, 51, 1, None, None, 94.0, "%")]


def test_reingesting_a_document_replaces_its_statements_and_links(tmp_path):
    corpus = small_corpus()
    with FalkorEngine.open(tmp_path) as e:
        e.load(corpus)
        changed = dataclasses.replace(corpus)
        changed.statements = [s for s in corpus.statements if s.id != "st-f2"]
        f1 = next(s for s in changed.statements if s.id == "st-f1")
        changed.statements[changed.statements.index(f1)] = dataclasses.replace(f1, agencies=["met"], mentioned=[])
        changed.followups = [f for f in corpus.followups if "st-f2" not in (f.finding, f.evidence)]
        changed.assessments = [a for a in corpus.assessments if a.finding != "st-f2"]
        changed.recurrences = []
        e.load(changed)
        expected = to_property_graph(changed)
        assert e.counts() == (len(expected[0]), len(expected[1]))
        assert e.query("MATCH (s:Statement {id: 'st-f2'}) RETURN s.id")[1] == []
        assert e.query("MATCH (a:Assessment {finding: 'st-f2'}) RETURN a.id")[1] == []
        concerns = e.query("MATCH (:Statement {id: 'st-f1'})-[:CONCERNS|MENTIONS]->(a) RETURN a.id")[1]
        assert concerns == [("met",)]
        e.load(corpus)
        assert e.counts() == tuple(map(len, to_property_graph(corpus)))


def test_the_library_has_every_question_with_readme_params_and_columns(engine):
    table = readme_table()
    assert set(query_names()) == set(table) and len(table) == 14
    for name, (params, columns) in table.items():
        q = queries.load("cypher", name)
        assert q.text.startswith(f"// {name} — ")
        assert list(q.params) == params, name
        cols, _ = engine.query(name, {p: "" for p in params})
        assert cols == columns, name


def test_named_queries_answer_the_hand_made_corpus(engine):
    assert sorted(engine.query("open_findings_by_area")[1]) == [
        ("croydon", "London Borough of Croydon", 1), ("haringey", "London Borough of Haringey", 3)]
    assert engine.query("conflicting_evidence", {"area": "haringey"})[1] == [("st-f2", 1, 1)]
    assert engine.query("actions_without_impact")[1] == [("st-a1", "st-r1", "doc-h2", "2019-06-01")]
    assert engine.query("overdue_recommendations", {"as_of": "2019-01-01"})[1] == [("st-r2", "haringey", "2018-04-15")]
    assert sorted(engine.query("findings_across_succession", {"agency": "haringey/scp"})[1]) == [
        ("st-c1", "haringey/scp", "no_evidence"), ("st-f1", "haringey/lscb", "addressed")]
    assert engine.query("status_as_of", {"as_of": "2019-01-01", "area": "haringey"})[1] == [
        ("st-f2", "haringey", "persists")]
    trace = engine.query("trace_finding", {"finding": "st-f3"})[1]
    assert trace == [("st-f3", "Leaders know their services well.", None, None, None, None, None, None)]
    assert engine.query("referenced_inspections_not_in_corpus")[1] == [("ref-1", "jtai", "2016-05-01", "croydon", "doc-h1")]


def test_query_errors_are_clear(engine):
    with pytest.raises(QueryError, match="unknown cypher query 'nope'"):
        engine.query("nope")
    with pytest.raises(QueryError, match="unknown parameter"):
        engine.query("documents", {"area": "x"})
    with pytest.raises(QueryError):
        engine.query("MATCH (n RETURN n")


def test_indexes_exist_for_every_key_label(engine):
    labels = {r[0] for r in engine.query("CALL db.indexes() YIELD label RETURN label")[1]}
    assert {"Statement", "Document", "Agency", "Area", "Theme", "Assessment", "Reference"} <= labels


def test_an_empty_folder_answers_with_empty_tables(tmp_path):
    with FalkorEngine.open(tmp_path) as e:
        assert e.counts() == (0, 0)
        cols, rows = e.query("documents")
        assert cols == ["document", "file", "kind", "area", "published", "statements"] and rows == []


def test_a_document_without_statements_counts_zero_in_both_languages(tmp_path):
    """The documents query reads the count stored on each document (sgkg:statementCount, the
    Document node's `statements`): a document nothing was extracted from says 0, not nothing."""
    from kg.models import Document
    from kg.rdf import RDFStore

    corpus = small_corpus()
    empty = Document(id="doc-empty", file="empty.pdf", sha256="e" * 64, kind="news", title="t", area=None,
                     published="2020-01-01")
    corpus = dataclasses.replace(corpus, documents=[*corpus.documents, empty])
    rdf = RDFStore.memory()
    rdf.load(corpus)
    with FalkorEngine.open(tmp_path) as e:
        e.bulk_load(corpus)
        answers = [dict((r[0], r[5]) for r in store.query("documents")[1]) for store in (rdf, e)]
    expected = {d.id: sum(s.doc == d.id for s in corpus.statements) for d in corpus.documents}
    assert answers[0] == answers[1] == expected and expected["doc-empty"] == 0 and max(expected.values()) > 0


def _plan(before, after, tmp_path):
    """`kg.pgstore.changes` between two corpora, from the digests their N-Quads indexes record."""
    from kg.pgstore import area_parts, changes
    from kg.rdf_map import graph_sources, write_nquads

    parts = [area_parts(c, *graph_sources(c, write_nquads(c, tmp_path / f"{i}.nq")), program="p")
             for i, c in enumerate((before, after))]
    return changes(*parts)


def test_an_update_writes_only_the_changed_areas_and_makes_the_graph_a_full_load_makes(tmp_path):
    """From a graph of corpus A, an update to B (Croydon's documents gone, so that Croydon is
    only an area its agencies name; a Leeds follow-up reviewed; the recurrence and the agencies'
    parents gone) gives
    exactly the graph a full load of B gives. Haringey's nodes are the ones that were there
    (FalkorDB's own node ids unchanged); Leeds' were written again, and the area-less
    document's, whose derived graph is the national one: never trusted."""
    from kg.synthetic import generate

    before = generate(60, seed=1)
    gone = {d.id for d in before.documents if d.area == "croydon"}
    after = dataclasses.replace(before, documents=[d for d in before.documents if d.id not in gone],
                                statements=[s for s in before.statements if s.doc not in gone],
                                areas={k: v for k, v in before.areas.items() if k != "croydon"}, recurrences=[],
                                agencies=[dataclasses.replace(a, parent=None) if a.parent else a for a in before.agencies])
    kept = {s.id for s in after.statements}
    after.followups = [f for f in before.followups if f.finding in kept and f.evidence in kept]
    after.assessments = [a for a in before.assessments if a.finding in kept and a.last_evidence in kept | {None}]
    area = {s.id: s.area for s in after.statements}
    leeds = next(i for i, f in enumerate(after.followups) if area[f.finding] == "leeds")
    after.followups[leeds] = dataclasses.replace(after.followups[leeds], reviewed="rejected", reviewer="A Scrutineer")
    assert before.recurrences and any(a.area == "croydon" for a in after.agencies)

    documents, removed = _plan(before, after, tmp_path)
    areas = lambda corpus, ids: {d.area for d in corpus.documents if d.id in ids}
    assert areas(after, documents) == {"leeds", None} and areas(before, removed) == {"croydon", "leeds", None}

    node_ids = "MATCH (s:Statement) RETURN s.area, s.id, id(s) ORDER BY s.id"
    with FalkorEngine.open(tmp_path / "full") as e:
        e.bulk_load(after)
        want = _canonical(e)
    with FalkorEngine.open(tmp_path / "updated") as e:
        e.bulk_load(before)
        was = {id_: n for area_, id_, n in e.query(node_ids)[1]}
        made = e.update(after, documents, removed)
        assert _canonical(e) == want and (made["nodes"], made["relationships"]) == e.counts()
        now = {(area_, id_): n for area_, id_, n in e.query(node_ids)[1]}
        assert e.query("MATCH (a:Area {id: 'croydon'}) RETURN properties(a)")[1] == [({"id": "croydon"},)]
    assert all(was[id_] == n for (area_, id_), n in now.items() if area_ == "haringey")
    assert {area_ for (area_, id_), n in now.items() if was[id_] != n} == {"leeds", None}
    assert len(want[1]) > 200


def test_areas_joined_by_a_citation_are_never_updated_apart():
    from kg.pgstore import area_parts, changes

    corpus = small_corpus()  # a Croydon statement cites a reference of a Haringey document
    parts = area_parts(corpus, {d.id: "d" for d in corpus.documents}, {s.area: "j" for s in corpus.statements}, "p")
    assert parts is None and changes(parts, parts) is None
    corpus.statements = [dataclasses.replace(s, refers_to=None) if s.id == "st-c1" else s for s in corpus.statements]
    parts = area_parts(corpus, {d.id: "d" for d in corpus.documents}, {s.area: "j" for s in corpus.statements}, "p")
    assert changes(parts, parts) == ([], [])
    assert changes(parts, {**parts, "program": "q"}) is None


def test_a_rebuild_updates_the_previous_property_graph_and_leaves_that_one_as_it_was(tmp_path, monkeypatch):
    """A new document, a review decision and a removed document: each rebuild starts from the
    previous build's graph and writes again only the changed areas' parts; the graph is then
    the one a full load of the same corpus makes, and the previous build's file is unchanged."""
    import hashlib
    import json
    import shutil

    from conftest import three_changes
    from kg import export
    from kg.pipeline import build, sample_corpus

    monkeypatch.setattr(export, "UPDATE_SHARE", 1.0)  # five documents: any change is a large share
    samples = sorted(sample_corpus().glob("*.txt"))
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for f in samples[:4]:
        shutil.copy(f, src / f.name)
    report = lambda: json.loads((out / "graphs.json").read_text())["property_graph"]["written"]

    def rebuild(step: str) -> None:
        previous = tmp_path / "previous.rdb"
        previous.hardlink_to(out / "graph" / RDB_FILE)  # the file itself, wherever the build moves it
        kept = hashlib.sha256(previous.read_bytes()).hexdigest()
        r = build([src], out, workers=1, site=False, validate=False)
        assert re.fullmatch(r"the previous graph with the parts of \d+ of \d+ documents written again", report()), step
        assert hashlib.sha256(previous.read_bytes()).hexdigest() == kept, step
        with FalkorEngine.open(tmp_path / f"full-{step}") as full:
            full.bulk_load(r.corpus)
            want = _canonical(full)
        with FalkorEngine.open(out / "graph") as e:
            assert _canonical(e) == want and len(want[1]) > 1000, step
        previous.unlink()

    build([src], out, workers=1, site=False, validate=False)
    assert report() == "loaded in full"
    three_changes(src, out, rebuild)
    monkeypatch.setattr(export, "UPDATE_SHARE", 0.0)
    (src / samples[1].name).unlink()
    build([src], out, workers=1, site=False, validate=False)
    assert re.fullmatch(r"loaded in full \(\d+ of \d+ documents' parts changed\)", report())
