"""A real Oxigraph server: read-only serving of a built store, and Graph Store Protocol pushes."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kg.errors import StoreError
from kg.models import is_target
from kg.rdf import DERIVED, RDFStore, derived_graph, iri, to_dataset
from kg.sparql_server import oxigraph_binary, push, start, start_in_memory

try:
    oxigraph_binary()
except StoreError:
    pytest.skip("the oxigraph server program is not installed", allow_module_level=True)

from kg.synthetic import generate

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sparql(base: str, query: str) -> list[dict]:
    url = f"{base}/query?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["results"]["bindings"]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    process = start(tmp_path / "server-store", port=port, read_only=False)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def corpus():
    return generate(40, seed=2)


def test_push_twice_replaces_instead_of_duplicating(server, corpus):
    ds = to_dataset(corpus)
    sent = push(ds, server)
    areas = {s.area for s in corpus.statements if is_target(s)}  # each has an open flag per finding
    assert set(sent) == ({str(iri(d.id)) for d in corpus.documents} | {str(DERIVED)}
                         | {str(derived_graph(a)) for a in areas})
    first = int(sparql(server, COUNT)[0]["n"]["value"])
    assert first == len(ds)
    store = RDFStore.memory()
    store.load(corpus)
    push(store, server + "/store")
    assert int(sparql(server, COUNT)[0]["n"]["value"]) == first


def test_serve_read_only_answers_over_union_of_graphs(tmp_path, corpus):
    path = tmp_path / "store"
    RDFStore.build(path, corpus).close()
    port = free_port()
    process = start(path, port=port)
    try:
        rows = sparql(f"http://127.0.0.1:{port}",
                      "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/safeguarding-kg/def#Document> }")
        assert int(rows[0]["n"]["value"]) == len(corpus.documents)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/store?default", data=b"", method="PUT",
                                         headers={"Content-Type": "application/n-triples"})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=10)
    finally:
        process.terminate()
        process.wait(10)


def test_serve_in_memory_answers_as_the_store_on_disk(tmp_path, corpus):
    from kg.rdf_map import write_nquads

    write_nquads(corpus, tmp_path / "graph.nq")
    RDFStore.build(tmp_path / "store", nquads_file=tmp_path / "graph.nq").close()
    per_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    open_by_area = ("PREFIX sgkg: <https://w3id.org/safeguarding-kg/def#> SELECT ?a (COUNT(?f) AS ?n) "
                    "WHERE { ?f sgkg:isOpen true ; sgkg:area ?a } GROUP BY ?a ORDER BY ?a")
    answers = []
    for launch in (lambda port: start(tmp_path / "store", port=port),
                   lambda port: start_in_memory(tmp_path / "graph.nq", port=port)):
        port = free_port()
        process = launch(port)
        try:
            answers.append([sparql(f"http://127.0.0.1:{port}", q) for q in (COUNT, per_graph, open_by_area)])
        finally:
            process.terminate()
            process.wait(10)
    assert int(answers[1][0][0]["n"]["value"]) == len(RDFStore.open(tmp_path / "store", read_only=True))
    assert answers[1][2], "no open findings counted"
    assert answers[1] == answers[0]
    with pytest.raises(StoreError, match="no N-Quads file"):
        start_in_memory(tmp_path / "missing.nq", port=free_port())
    (tmp_path / "broken.nq").write_text("not N-Quads {\n", encoding="utf-8")
    with pytest.raises(StoreError, match="broken.nq: the SPARQL server refused it"):
        start_in_memory(tmp_path / "broken.nq", port=free_port())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_a_server_dies_with_the_process_that_started_it(tmp_path, corpus):
    RDFStore.build(tmp_path / "store", corpus).close()
    port = free_port()
    starter = subprocess.Popen([sys.executable, "-c", "import sys, time; from kg.sparql_server import start; "
                                f"start({str(tmp_path / 'store')!r}, port={port}); print('up', flush=True); "
                                "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert starter.stdout.readline().strip() == "up"
        assert sparql(f"http://127.0.0.1:{port}", COUNT)
    finally:
        starter.kill()  # SIGKILL: no clean-up code of its own runs
        starter.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)):
                return
        time.sleep(0.1)
    pytest.fail(f"the server on port {port} outlived the process that started it")


def test_unreachable_server_is_a_clear_error(corpus):
    with pytest.raises(StoreError, match="cannot reach"):
        push(to_dataset(corpus), f"http://127.0.0.1:{free_port()}/store")
    with pytest.raises(StoreError, match="not an http"):
        push(to_dataset(corpus), "ftp://example.org/store")


def test_serving_a_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no RDF store"):
        start(tmp_path / "nothing", port=free_port())
