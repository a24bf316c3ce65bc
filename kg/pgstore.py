"""The Cypher write path and query library shared by FalkorDB and Neo4j.

A writer is given `run(cypher, params)`; everything it sends is a parameterised
`UNWIND $rows …` statement whose labels and types come from the mapping table
in kg.pg, never from data.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from importlib import resources
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from kg.errors import QueryError
from kg.models import Corpus
from kg.pg import (KEY_LABELS, NATIONAL_RELS, NODES, ORPHANED_WITHOUT, OWNED, Node, Rel, key_label_of,
                   to_property_graph)

Run = Callable[[str, dict[str, Any]], Any]
Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called after every batch."""

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a safe Cypher identifier: {name!r}")
    return name


def batches(rows: Sequence[Any], size: int, max_bytes: int | None = None) -> Iterator[list[Any]]:
    """Runs of at most `size` rows and, when given, about `max_bytes` of JSON."""
    batch: list[Any] = []
    used = 0
    for row in rows:
        cost = len(json.dumps(row, default=str)) + 1 if max_bytes else 0
        if batch and (len(batch) >= max(1, size) or (max_bytes and used + cost > max_bytes)):
            yield batch
            batch, used = [], 0
        batch.append(row)
        used += cost
    if batch:
        yield batch


def node_statements(nodes: Iterable[Node], keep_stubs: bool = True) -> list[tuple[str, list[dict[str, Any]]]]:
    """(cypher, rows) per label: MERGE on the key label's id, then add the specific label.
    Stubs (nodes known only by id, e.g. an agency no registry entry describes) are merged
    without touching what the graph already says about them, unless `keep_stubs` is false."""
    groups: dict[tuple[tuple[str, ...], bool], list[dict[str, Any]]] = defaultdict(list)
    for n in nodes:
        groups[(n.labels, keep_stubs and is_stub(n))].append({"id": n.id, "props": n.props})
    out = []
    for (labels, stub), rows in groups.items():
        key, *extra = map(_ident, labels)
        if stub:
            out.append((f"UNWIND $rows AS row MERGE (n:{key} {{id: row.id}})", rows))
        elif not extra:
            out.append((f"UNWIND $rows AS row MERGE (n:{key} {{id: row.id}}) SET n = row.props", rows))
        else:
            # Update the nodes already there, then create the rest with all their labels at once:
            # adding a label to an existing node (`SET n:Finding`) cost FalkorDB 1.7 ms a node on
            # the national graph (233 s for 133k findings), creating it with the label 0.06 ms.
            out.append((f"UNWIND $rows AS row MATCH (n:{key} {{id: row.id}}) SET n = row.props"
                        + "".join(f" SET n:{x}" for x in extra), rows))
            out.append((f"UNWIND $rows AS row OPTIONAL MATCH (m:{key} {{id: row.id}}) WITH row, m WHERE m IS NULL "
                        f"CREATE (n:{':'.join([key, *extra])}) SET n = row.props", rows))
    return out


def is_stub(n: Node) -> bool:
    return n.props.keys() <= {"id"}


def rel_statements(rels: Iterable[Rel]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[tuple[str, str, str, bool], list[dict[str, Any]]] = defaultdict(list)
    for r in rels:
        keyed = "id" in r.props
        groups[(r.type, key_label_of(r.src_label), key_label_of(r.dst_label), keyed)].append({"src": r.src, "dst": r.dst, "id": r.props.get("id"), "props": r.props})
    out = []
    for (type, src, dst, keyed), rows in groups.items():
        type, src, dst = _ident(type), _ident(src), _ident(dst)
        key = " {id: row.id}" if keyed else ""
        out.append((f"UNWIND $rows AS row MATCH (a:{src} {{id: row.src}}) MATCH (b:{dst} {{id: row.dst}}) "
                    f"MERGE (a)-[r:{type}{key}]->(b) SET r = row.props", rows))
    return out


def replacement_statements(nodes: Sequence[Node], rels: Sequence[Rel]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Statements that remove what a re-ingested document (or any pushed node) no longer has:
    statements and references of the document not in this push, relationships leaving a pushed
    node that this push does not have, then assessments and addressees left without an owner.
    On a graph that already equals the push they match nothing."""
    owned: dict[str, list[str]] = defaultdict(list)
    doc_ids = [n.id for n in nodes if n.label == "Document"]
    from_doc = {(r.src_label, r.src): r.dst for r in rels if r.type == "FROM"}
    for (label, src), doc in from_doc.items():
        owned[doc].append(src)
    # Only document-owned nodes have FROM; a label test on `s` would make FalkorDB scan every node.
    out = [("UNWIND $rows AS row MATCH (d:Document {id: row.id})<-[:FROM]-(s) "
            "WHERE NOT s.id IN row.keep DETACH DELETE s",
            [{"id": d, "keep": sorted(owned.get(d, []))} for d in doc_ids])]
    keep: dict[tuple[str, str], list[str]] = {(n.key_label, n.id): [] for n in nodes if not is_stub(n)}
    for r in rels:
        keep.setdefault((key_label_of(r.src_label), r.src), []).append(r.key)
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (label, id), keys in keep.items():
        by_label[label].append({"id": id, "keep": sorted(keys)})
    for label in KEY_LABELS:
        if by_label.get(label):
            out.append((f"UNWIND $rows AS row MATCH (n:{_ident(label)} {{id: row.id}})-[r]->(x) "
                        "WHERE NOT (type(r) + '|' + x.id + '|' + coalesce(r.id, '')) IN row.keep DELETE r",
                        by_label[label]))
    for label, rel in ORPHANED_WITHOUT.items():
        out.append((f"MATCH (n:{_ident(label)}) WHERE NOT ()-[:{_ident(rel)}]->(n) DETACH DELETE n", []))
    return out


def update_statements(gone: Iterable[str], nodes: Sequence[Node], rels: Sequence[Rel]
                      ) -> list[tuple[str, list[dict[str, Any]]]]:
    """Statements that take a graph written from an earlier corpus to the one whose
    `to_property_graph(corpus, documents)` is `nodes` and `rels`, when only the parts of those
    documents differ: what the documents `gone` (of the earlier corpus) owned is deleted, then
    every national relationship and every area, agency and theme not in `nodes`. Writing
    `nodes` (national ones set whole, stubs too) and `rels` then gives the corpus's graph."""
    ids = [{"id": d} for d in sorted(gone)]
    out = [] if not ids else [("UNWIND $rows AS row MATCH (:Document {id: row.id})<-[:FROM]-()-[:HAS_ASSESSMENT]->(x) DETACH DELETE x", ids),
           ("UNWIND $rows AS row MATCH (:Document {id: row.id})<-[:FROM]-(x) DETACH DELETE x", ids),
           ("UNWIND $rows AS row MATCH (:Document {id: row.id})-[:ABOUT|ADDRESSED_TO]->(x) DETACH DELETE x", ids),
           ("UNWIND $rows AS row MATCH (x:Document {id: row.id}) DETACH DELETE x", ids)]
    out += [(f"MATCH ()-[r:{_ident(t)}]->() DELETE r", []) for t in NATIONAL_RELS]
    for label in sorted({spec.key_label for spec in NODES} - set(OWNED)):
        keep = sorted(n.id for n in nodes if n.key_label == label)
        out.append((f"UNWIND $rows AS row MATCH (n:{_ident(label)}) WHERE NOT n.id IN row.ids DETACH DELETE n",
                    [{"ids": keep}]))
    return out


def area_parts(corpus: Corpus, documents: Mapping[str, str | None], judgements: Mapping[str | None, str | None],
               program: str) -> dict[str, Any] | None:
    """What each area's part of the property graph is made from, for a later build to tell which
    areas changed (`changes`): the area's documents, and a digest of `documents` (a digest of
    what each document's records are made from) and `judgements` (the same of each area's
    follow-ups, assessments and statuses) for its documents and the areas their statements
    are in; None for either is never equal to anything. Documents without an area are one
    part (""). None when a follow-up, an assessment's evidence or a citation joins two areas'
    documents (never seen nationally): their parts would not be apart."""
    area_of = {d.id: d.area or "" for d in corpus.documents}
    statement_area = {s.id: area_of[s.doc] for s in corpus.statements}
    citing = {r.id: d.id for d in corpus.documents for r in d.references}
    if (any(statement_area[f.finding] != statement_area.get(f.evidence) for f in corpus.followups)
            or any(a.last_evidence in statement_area and statement_area[a.finding] != statement_area[a.last_evidence]
                   for a in corpus.assessments)
            or any(s.refers_to and citing.get(s.refers_to, s.doc) != s.doc for s in corpus.statements)):
        return None
    judged: dict[str, set[str | None]] = defaultdict(set)
    for s in corpus.statements:
        judged[area_of[s.doc]].add(s.area)
    made: dict[str, list[str]] = defaultdict(list)
    for d in corpus.documents:
        made[d.area or ""].append(d.id)
    areas = {}
    for area, docs in sorted(made.items()):
        sources = [(d, documents.get(d)) for d in sorted(docs)] + [(a, judgements.get(a)) for a in sorted(judged[area], key=str)]
        key = None if any(v is None for _, v in sources) else hashlib.sha256(repr(sources).encode()).hexdigest()
        areas[area] = {"key": key, "documents": sorted(docs)}
    return {"program": program, "areas": areas}


def changes(before: Mapping[str, Any] | None, now: Mapping[str, Any] | None) -> tuple[list[str], list[str]] | None:
    """(documents, gone) for `update_statements`: the documents of the areas whose parts
    (`area_parts`) differ, now and before; None when the graph cannot be updated (a part was
    not recorded, or another program wrote it)."""
    if not before or not now or before.get("program") != now["program"]:
        return None
    old, new = before["areas"], now["areas"]
    changed = [a for a in sorted(set(old) | set(new)) if a not in old or a not in new or not new[a]["key"]
               or old[a]["key"] != new[a]["key"]]
    return ([d for a in changed for d in new.get(a, {}).get("documents", [])],
            [d for a in changed for d in old.get(a, {}).get("documents", [])])


def write_graph(run: Run, stages: list[tuple[str, list[tuple[str, list[dict[str, Any]]]]]], batch_size: int = 1000,
                progress: Progress | None = None, max_batch_bytes: int | None = None) -> None:
    """Run each stage's statements, their rows in batches; a statement with no rows (orphan
    clean-up) runs once with no parameters."""
    for stage, statements in stages:
        total = sum(len(rows) or 1 for _, rows in statements)
        done = 0
        for cypher, rows in statements:
            if not rows:
                run(cypher, {})
                done += 1
            for batch in batches(rows, batch_size, max_batch_bytes):
                run(cypher, {"rows": batch})
                done += len(batch)
            if progress:
                progress(stage, done, total)


def write(run: Run, corpus: Corpus, batch_size: int = 1000, progress: Progress | None = None,
          replace: bool = True, max_batch_bytes: int | None = None) -> dict[str, int]:
    """Upsert the corpus: replacements, then nodes, then relationships, in batches."""
    nodes, rels = to_property_graph(corpus)
    stages = []
    if replace:
        stages.append(("replace", replacement_statements(nodes, rels)))
    stages += [("nodes", node_statements(nodes)), ("relationships", rel_statements(rels))]
    write_graph(run, stages, batch_size, progress, max_batch_bytes)
    return {"nodes": len(nodes), "relationships": len(rels)}


def index_labels() -> tuple[str, ...]:
    return KEY_LABELS


def query_names() -> list[str]:
    import queries

    return [n for n in queries.names("cypher") if "." not in n]


def load_query(name: str, engine: str | None = None) -> tuple[str, tuple[str, ...]]:
    """(text, parameter names) of a named query; `NAME.<engine>.cypher`, where one exists,
    replaces `NAME.cypher` on that engine."""
    import queries

    q = queries.load("cypher", name)
    variant = resources.files("queries") / "cypher" / f"{name}.{engine}.cypher"
    text = variant.read_text(encoding="utf-8") if engine and variant.is_file() else q.text
    return text, q.params


def resolve(name_or_text: str, params: dict[str, Any] | None, engine: str) -> tuple[str, dict[str, Any]]:
    """(cypher, params) for a query name or Cypher text; declared parameters left out are ""."""
    params = dict(params or {})
    name = name_or_text.strip()
    if not _NAME.match(name):
        return name_or_text, params
    text, declared = load_query(name, engine)
    unknown = set(params) - set(declared)
    if unknown:
        raise QueryError(f"{name}: unknown parameter(s) {sorted(unknown)}; it takes: {', '.join(declared) or 'none'}")
    return text, {p: "" if params.get(p) is None else params[p] for p in declared}
