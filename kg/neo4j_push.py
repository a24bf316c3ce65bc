"""Neo4j (or any Bolt server): push a corpus, query it, or export CSVs for neo4j-admin import."""
from __future__ import annotations

import csv
import re
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from kg.errors import QueryError, StoreError
from kg.models import Corpus
from kg.pg import KEY_LABELS, NODE_SPECS, RELS, key_label_of, to_property_graph
from kg.pgstore import Progress, resolve, write

ENGINE = "neo4j"
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def _redact(text: str, password: str | None) -> str:
    text = re.sub(r"(//)[^/@\s]+@", r"\1***@", text)
    return text.replace(password, "***") if password else text


@contextmanager
def connect(uri: str, user: str, password: str, timeout: float = 10.0) -> Iterator[Any]:
    """A verified neo4j driver; StoreError (without the password) if the server cannot be
    reached or refuses the credentials.  A failed handshake is retried once: FalkorDB's Bolt
    port drops the handshake of every other new client."""
    try:
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable
    except ImportError as e:
        raise StoreError("pushing to Neo4j needs the neo4j driver: pip install neo4j") from e
    where = _redact(uri, password)
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
    if scheme not in BOLT_SCHEMES:
        raise StoreError(f"{where}: not a usable Bolt address (use {', '.join(s + '://' for s in BOLT_SCHEMES)})")
    try:
        driver = GraphDatabase.driver(uri, auth=(user, password), connection_timeout=timeout,
                                      connection_acquisition_timeout=timeout, max_transaction_retry_time=timeout)
    except (ValueError, DriverError) as e:
        raise StoreError(f"{where}: not a usable Bolt address ({_redact(str(e), password)})") from None
    try:
        for attempt in (1, 2):
            try:
                driver.verify_connectivity()
                break
            except AuthError:
                raise StoreError(f"{where}: the server refused the credentials of user {user!r}") from None
            except (ServiceUnavailable, OSError) as e:
                if attempt == 2:
                    raise StoreError(f"{where}: cannot reach the server ({_redact(str(e), password)})") from None
                time.sleep(0.1)
            except (Neo4jError, DriverError) as e:
                raise StoreError(f"{where}: {_redact(str(e), password)}") from None
        yield driver
    finally:
        driver.close()


def _is_neo4j(driver: Any, database: str | None) -> bool:
    """Only Neo4j itself is given constraints; FalkorDB's Bolt port rejects CREATE CONSTRAINT."""
    try:
        with driver.session(database=database) as s:
            names = [r["name"] for r in s.run("CALL dbms.components() YIELD name RETURN name")]
        return any(str(n).lower().startswith("neo4j") for n in names)
    except Exception:
        return False


def ensure_constraints(driver: Any, database: str | None = None) -> bool:
    """Uniqueness of `id` on every key label, created if missing; False when the server cannot have them."""
    if not _is_neo4j(driver, database):
        return False
    with driver.session(database=database) as s:
        for label in KEY_LABELS:
            s.run(f"CREATE CONSTRAINT sgkg_{label.lower()}_id IF NOT EXISTS "
                  f"FOR (n:{label}) REQUIRE n.id IS UNIQUE").consume()
    return True


def push_neo4j(corpus: Corpus, uri: str, user: str, password: str, batch_size: int = 1000,
               database: str | None = None, progress: Progress | None = None,
               timeout: float = 10.0, max_batch_bytes: int | None = None) -> dict[str, int]:
    """Upsert the corpus into a Bolt server with batched, parameterised UNWIND … MERGE.

    Idempotent: a second push of the same corpus changes nothing.  A document pushed again
    replaces its own statements, references and relationships.  On Neo4j each batch is a
    managed (retried) write transaction; other Bolt servers get auto-commit statements, since
    FalkorDB's Bolt port drops the writes of explicit transactions.  `max_batch_bytes` caps
    the JSON size of a batch for servers with small message limits."""
    with connect(uri, user, password, timeout) as driver:
        neo4j = ensure_constraints(driver, database)
        with driver.session(database=database) as session:
            def run(cypher: str, params: dict[str, Any]) -> None:
                try:
                    if neo4j:
                        session.execute_write(lambda tx: tx.run(cypher, params).consume())
                    else:
                        session.run(cypher, params).consume()
                except Exception as e:
                    raise StoreError(f"{_redact(uri, password)}: write failed: {_redact(str(e), password)}") from None
            counts = write(run, corpus, batch_size, progress, max_batch_bytes=max_batch_bytes)
    return {**counts, "constraints": int(neo4j)}


def query_neo4j(uri: str, user: str, password: str, name: str, params: dict[str, Any] | None = None,
                database: str | None = None, timeout: float = 10.0) -> tuple[list[str], list[tuple]]:
    """Run a named query (or Cypher text) on a Bolt server; (columns, rows)."""
    text, params = resolve(name, params, ENGINE)
    with connect(uri, user, password, timeout) as driver:
        with driver.session(database=database) as session:
            try:
                result = session.run(text, params)
                rows = [tuple(record.values()) for record in result]
                return list(result.keys()), rows
            except Exception as e:
                raise QueryError(f"{name if len(name) < 60 else 'query'}: {_redact(str(e), password)}") from None


def _csv_type(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, list) for v in present):
        return "string[]"
    if present and all(isinstance(v, bool) for v in present):
        return "boolean"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "long"
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "double"
    return "string"


def _cell(v: Any, array_delimiter: str) -> Any:
    if v is None:
        return ""
    if isinstance(v, list):
        return array_delimiter.join(str(x) for x in v)
    return v


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)


def export_neo4j_csv(corpus: Corpus, folder: str | Path, array_delimiter: str = "|") -> list[Path]:
    """Node and relationship CSVs with neo4j-admin import headers, one file per label and per
    relationship type, plus `import.txt` holding the matching `neo4j-admin database import` line.
    Ids live in one ID space per key label (`id:ID(Statement)`), so equal ids of different
    kinds never collide."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nodes, rels = to_property_graph(corpus)
    written: list[Path] = []
    node_args, rel_args = [], []

    by_label = defaultdict(list)
    for n in nodes:
        by_label[n.label].append(n)
    for label, group in sorted(by_label.items()):
        props = [p for p in NODE_SPECS[label].props if p != "id"]
        types = {p: _csv_type([n.props.get(p) for n in group]) for p in props}
        header = [f"id:ID({key_label_of(label)})", ":LABEL"] + [f"{p}:{types[p]}" for p in props]
        rows = [[n.id, ";".join(n.labels)] + [_cell(n.props.get(p), array_delimiter) for p in props] for n in group]
        path = folder / f"nodes_{label}.csv"
        _write_csv(path, header, rows)
        written.append(path)
        node_args.append(f"--nodes={path.name}")

    by_type = defaultdict(list)
    for r in rels:
        by_type[(r.type, key_label_of(r.src_label), key_label_of(r.dst_label))].append(r)
    declared = {(r.type, key_label_of(r.src), key_label_of(r.dst)): r.props for r in RELS}
    for (type, src, dst), group in sorted(by_type.items()):
        props = list(declared.get((type, src, dst), ()))
        types = {p: _csv_type([r.props.get(p) for r in group]) for p in props}
        header = [f":START_ID({src})", f":END_ID({dst})", ":TYPE"] + [f"{p}:{types[p]}" for p in props]
        rows = [[r.src, r.dst, type] + [_cell(r.props.get(p), array_delimiter) for p in props] for r in group]
        path = folder / f"rels_{type}_{src}_{dst}.csv"
        _write_csv(path, header, rows)
        written.append(path)
        rel_args.append(f"--relationships={path.name}")

    command = ("neo4j-admin database import full --multiline-fields=true "
               f"--array-delimiter='{array_delimiter}' " + " ".join(node_args + rel_args) + " neo4j")
    note = folder / "import.txt"
    note.write_text(command + "\n", encoding="utf-8")
    return written + [note]
