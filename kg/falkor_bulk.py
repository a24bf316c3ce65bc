"""Load a whole corpus into a new FalkorDB graph with one `GRAPH.BULK` call (or a few).

A fresh build's property graph goes in this way: FalkorDB then creates the nodes and
relationships itself instead of running a million Cypher `MERGE`s (national graph: its time
in the server ~50 s -> ~2 s). The result is the graph `kg.pgstore.write` makes (tested);
updating a graph that is already there (a document replaced) stays with `pgstore.write`.

FalkorDB's `falkordb-bulk-loader` package was not used: it reads CSV files and on the way
trims strings, re-types list elements ('2019' -> 2019) and drops empty strings. The binary
format below is the one that tool sends (FalkorDB src/bulk_insert/bulk_insert.c):

    GRAPH.BULK <graph> [BEGIN] <nodes> <relationships> <node tokens> <relationship tokens> <token>...
    token        = name NUL (labels joined by ':'), uint32 property count, (property NUL)..., entities
    node         = one value per property
    relationship = uint64 source node, uint64 target node, one value per property
    value        = uint8 type, then 0 null (skipped) | 1 bool | 2 double | 3 string NUL | 4 int64
                   | 5 array: int64 length, values

Node ids are implicit (0, 1, 2, … in the order sent), which is why the graph must be new.
Values are encoded by their exact Python type; anything else is an error, never a guess.
"""
from __future__ import annotations

import struct
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kg.pg import Node, Rel, key_label_of

TOKEN_BYTES = 32_000_000  # one label's (or type's) rows are split into tokens of about this size
CALL_BYTES = 64_000_000  # Redis refuses an argument over 512 MB and a request over 1 GB; tokens are made
# as they are sent, so this is also about what is held encoded at once

_EDGE = struct.Struct("=QQ").pack


def _text(v: str) -> bytes:
    b = v.encode("utf-8")
    if b"\x00" in b:
        raise ValueError(f"a property value holds a NUL character: {v[:40]!r}")
    return b"\x03" + b + b"\x00"


_ENCODE: dict[type, Callable[[Any], bytes]] = {
    type(None): lambda v: b"\x00",
    bool: lambda v: struct.pack("=B?", 1, v),
    float: lambda v: struct.pack("=Bd", 2, v),
    str: _text,
    int: lambda v: struct.pack("=Bq", 4, v),
    list: lambda v: struct.pack("=Bq", 5, len(v)) + b"".join(value(x) for x in v),
}
_ENCODE[tuple] = _ENCODE[list]


def value(v: Any) -> bytes:
    """One property value, by its exact type (a bool is not an int, '2019' stays a string)."""
    try:
        return _ENCODE[type(v)](v)
    except KeyError:
        raise TypeError(f"cannot store {type(v).__name__} value {v!r} in FalkorDB") from None


def _tokens(name: str, keys: list[str], rows: Iterator[bytes], rel: bool) -> Iterator[tuple[bytes, int, bool]]:
    head = name.encode() + b"\x00" + struct.pack("=I", len(keys)) + b"".join(k.encode() + b"\x00" for k in keys)
    chunk: list[bytes] = []
    size = len(head)
    for r in rows:
        if chunk and size + len(r) > TOKEN_BYTES:
            yield head + b"".join(chunk), len(chunk), rel
            chunk, size = [], len(head)
        chunk.append(r)
        size += len(r)
    if chunk:
        yield head + b"".join(chunk), len(chunk), rel


def payload(nodes: list[Node], rels: list[Rel]) -> Iterator[tuple[bytes, int, bool]]:
    """The tokens to send, nodes first: (token, the number of entities it holds, whether they are
    relationships). Made as they are sent, and the lists are emptied as they are read, so the
    nodes and relationships already encoded are let go and only a call's tokens are held at once
    (nationally 0.35 GB of nodes and relationships, 0.14 GB of tokens).
    A relationship whose end node is missing is left out, as the Cypher loader's MATCH would."""
    by_labels: dict[tuple[str, ...], list[Node]] = defaultdict(list)
    for n in nodes:
        by_labels[n.labels].append(n)
    nodes.clear()
    ids: dict[tuple[str, str], int] = {}
    for labels in list(by_labels):
        group = by_labels.pop(labels)
        keys = list(dict.fromkeys(k for n in group for k in n.props))
        for n in group:
            ids[(n.key_label, n.id)] = len(ids)
        yield from _tokens(":".join(labels), keys, (b"".join([value(n.props.get(k)) for k in keys]) for n in group), False)
        del group
    by_type: dict[str, list[tuple[int, int, dict]]] = defaultdict(list)
    for r in rels:
        s, d = ids.get((key_label_of(r.src_label), r.src)), ids.get((key_label_of(r.dst_label), r.dst))
        if s is not None and d is not None:
            by_type[r.type].append((s, d, r.props))
    rels.clear()
    del ids
    for rtype in list(by_type):
        group = by_type.pop(rtype)
        keys = list(dict.fromkeys(k for *_, p in group for k in p))
        yield from _tokens(rtype, keys, (_EDGE(s, d) + b"".join([value(p.get(k)) for k in keys]) for s, d, p in group), True)
        del group


def send(execute: Callable[..., Any], graph: str, tokens: Iterable[tuple[bytes, int, bool]]) -> tuple[int, int]:
    """GRAPH.BULK calls of at most CALL_BYTES, in the order of `tokens` (nodes before
    relationships); (nodes, relationships) created."""
    created = [0, 0]
    batch: list[tuple[bytes, int, bool]] = []
    first = True

    def flush() -> None:
        nonlocal first
        if not batch:
            return
        nt = [t for t, _, rel in batch if not rel]
        rt = [t for t, _, rel in batch if rel]
        counts = [sum(c for _, c, rel in batch if not rel), sum(c for _, c, rel in batch if rel), len(nt), len(rt)]
        reply = execute("GRAPH.BULK", graph, *([b"BEGIN"] if first else []), *counts, *nt, *rt)
        reply = reply.decode() if isinstance(reply, bytes) else str(reply)
        made = reply.split(", ")  # "N nodes created, M edges created"
        created[0] += int(made[0].split()[0])
        created[1] += int(made[1].split()[0])
        first = False
        batch.clear()

    size = 0
    for token, count, rel in tokens:
        if batch and size + len(token) > CALL_BYTES:
            flush()
            size = 0
        batch.append((token, count, rel))
        size += len(token)
    flush()
    return created[0], created[1]
