"""The RDF form of a Corpus, its SHACL check, and an on-disk SPARQL store.

One named graph per source document (graph IRI = the document's IRI) holds what was
extracted from it; agencies, themes, areas, follow-ups, assessments and recurrences live in
the `derived` graph, so re-ingesting a document replaces exactly its triples.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox
from rdflib import RDF, RDFS, SKOS, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, SH

from kg.errors import QueryError, StoreError, ValidationError
from kg.models import Corpus
from kg.rdf_map import (AGENCY, AREA, DERIVED, ID, OA, THEME, agency_iri, area_iri, assessment_id,
                        derived_graph, graph_lines, iri, nquads, theme_iri)
from kg.vocab import SGKG

__all__ = ["to_dataset", "validate", "warnings", "shacl_report", "check", "RDFStore", "query_dataset", "nquads", "iri", "agency_iri",
           "area_iri", "theme_iri", "assessment_id", "DERIVED", "derived_graph", "PREFIXES"]

PREFIXES = {"sgkg": str(SGKG), "id": str(ID), "agency": str(AGENCY), "area": str(AREA),
            "theme": str(THEME), "prov": str(PROV), "org": str(ORG), "oa": str(OA),
            "dcterms": str(DCTERMS), "skos": str(SKOS), "rdfs": str(RDFS), "xsd": str(XSD)}


def bind_prefixes(g: Graph) -> None:
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, replace=True)


def to_dataset(corpus: Corpus) -> Dataset:
    """The corpus as an rdflib Dataset, one named graph per document plus `derived`.

    Its default graph is the union of the named graphs, so the named queries run on it too."""
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    ds.parse(data=nquads(corpus), format="nquads")
    return ds


# ---------------------------------------------------------------- SHACL

def union_graph(nquads: bytes, only: frozenset[str] | None = None) -> Graph:
    """The triples of all named graphs as one rdflib Graph, which is what SHACL validates;
    with `only`, just the triples whose predicate is in it. Oxigraph parses the N-Quads and the
    terms are made directly (rdflib's own parser takes twice as long)."""
    g = Graph()
    g.addN((_rdflib_term(q.subject), URIRef(q.predicate.value), _rdflib_term(q.object), g)
           for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS) if only is None or q.predicate.value in only)
    return g


_XSD_STRING = str(XSD.string)


def _rdflib_term(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> URIRef | BNode | Literal:
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if t.language:
        return Literal(t.value, lang=t.language)
    return Literal(t.value, datatype=None if t.datatype.value == _XSD_STRING else URIRef(t.datatype.value))


def shape_predicates(shapes: Graph) -> frozenset[str] | None:
    """Every predicate the shapes can look at (paths, targets, comparisons, rdf:type and
    rdfs:subClassOf for sh:class), or None when a shape could look at any (sh:closed, SPARQL)."""
    if any(shapes.triples((None, SH.closed, None))) or any(shapes.triples((None, SH.sparql, None))) or \
            any(isinstance(o, BNode) and (o, RDF.first, None) not in shapes for o in shapes.objects(None, SH.path)):
        return None  # closed shapes, SPARQL constraints, inverse or alternative paths: keep everything
    found = {str(RDF.type), str(RDFS.subClassOf)}
    for p in (SH.path, SH.targetSubjectsOf, SH.targetObjectsOf, SH.equals, SH.disjoint, SH.lessThan,
              SH.lessThanOrEquals):
        for o in shapes.objects(None, p):
            found |= {str(x) for x in shapes.items(o)} if (o, RDF.first, None) in shapes else {str(o)}
    return frozenset(found)


def validate_nquads(nquads: bytes) -> list[str]:
    """SHACL violations of an N-Quads graph (only the triples the shapes can see are parsed)."""
    return validate(union_graph(nquads, shape_predicates(shapes_graph())))


def shapes_graph() -> Graph:
    return Graph().parse(data=files("ontology").joinpath("shapes.ttl").read_text("utf-8"), format="turtle")


_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


def targeted_property_shapes(shapes: Graph) -> Graph:
    """`shapes` with each node shape's `sh:property` shapes given the node shape's targets and
    checked on their own (the node shape keeps its other constraints). The same results, for
    shapes not reached through sh:node: pySHACL validates a nested property shape once per
    focus node, remaking its constraints each time; a targeted one once for all of them (2.7x
    faster on the sample build). `shapes` itself is left as it is."""
    shapes = _copy(shapes)
    for node_shape, _, prop in list(shapes.triples((None, SH.property, None))):
        for target in _TARGETS:
            for o in shapes.objects(node_shape, target):
                shapes.add((prop, target, o))
        shapes.add((prop, RDF.type, SH.PropertyShape))
        shapes.remove((node_shape, SH.property, prop))
    return shapes


def _copy(g: Graph) -> Graph:
    out = Graph()
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns)
    out += g
    return out


def ontology_graph() -> Graph:
    return Graph().parse(data=files("ontology").joinpath("sgkg.ttl").read_text("utf-8"), format="turtle")


def shacl_report(data: Dataset | Graph) -> tuple[list[str], list[str]]:
    """SHACL results of the graph (all named graphs together), as "focus node: message (path)",
    split into (violations, warnings): sh:Violation results, then sh:Warning and sh:Info ones."""
    from pyshacl import validate as shacl

    if isinstance(data, Dataset):
        g = Graph()
        for s, p, o, _ in data.quads((None, None, None, None)):
            g.add((s, p, o))
    else:
        g = data
    conforms, report, _ = shacl(g, shacl_graph=targeted_property_shapes(shapes_graph()), inference="none",
                                inplace=True)
    if conforms:
        return [], []
    violations, warnings = [], []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        where = f" ({path.n3(report.namespace_manager)})" if isinstance(path, URIRef) else ""
        severity = report.value(result, SH.resultSeverity)
        (violations if severity in (None, SH.Violation) else warnings).append(f"{focus}: {message}{where}")
    return sorted(violations), sorted(warnings)


def validate(data: Dataset | Graph, warnings: bool = False) -> list[str]:
    """The SHACL violations of the graph, as "focus node: message (path)"; only results of
    severity sh:Violation count (they fail a build). With `warnings`, the sh:Warning and
    sh:Info results are listed after them, each prefixed "warning: "."""
    found, warned = shacl_report(data)
    return found + [f"warning: {w}" for w in warned] if warnings else found


def warnings(data: Dataset | Graph) -> list[str]:
    """The SHACL warnings of the graph (e.g. a finding without a theme): worth a look, never fatal."""
    return shacl_report(data)[1]


def check(data: Dataset | Graph) -> None:
    """Raise ValidationError listing the violations, if any."""
    problems = validate(data)
    if problems:
        shown = "\n".join(problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ValidationError(f"{len(problems)} SHACL violation(s):\n{shown}{more}")


# ---------------------------------------------------------------- store

FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ttl": ox.RdfFormat.TURTLE,
           "ntriples": ox.RdfFormat.N_TRIPLES, "nt": ox.RdfFormat.N_TRIPLES,
           "trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS, "nq": ox.RdfFormat.N_QUADS,
           "jsonld": None, "json-ld": None}
_FORMAT_NAMES = ("turtle", "ntriples", "trig", "nquads", "jsonld")


_INTEGER = frozenset(str(x) for x in (XSD.integer, XSD.int, XSD.long))
_FLOAT = frozenset(str(x) for x in (XSD.decimal, XSD.double, XSD.float))
_BOOLEAN = str(XSD.boolean)


def _py(term) -> object:
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if dt in _INTEGER:
            return int(term.value)
        if dt in _FLOAT:
            return float(term.value)
        if dt == _BOOLEAN:
            return term.value == "true"
    return term.value


def _py_rdflib(term) -> object:
    if term is None:
        return None
    if isinstance(term, Literal) and term.datatype in (XSD.integer, XSD.int, XSD.long):
        return int(term)
    if isinstance(term, Literal) and term.datatype in (XSD.decimal, XSD.double, XSD.float):
        return float(term)
    return str(term)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a named query, not SPARQL text


def _resolve(name_or_text: str, params: dict[str, str] | None) -> tuple[str, dict[str, str]]:
    """Query text and {variable: value}: a named query's parameter NAME binds ?param_NAME,
    a missing one is "" (any); in ad-hoc text each key binds the variable of that name."""
    import queries

    params = dict(params or {})
    if _NAME.fullmatch(name_or_text.strip()):
        q = queries.load("sparql", name_or_text.strip())
        unknown = set(params) - set(q.params)
        if unknown:
            raise QueryError(f"{q.name}: unknown parameter(s) {sorted(unknown)}; "
                             f"it takes: {', '.join(q.params) or 'none'}")
        return q.text, {f"param_{p}": str(params.get(p, "")) for p in q.params}
    return name_or_text, {k: str(v) for k, v in params.items()}


def query_dataset(ds: Dataset, name_or_text: str, params: dict[str, str] | None = None
                  ) -> tuple[list[str], list[tuple]]:
    """Run a named query (or SPARQL text) in memory with rdflib; values bound with initBindings."""
    text, params = _resolve(name_or_text, params)
    try:
        result = ds.query(text, initBindings={k: Literal(str(v)) for k, v in params.items()})
    except Exception as e:
        raise QueryError(f"{name_or_text}: {e}") from e
    keep = [i for i, v in enumerate(result.vars) if not str(v).startswith("param_")]
    columns = [str(result.vars[i]) for i in keep]
    return columns, [tuple(_py_rdflib(row[i]) for i in keep) for row in result]


BULK_BLOCK = 16 << 20  # bytes of N-Quads per bulk load (about 75,000 quads)
# A changed graph is updated line by line (its quads that went removed, the new ones added) unless
# more than this share of its previous lines went: then it is removed and bulk-loaded again.
LINE_DIFF_MAX_SHARE = 0.5


def _line_changes(old: set[bytes] | None, new: set[bytes] | None) -> tuple[set[bytes], set[bytes]] | None:
    """A graph's lines gone and lines added, or None when it is to be removed and loaded whole:
    its lines before or now are not known, or more than LINE_DIFF_MAX_SHARE of them went."""
    if old is None or new is None or len(gone := old - new) > LINE_DIFF_MAX_SHARE * len(old):
        return None
    return gone, new - old


def _graph_lines(nquads_file: str | os.PathLike, part: dict | None) -> set[bytes] | None:
    """The lines of one graph of an N-Quads file (`kg.rdf_map.graph_lines`: None if they no
    longer have the SHA-256 its index entry records, or cannot be read; no entry, no lines)."""
    if part is None:
        return set()
    try:
        with open(nquads_file, "rb") as fh:
            found = graph_lines(fh, part)
    except OSError:
        return None
    return set(found[0].splitlines()) if found else None


def _blocks(path: str | os.PathLike) -> Iterator[bytes]:
    """An N-Quads file in blocks of whole lines. Oxigraph's bulk loader holds everything one call
    is given in memory: loading the national graph (7.3 million quads) took 1.95 GB in one call,
    and 566 / 332 / 250 / 173 MB in blocks of 64 / 32 / 16 / 8 MB, in the same time (55-72 s,
    run to run) for every block size. The graph has no blank nodes, whose labels would not
    carry from one block to the next."""
    with open(path, "rb") as fh:
        while block := fh.read(BULK_BLOCK):
            yield block + fh.readline()


def changed_graphs(old: dict[str, dict], new: dict[str, dict]) -> list[str]:
    """The graphs of two N-Quads indexes (`write_nquads`) whose lines differ, or that only one has."""
    return sorted(g for g in old.keys() | new.keys() if old.get(g, {}).get("digest") != new.get(g, {}).get("digest"))


def _copy_store(source: Path, target: Path) -> bool:
    """A copy of the store in `source` as the folder `target` (replacing it when empty), made by
    Oxigraph's backup: hard links on the same file system. False if the source cannot be read."""
    try:
        target.rmdir()
        ox.Store.read_only(str(source)).backup(str(target))
        return True
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(exist_ok=True)
        return False


class RDFStore:
    """An Oxigraph store, on disk (`open`, `build`) or in memory (`memory`)."""

    def __init__(self, store: ox.Store, path: Path | None = None, read_only: bool = False):
        self._store = store
        self.path = path
        self.read_only = read_only
        self.updated: tuple[int, int] | None = None  # set by `build`

    @classmethod
    def open(cls, path: str | os.PathLike, read_only: bool = False, create: bool = False) -> "RDFStore":
        """Open the store in the folder `path` (made empty if `create` and it is not there)."""
        p = Path(path)
        if not p.is_dir() and not (create and not read_only):
            raise StoreError(f"{p}: no RDF store here (build one first)")
        try:
            if read_only:
                return cls(ox.Store.read_only(str(p)), p, read_only=True)
            p.mkdir(parents=True, exist_ok=True)
            return cls(ox.Store(str(p)), p)
        except OSError as e:
            raise StoreError(f"{p}: cannot open the RDF store: {e}") from e

    @classmethod
    def memory(cls, nquads_file: str | os.PathLike | None = None) -> "RDFStore":
        """A store in memory: empty, or holding an N-Quads file (a build's `graph.nq`). On the
        national graph the named queries answer up to 5x faster than on disk (every one under
        40 ms), for about 2.8 GB of memory and 40 s of loading (README, "Speed and scale")."""
        store = cls(ox.Store())
        if nquads_file is not None:
            store.load(nquads_file=nquads_file)
        return store

    @classmethod
    def build(cls, path: str | os.PathLike, corpus: Corpus | None = None,
              nquads_file: str | os.PathLike | None = None, index: dict[str, dict] | None = None,
              previous: tuple[Path, dict[str, dict], Path] | None = None) -> "RDFStore":
        """Build a fresh store for the corpus (or its N-Quads file) in a temporary folder,
        then move it into place.

        Given the file's `index` (`write_nquads`) and the `previous` build's store, index and
        N-Quads file, the new store starts as a copy of the previous one (hard links to its
        immutable files, as a RocksDB checkpoint: the previous store is only read) and just the
        graphs whose digest changed are updated (`replace_graphs`); the dataset is the same as a
        full load's. Where the previous store cannot be read, the file is loaded in full.
        `updated` tells which happened: (graphs replaced, graphs in all), or None for a full load."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{p.name}.", dir=p.parent))
        updated = None
        try:
            reuse = previous is not None and index is not None and nquads_file is not None
            reuse = reuse and _copy_store(previous[0], tmp)
            store = ox.Store(str(tmp))
            if reuse:
                changed = changed_graphs(previous[1], index)
                cls(store).replace_graphs(nquads_file, index, changed, (previous[2], previous[1]))
                updated = (len(changed), len(index))
            else:
                cls(store).load(corpus, nquads_file)
            store.flush()
            del store
            old = p.with_name(f".{p.name}.old")
            if old.exists():
                shutil.rmtree(old)
            if p.exists():
                p.rename(old)
            tmp.rename(p)
            shutil.rmtree(old, ignore_errors=True)
        except Exception:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        built = cls.open(p)
        built.updated = updated
        return built

    def close(self) -> None:
        if self._store is not None and self.path is not None and not self.read_only:
            self._store.flush()
        self._store = None

    def __enter__(self) -> "RDFStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def store(self) -> ox.Store:
        if self._store is None:
            raise StoreError(f"{self.path or 'memory store'}: the store is closed")
        return self._store

    def __len__(self) -> int:
        return len(self.store)

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs())

    def load(self, corpus: Corpus | None = None, nquads_file: str | os.PathLike | None = None) -> None:
        """Replace the store's contents with the corpus (bulk load of N-Quads), or with an
        N-Quads file already written from it (`write_nquads`), read in a stream. Both are this
        program's own output, so the loader skips re-validating every IRI (`lenient`).

        The store is then optimized: each block leaves files of its own that every lookup
        searches, and compacting them (8-13 s for the national graph) makes the named queries
        there 2-12x faster (documents 445 -> 85 ms)."""
        self.store.clear()
        if nquads_file is not None:
            for block in _blocks(nquads_file):
                self.store.bulk_load(block, ox.RdfFormat.N_QUADS, lenient=True)
        else:
            self.store.bulk_load(nquads(corpus), ox.RdfFormat.N_QUADS, lenient=True)
        self.store.optimize()

    def replace_graphs(self, nquads_file: str | os.PathLike, index: dict[str, dict], graphs: Iterable[str],
                       before: tuple[str | os.PathLike, dict[str, dict]] | None = None) -> None:
        """Make each of `graphs` what its lines in the N-Quads file are (where `index` says they
        are; a graph the index does not have is removed), then compact the store as `load` does.

        Given `before`, the N-Quads file and index the store was loaded from, a graph is changed
        line by line if its previous lines still have the SHA-256 that index records: only its
        quads that went are removed and only the new ones added (a new national document: 15,000
        and 27,000 quads, 1.4 s; removing its 3 graphs' 247,000 quads and loading them again took
        10-12 s). A graph that mostly changed (LINE_DIFF_MAX_SHARE), or any other graph, is
        removed and bulk-loaded in blocks.
        Compacting (`Store.optimize`, 17-23 s nationally whatever the change) is what keeps the
        named queries as fast as after a full load: one national rebuild without it left them
        1.15-1.5x slower, four 1.2-2x."""
        whole = []
        for g in sorted(graphs):
            old = _graph_lines(before[0], before[1].get(g)) if before is not None and g in index else None
            changes = _line_changes(old, _graph_lines(nquads_file, index[g]) if old is not None else None)
            if changes is None:
                self.store.remove_graph(ox.NamedNode(g))
                whole.append(g)
                continue
            gone, added = changes
            if gone:  # one update, not a call per quad: this runs beside the property graph's load,
                # where each call waits for the interpreter's lock (15,000 calls: 1.4 s alone, 12 s then)
                tail = f" <{g}> .".encode()
                if not all(line.endswith(tail) for line in gone):
                    raise StoreError(f"{nquads_file}: a line indexed in graph {g} is not in it")
                triples = b" .\n".join(line[:-len(tail)] for line in sorted(gone)).decode()
                self.store.update(f"DELETE DATA {{ GRAPH <{g}> {{\n{triples} }} }}")
            if added:
                self.store.load(b"\n".join(sorted(added)), ox.RdfFormat.N_QUADS, lenient=True)
        ranges = sorted(r for g in whole for r in index.get(g, {}).get("ranges", []))
        block = bytearray()
        with open(nquads_file, "rb") as fh:
            for offset, length in ranges:
                fh.seek(offset)
                block += fh.read(length)
                if len(block) >= BULK_BLOCK:
                    self.store.bulk_load(bytes(block), ox.RdfFormat.N_QUADS, lenient=True)
                    block.clear()
        if block:
            self.store.bulk_load(bytes(block), ox.RdfFormat.N_QUADS, lenient=True)
        self.store.optimize()

    def quads(self) -> Iterator[ox.Quad]:
        return iter(self.store)

    def query(self, name_or_text: str, params: dict[str, str] | None = None) -> tuple[list[str], list[tuple]]:
        """Run a named query (or SPARQL text) over the union of all graphs. Values are bound by
        the engine (`substitutions`), never pasted into the text; a named query given an area
        starts from it (queries/README.md, "Where a query starts")."""
        text, params = _resolve(name_or_text, params)
        subs = {ox.Variable(k): ox.Literal(str(v)) for k, v in params.items()}
        try:
            result = self.store.query(text, substitutions=subs, use_default_graph_as_union=True)
        except (SyntaxError, OSError, ValueError, RuntimeError) as e:
            raise QueryError(f"{name_or_text}: {e}") from e
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError(f"{name_or_text}: only SELECT queries give a table")
        shown = [(i, v.value) for i, v in enumerate(result.variables) if not v.value.startswith("param_")]
        columns, at = [name for _, name in shown], [i for i, _ in shown]  # by position: 4x faster than by name
        return columns, [tuple(_py(sol[i]) for i in at) for sol in result]

    def to_dataset(self) -> Dataset:
        ds = Dataset(default_union=True)
        bind_prefixes(ds)
        ds.parse(data=self.store.dump(format=ox.RdfFormat.N_QUADS), format="nquads")
        return ds

    def export(self, path: str | os.PathLike, format: str = "trig") -> Path:
        """Write the store as turtle, ntriples (all graphs merged), trig, nquads or jsonld."""
        fmt = format.lower()
        if fmt not in FORMATS:
            raise StoreError(f"{path}: unknown format {format!r}; use one of {', '.join(_FORMAT_NAMES)}")
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        if fmt in ("jsonld", "json-ld"):
            context = json_context()
            self.to_dataset().serialize(tmp, format="json-ld", context=context, auto_compact=True)
        elif FORMATS[fmt] in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
            self.store.dump(str(tmp), FORMATS[fmt], prefixes=PREFIXES if fmt == "trig" else None)
        else:
            triples = self.store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
            data = ox.serialize(triples, format=FORMATS[fmt],
                                prefixes=PREFIXES if FORMATS[fmt] == ox.RdfFormat.TURTLE else None)
            tmp.write_bytes(data)
        tmp.replace(out)
        return out


def json_context() -> dict:
    return json.loads(files("ontology").joinpath("context.jsonld").read_text("utf-8"))["@context"]
