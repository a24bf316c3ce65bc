"""Serving a store over SPARQL HTTP, and pushing a graph to someone else's SPARQL server."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kg.errors import StoreError
from kg.pipeline import die_with_parent
from kg.rdf import RDFStore


def oxigraph_binary() -> str:
    """The `oxigraph` server program (PyPI package `oxigraph`, the project's `server` extra)."""
    found = shutil.which("oxigraph") or shutil.which("oxigraph", path=str(Path(sys.executable).parent))
    if not found:
        raise StoreError("oxigraph: the SPARQL server program is not installed; "
                         "install it with `pip install 'safeguarding-kg[server]'` (or `pip install oxigraph`)")
    return found


def server_command(store_path: str | os.PathLike, host: str = "127.0.0.1", port: int = 7878,
                   read_only: bool = True) -> list[str]:
    """The command line that serves the store, querying the union of all graphs by default."""
    return [oxigraph_binary(), "serve-read-only" if read_only else "serve", "--location", str(store_path),
            "--bind", f"{host}:{port}", "--union-default-graph"]


def wait_until_up(url: str, process: subprocess.Popen | None = None, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            err = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            raise StoreError(f"{url}: the SPARQL server stopped at start ({process.returncode}): {err.strip()}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise StoreError(f"{url}: the SPARQL server did not answer within {timeout:.0f}s")


def _launch(command: list[str], url: str) -> subprocess.Popen:
    """Start the server, which dies with this process (a `kg serve` killed leaves no server behind)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=die_with_parent)
    try:
        wait_until_up(url, process)
    except BaseException:
        process.terminate()
        process.wait(5)
        raise
    return process


def start(store_path: str | os.PathLike, host: str = "127.0.0.1", port: int = 7878,
          read_only: bool = True) -> subprocess.Popen:
    """Start the server in the background and return once it answers; the caller stops it."""
    path = Path(store_path)
    if read_only and not path.is_dir():
        raise StoreError(f"{path}: no RDF store here (build one first)")
    return _launch(server_command(path, host, port, read_only), f"http://{host}:{port}/")


def start_in_memory(nquads_file: str | os.PathLike, host: str = "127.0.0.1", port: int = 7878,
                    timeout: float = 3600.0) -> subprocess.Popen:
    """Start a server that holds the N-Quads file (a build's `graph.nq`) in memory, and return
    once it is loaded. Queries answer several times faster than from the store on disk, for the
    graph's size in memory (2.7 GB nationally); the copy is writable by whoever can reach it,
    and is gone when the server stops."""
    path = Path(nquads_file)
    if not path.is_file():
        raise StoreError(f"{path}: no N-Quads file here (build one first)")
    base = f"http://{host}:{port}"
    process = _launch([oxigraph_binary(), "serve", "--bind", f"{host}:{port}", "--union-default-graph"], base + "/")
    try:
        with open(path, "rb") as body:
            request = urllib.request.Request(f"{base}/store", data=body, method="POST", headers={
                "Content-Type": "application/n-quads", "Content-Length": str(path.stat().st_size)})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
    except BaseException as exc:
        process.terminate()
        process.wait(10)
        if isinstance(exc, urllib.error.HTTPError):
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise StoreError(f"{path}: the SPARQL server refused it ({exc.code} {exc.reason}): {detail}") from exc
        if isinstance(exc, OSError):
            raise StoreError(f"{path}: cannot load it into the SPARQL server: {getattr(exc, 'reason', exc)}") from exc
        raise
    return process


def serve(process: subprocess.Popen) -> int:
    """Wait on a started server until it stops or Ctrl-C; returns its exit code."""
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait(10)


def _graphs(source: Dataset | RDFStore) -> dict[str, bytes]:
    """{graph IRI: N-Triples} for every named graph of the source."""
    if isinstance(source, RDFStore):
        store = source.store
        return {g.value: store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g) for g in store.named_graphs()}
    if isinstance(source, Dataset):
        out = {}
        for g in source.graphs():
            if g.identifier != DATASET_DEFAULT_GRAPH_ID and len(g):
                out[str(g.identifier)] = g.serialize(format="nt", encoding="utf-8")
        return out
    raise StoreError(f"push: expected an RDFStore or an rdflib Dataset, got {type(source).__name__}")


def graph_store_url(endpoint_url: str) -> str:
    """The Graph Store Protocol endpoint: as given, or `/store` on a bare server address (Oxigraph)."""
    parts = urllib.parse.urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StoreError(f"{endpoint_url}: not an http(s) URL")
    if parts.path in ("", "/"):
        parts = parts._replace(path="/store")
    return urllib.parse.urlunsplit(parts)


def push(source: Dataset | RDFStore, endpoint_url: str, timeout: float = 60.0) -> dict[str, int]:
    """Upload each named graph with an HTTP PUT (SPARQL 1.1 Graph Store Protocol), replacing
    what the server held under that graph name; returns {graph IRI: bytes sent}."""
    base = graph_store_url(endpoint_url)
    sent = {}
    for graph, body in sorted(_graphs(source).items()):
        sep = "&" if urllib.parse.urlsplit(base).query else "?"
        url = f"{base}{sep}{urllib.parse.urlencode({'graph': graph})}"
        request = urllib.request.Request(url, data=body, method="PUT",
                                         headers={"Content-Type": "application/n-triples"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:500]
            raise StoreError(f"{base}: PUT of graph <{graph}> refused ({e.code} {e.reason}): {detail}") from e
        except OSError as e:
            raise StoreError(f"{base}: cannot reach the SPARQL server: {getattr(e, 'reason', e)}") from e
        sent[graph] = len(body)
    return sent
