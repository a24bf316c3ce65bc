"""The RDF mapping, the vocabulary, SHACL, named-graph replacement and exports."""
from __future__ import annotations

import dataclasses
import json
import random
import re
from importlib.resources import files

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic, to_isomorphic, graph_diff
from rdflib.namespace import DCTERMS, RDF, SH, XSD

from conftest import file_digests, three_changes
from kg.errors import StoreError, ValidationError
from kg.rdf import (DERIVED, RDFStore, derived_graph, check, iri, nquads, shacl_report, shape_predicates, shapes_graph,
                    targeted_property_shapes, to_dataset, union_graph, validate, validate_nquads, warnings)
from kg.models import is_target
from kg.synthetic import generate
from kg.vocab import SGKG

SGKG_NS = "https://w3id.org/safeguarding-kg/def#"


@pytest.fixture(scope="module")
def corpus():
    return generate(60, seed=1)


@pytest.fixture(scope="module")
def dataset(corpus):
    return to_dataset(corpus)


def _ttl(name: str) -> str:
    return files("ontology").joinpath(name).read_text("utf-8")


def _declared() -> set[str]:
    g = Graph().parse(data=_ttl("sgkg.ttl"), format="turtle")
    return {str(s)[len(SGKG_NS):] for s in g.subjects() if str(s).startswith(SGKG_NS)}


def test_closed_namespace_matches_ontology():
    assert set(SGKG.__annotations__) == _declared()
    assert SGKG.Finding == URIRef(SGKG_NS + "Finding")
    with pytest.raises(AttributeError):
        SGKG.typo


@pytest.mark.parametrize("name", ["areas.ttl", "agencies.ttl", "themes.ttl", "shapes.ttl"])
def test_every_sgkg_term_used_by_ontology_files_is_declared(name):
    if not files("ontology").joinpath(name).is_file():
        pytest.skip(f"ontology/{name} is not there yet")
    text = _ttl(name)
    used = set(re.findall(r"\bsgkg:([A-Za-z_][A-Za-z0-9_]*)", text))
    used |= set(re.findall(re.escape("<" + SGKG_NS) + r"([A-Za-z_][A-Za-z0-9_]*)>", text))
    assert used <= _declared(), sorted(used - _declared())


def test_every_sgkg_term_the_mapping_emits_is_declared(dataset):
    used = {str(t)[len(SGKG_NS):] for q in dataset.quads() for t in q[:3] if str(t).startswith(SGKG_NS)}
    assert used and used <= _declared()


def test_context_is_valid_json_ld():
    ctx = json.loads(_ttl("context.jsonld"))["@context"]
    assert ctx["quote"] == "oa:exact" and ctx["id"] == "@id" and ctx["status"]["@type"] == "@vocab"


def test_one_graph_per_document_plus_derived(corpus, dataset):
    graphs = {str(g.identifier) for g in dataset.graphs() if len(g)}
    areas = {s.area for s in corpus.statements if s.area}
    assert len(areas) > 1
    assert graphs == {str(iri(d.id)) for d in corpus.documents} | {str(DERIVED)} | {str(derived_graph(a)) for a in areas}
    for area in areas:  # an area's derived graph says something about each of its statements, and no other's
        about = {str(s) for s in dataset.graph(derived_graph(area)).subjects(SGKG.isOpen)}
        assert about == {str(iri(s.id)) for s in corpus.statements if s.area == area and is_target(s)}
    s = corpus.statements[0]
    g = dataset.graph(iri(s.doc))
    assert (iri(s.id), DCTERMS.identifier, Literal(s.id)) in g
    assert str(iri(s.id)).removeprefix("https://w3id.org/safeguarding-kg/id/") == s.id
    assert (iri(s.id), SGKG.source, URIRef(iri(s.id) + "#span")) in g


def test_synthetic_corpus_conforms(dataset):
    assert validate(dataset) == []
    check(dataset)


def test_broken_graph_reports_its_focus_node(corpus):
    bad = dataclasses.replace(corpus, statements=list(corpus.statements))
    f = next(i for i, s in enumerate(bad.statements) if s.kind == "finding")
    bad.statements[f] = dataclasses.replace(bad.statements[f], themes=[], polarity=None, date="12 May 2018")
    ds = to_dataset(bad)
    focus = str(iri(bad.statements[f].id))
    problems = validate(ds)
    assert not any("theme" in p for p in problems)
    assert any(p.startswith(focus + ": ") and "theme" in p for p in warnings(ds))
    assert any(p.startswith(focus + ": ") and "polarity" in p for p in problems)
    assert any(p.startswith(focus + ": ") and "xsd:date" in p for p in problems)
    with pytest.raises(ValidationError, match=re.escape(focus)):
        check(ds)
    ds.remove((None, SGKG.score, None, None))
    assert any("one score" in p for p in validate(ds))


def test_the_build_validator_sees_what_the_shapes_see(corpus):
    """The build validates only the triples whose predicates the shapes use: the same violations."""
    bad = dataclasses.replace(corpus, statements=list(corpus.statements))
    f = next(i for i, s in enumerate(bad.statements) if s.kind == "finding")
    bad.statements[f] = dataclasses.replace(bad.statements[f], polarity=None, date="12 May 2018")
    expected = validate(to_dataset(bad))
    assert len(expected) >= 2 and validate_nquads(nquads(bad)) == expected
    kept = shape_predicates(shapes_graph())
    assert str(SGKG.polarity) in kept and str(SGKG.text) not in kept
    assert shape_predicates(shapes_graph() + Graph().parse(data=(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . [] sh:closed true ."), format="turtle")) is None


def test_property_shapes_given_their_node_shapes_targets_report_the_same(corpus):
    """The build runs pySHACL on the shapes with each property shape targeted itself (faster):
    on a graph with triples dropped and literals broken, every result is the same."""
    from pyshacl import validate as shacl

    g = union_graph(nquads(corpus))
    rng = random.Random(7)
    for s, p, o in sorted(g):
        x = rng.random()
        if x < 0.02:
            g.remove((s, p, o))
        elif x < 0.04 and isinstance(o, Literal):
            g.add((s, p, Literal("bad")))

    def results(shapes: Graph) -> list[tuple[str, ...]]:
        _, report, _ = shacl(g, shacl_graph=shapes, inference="none")
        return sorted((str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultMessage)),
                       str(report.value(r, SH.value)), str(report.value(r, SH.resultSeverity)))
                      for r in report.subjects(RDF.type, SH.ValidationResult))

    as_written = results(shapes_graph())
    assert len(as_written) > 100 and len({r[1].split(" ")[0] for r in as_written}) > 3
    written = shapes_graph()
    targeted = targeted_property_shapes(written)
    assert not any(targeted.triples((None, SH.property, None)))
    assert isomorphic(written, shapes_graph())  # the shapes given are left as they were
    assert results(targeted) == as_written


def test_the_graph_validated_is_the_datasets_triples(corpus, dataset):
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    assert len(union) > 1000 and isomorphic(union_graph(nquads(corpus)), union)
    text = ('<http://x/a> <http://x/p> "v"@en <http://x/g> .\n'
            '_:b <http://x/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> <http://x/g> .\n'
            '<http://x/a> <http://x/q> _:b <http://x/h> .\n')
    expected = Graph().parse(data=text.replace(" <http://x/g>", "").replace(" <http://x/h>", ""), format="nt")
    assert isomorphic(union_graph(text.encode()), expected)


def test_a_span_without_its_quote_or_positions_is_a_violation(corpus):
    OA = "http://www.w3.org/ns/oa#"
    s = corpus.statements[0]
    span = URIRef(iri(s.id) + "#span")
    for prop, message in (("exact", "one text quote selector"), ("start", "one text position selector")):
        ds = to_dataset(corpus)
        selector = next(o for o in ds.objects(span, URIRef(OA + "hasSelector")) if (o, URIRef(OA + prop), None) in ds)
        ds.remove((selector, URIRef(OA + prop), None, None))
        assert any(p.startswith(f"{span}: ") and message in p for p in validate(ds)), prop


def test_synthetic_corpus_has_no_warnings(dataset):
    assert warnings(dataset) == []


@pytest.mark.parametrize("when,datatype", [("2016", XSD.gYear), ("2016-05", XSD.gYearMonth),
                                           ("2016-05-12", XSD.date)])
def test_reference_dates_are_typed_by_precision_and_conform(corpus, when, datatype):
    doc = next(d for d in corpus.documents if d.references)
    ref = dataclasses.replace(doc.references[0], date=when)
    edited = dataclasses.replace(doc, references=[ref] + doc.references[1:])
    ds = to_dataset(dataclasses.replace(corpus, documents=[edited if d is doc else d for d in corpus.documents]))
    assert (iri(ref.id), DCTERMS.date, Literal(when, datatype=datatype)) in ds
    assert validate(ds) == []


@pytest.mark.parametrize("when", ["May 2016", "2016-13", "2016-02-30", "16"])
def test_malformed_reference_dates_are_violations(corpus, when):
    doc = next(d for d in corpus.documents if d.references)
    ref = dataclasses.replace(doc.references[0], date=when)
    edited = dataclasses.replace(doc, references=[ref] + doc.references[1:])
    ds = to_dataset(dataclasses.replace(corpus, documents=[edited if d is doc else d for d in corpus.documents]))
    assert any(p.startswith(str(iri(ref.id)) + ": ") and "xsd:date" in p for p in validate(ds))


def test_a_finding_without_a_theme_is_a_warning_not_a_violation(corpus):
    f = next(i for i, s in enumerate(corpus.statements) if s.kind == "finding")
    statements = list(corpus.statements)
    statements[f] = dataclasses.replace(statements[f], themes=[])
    ds = to_dataset(dataclasses.replace(corpus, statements=statements))
    focus = str(iri(statements[f].id))
    violations, warned = shacl_report(ds)
    assert violations == [] and validate(ds) == []
    check(ds)  # a warning does not fail the check
    assert [w for w in warned if w.startswith(focus + ": ")] == [f"{focus}: a finding has at least one theme (sgkg:theme)"]
    assert warnings(ds) == warned
    assert validate(ds, warnings=True) == [f"warning: {w}" for w in warned]


def test_store_load_matches_dataset(corpus, dataset, tmp_path):
    store = RDFStore.build(tmp_path / "store", corpus)
    assert len(store) == len(dataset)
    same_graphs(store.to_dataset(), dataset)
    store.close()
    again = RDFStore.open(tmp_path / "store", read_only=True)
    assert len(again) == len(dataset)
    with pytest.raises(StoreError, match="no RDF store"):
        RDFStore.open(tmp_path / "missing")
    assert len(RDFStore.open(tmp_path / "new", create=True)) == 0


def test_a_store_loaded_from_a_file_in_blocks_holds_the_whole_graph(corpus, dataset, tmp_path, monkeypatch):
    from kg import rdf
    from kg.rdf_map import write_nquads

    write_nquads(corpus, tmp_path / "graph.nq")
    size = (tmp_path / "graph.nq").stat().st_size
    monkeypatch.setattr(rdf, "BULK_BLOCK", size // 7)  # about seven blocks, each read to its line's end
    blocks = list(rdf._blocks(tmp_path / "graph.nq"))
    assert len(blocks) >= 7 and all(b.endswith(b"\n") for b in blocks)
    assert b"".join(blocks) == (tmp_path / "graph.nq").read_bytes()
    store = RDFStore.build(tmp_path / "store", nquads_file=tmp_path / "graph.nq")
    assert len(store) == len(dataset)
    same_graphs(store.to_dataset(), dataset)
    store.close()
    in_memory = RDFStore.memory(tmp_path / "graph.nq")
    assert in_memory.path is None and len(in_memory) == len(dataset)
    same_graphs(in_memory.to_dataset(), dataset)


def test_build_replaces_atomically(corpus, tmp_path):
    RDFStore.build(tmp_path / "s", generate(10, seed=9)).close()
    store = RDFStore.build(tmp_path / "s", corpus)
    assert len(store) == len(to_dataset(corpus))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]


def _quads(store_folder) -> set[str]:
    import pyoxigraph as ox

    return {str(q) for q in ox.Store.read_only(str(store_folder))}


@pytest.mark.parametrize("how", ["line by line", "whole graphs"])
def test_a_rebuild_replaces_only_the_changed_graphs_and_holds_what_a_full_load_holds(how, tmp_path, monkeypatch):
    """A new document, a review decision and a removed document: each rebuild copies the
    previous store and replaces the graphs whose lines changed (`how`: their quads that went
    removed and the new ones added, or each graph that lost a quad removed and loaded again);
    the store then holds exactly the quads (and named graphs) of a store loaded in full from the
    same build."""
    import json
    import shutil

    from kg import rdf
    from kg.pipeline import build, sample_corpus

    monkeypatch.setattr(rdf, "LINE_DIFF_MAX_SHARE", 1.0 if how == "line by line" else 0.0)
    changes = rdf._line_changes
    removed = []
    monkeypatch.setattr(rdf, "_line_changes", lambda old, new: (found := changes(old, new)) and removed.extend(found[0]) or found)

    samples = sorted(sample_corpus().glob("*.txt"))
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for f in samples[:4]:
        shutil.copy(f, src / f.name)

    def rebuild(step: str) -> None:
        r = build([src], out, workers=1, site=False, validate=False)
        report = json.loads((out / "graphs.json").read_text())["rdf"]
        changed, total = map(int, re.fullmatch(r"the previous store with (\d+) of (\d+) graphs replaced", report).groups())
        assert 0 < changed < total, (step, report)
        full = build([src], tmp_path / f"full-{step}", workers=1, site=False, validate=False, force=True)
        assert json.loads((full.out / "graphs.json").read_text())["rdf"] == "loaded in full"
        assert _quads(out / "rdf") == _quads(full.out / "rdf") and len(_quads(out / "rdf")) > 1000, step
        assert RDFStore.open(out / "rdf", read_only=True).graphs() == RDFStore.open(full.out / "rdf", read_only=True).graphs()
        assert r.corpus.documents == full.corpus.documents

    assert json.loads((build([src], out, workers=1, site=False, validate=False).out / "graphs.json").read_text())["rdf"] \
        == "loaded in full"
    three_changes(src, out, rebuild)
    assert (len(removed) > 100) == (how == "line by line"), len(removed)


def test_a_graph_whose_previous_lines_were_altered_is_loaded_whole(tmp_path):
    """The previous build's graph.nq is where a changed graph's previous lines are read from;
    if they no longer have the SHA-256 its index records, the graph is removed and loaded again,
    so the store still holds what a full load holds. (Read as they are, the altered line would
    be what is deleted, and the quad it was, which the new build no longer has, would stay.)"""
    import json
    import shutil

    from kg.pipeline import build, sample_corpus
    from kg.rdf_map import DERIVED

    samples = sorted(sample_corpus().glob("*.txt"))
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for f in samples[:4]:
        shutil.copy(f, src / f.name)
    build([src], out, workers=1, site=False, validate=False)
    shutil.copy(samples[4], src / samples[4].name)
    full = build([src], tmp_path / "full", workers=1, site=False, validate=False, force=True)

    def lines(build_dir):
        data = (build_dir / "graph.nq").read_bytes()
        return [data[o:o + n] for o, n in json.loads((build_dir / "graph.nq.json").read_text())[str(DERIVED)]["ranges"]]
    gone = next(line for line in b"".join(lines(out)).splitlines() if line not in set(b"".join(lines(full.out)).splitlines()))
    data = (out / "graph.nq").read_bytes()
    at = data.index(gone) + gone.index(b'"') + 1  # the first character of its literal, same length
    (out / "graph.nq").write_bytes(data[:at] + (b"Q" if data[at:at + 1] != b"Q" else b"R") + data[at + 1:])
    build([src], out, workers=1, site=False, validate=False)
    assert _quads(out / "rdf") == _quads(full.out / "rdf")


def test_a_rebuild_loads_in_full_when_the_previous_store_or_its_index_is_unreadable(tmp_path):
    import json
    import shutil

    from kg.pipeline import build

    out = tmp_path / "out"
    full = build(None, tmp_path / "full", workers=1, site=False, validate=False)
    for n, spoil in enumerate((lambda: shutil.rmtree(out / "rdf"), lambda: (out / "graph.nq.json").write_text("{"))):
        assert build(None, out, workers=1, site=False, validate=False, force=True).exit_code == 0
        spoil()
        (tmp_path / "reviews.jsonl").write_text("\n" * (n + 1), encoding="utf-8")  # a change, so not kept as it was
        assert build(None, out, workers=1, site=False, validate=False).exit_code == 0
        assert json.loads((out / "graphs.json").read_text())["rdf"] == "loaded in full"
        assert _quads(out / "rdf") == _quads(full.out / "rdf")


def test_a_rebuild_that_fails_after_changing_its_copy_leaves_the_previous_store_as_it_was(tmp_path, monkeypatch):
    """The copy shares the previous store's files (hard links): replacing graphs in it, then
    failing, must leave every file of the previous store byte for byte as it was."""
    from kg.pipeline import build

    out = tmp_path / "out"
    assert build(None, out, workers=1, site=False, validate=False).exit_code == 0
    before, quads = file_digests(out / "rdf"), _quads(out / "rdf")
    (tmp_path / "reviews.jsonl").write_text("", encoding="utf-8")  # a change: the build key differs
    replace = RDFStore.replace_graphs

    def replace_then_fail(self, *args):
        replace(self, *args)
        self.store.flush()
        raise OSError("disk full")
    monkeypatch.setattr(RDFStore, "replace_graphs", replace_then_fail)
    monkeypatch.setattr("kg.rdf.changed_graphs", lambda old, new: sorted(new))  # every graph removed and loaded
    with pytest.raises(OSError, match="disk full"):
        build(None, out, workers=1, site=False, validate=False)
    assert file_digests(out / "rdf") == before and _quads(out / "rdf") == quads


def same_graphs(a: Dataset, b: Dataset) -> None:
    """Every non-empty named graph of either is isomorphic to its namesake in the other."""
    names = {g.identifier for ds in (a, b) for g in ds.graphs() if len(g)}
    for name in names:
        ga, gb = a.graph(name), b.graph(name)
        if not isomorphic(ga, gb):
            _, only_a, only_b = graph_diff(to_isomorphic(ga), to_isomorphic(gb))
            pytest.fail(f"{name}: only in first {sorted(only_a)[:3]}, only in second {sorted(only_b)[:3]}")


def _union(ds: Dataset) -> Graph:
    g = Graph()
    for s, p, o, _ in ds.quads():
        g.add((s, p, o))
    return g


@pytest.mark.parametrize("fmt,parse_as,quads", [
    ("trig", "trig", True), ("nquads", "nquads", True), ("jsonld", "json-ld", True),
    ("turtle", "turtle", False), ("ntriples", "nt", False)])
def test_exports_round_trip(corpus, dataset, tmp_path, fmt, parse_as, quads):
    store = RDFStore.memory()
    store.load(corpus)
    out = store.export(tmp_path / f"kg.{fmt}", fmt)
    if quads:
        back = Dataset()
        back.parse(out, format=parse_as)
        same_graphs(back, dataset)
    else:
        assert isomorphic(Graph().parse(out, format=parse_as), _union(dataset))
    if fmt == "jsonld":
        doc = json.loads(out.read_text("utf-8"))
        assert "@context" in doc and '"quote"' in out.read_text("utf-8")


def test_export_rejects_unknown_format(tmp_path):
    with pytest.raises(StoreError, match="unknown format"):
        RDFStore.memory().export(tmp_path / "x.xml", "rdfxml")


def test_nquads_escape_awkward_text(corpus):
    s = dataclasses.replace(corpus.statements[0], text='He said "no"\n\\ then } UNION {')
    weird = dataclasses.replace(corpus, statements=[s] + corpus.statements[1:])
    store = RDFStore.memory()
    store.load(weird)
    assert (iri(s.id), SGKG.text, Literal(s.text)) in store.to_dataset()
    assert len(set(nquads(weird).splitlines())) == len(store)


def test_a_documents_graph_made_from_the_same_is_copied_from_the_previous_file(corpus, tmp_path):
    import hashlib
    from dataclasses import replace

    from kg.rdf_map import _id, write_nquads

    first = write_nquads(corpus, tmp_path / "a.nq")
    changed_doc, other = corpus.documents[0].id, corpus.documents[1].id
    st = next(s for s in corpus.statements if s.doc == changed_doc)
    changed = replace(corpus, statements=[replace(s, text=s.text + " Changed.") if s is st else s
                                          for s in corpus.statements])
    fresh = write_nquads(changed, tmp_path / "fresh.nq")
    # a character of another document's graph altered in the previous file...
    data = bytearray((tmp_path / "a.nq").read_bytes())
    at, n = first[_id(other)]["ranges"][0]
    text = bytes(data[at:at + n])
    data[at + text.index(b'"') + 1] = ord("#")  # the first literal's first character
    (tmp_path / "a.nq").write_bytes(bytes(data))
    altered = bytes(data[at:at + n])
    # ...is not copied while the previous index's digest says otherwise: a broken file is not trusted
    index = write_nquads(changed, tmp_path / "b.nq", (tmp_path / "a.nq", first))
    assert (tmp_path / "b.nq").read_bytes() == (tmp_path / "fresh.nq").read_bytes()
    # ...and is copied when the index agrees: every document graph but the changed one came from there
    first[_id(other)]["digest"] = hashlib.sha256(altered).hexdigest()
    index = write_nquads(changed, tmp_path / "c.nq", (tmp_path / "a.nq", first))
    c = (tmp_path / "c.nq").read_bytes()
    assert c != (tmp_path / "fresh.nq").read_bytes() and c.replace(altered, text) == (tmp_path / "fresh.nq").read_bytes()
    assert {g for g in index if index[g]["digest"] != fresh[g]["digest"]} == {_id(other)}
    assert index[_id(changed_doc)] == fresh[_id(changed_doc)] != first[_id(changed_doc)]


def test_an_areas_derived_graph_made_from_the_same_is_copied_from_the_previous_file(corpus, tmp_path):
    """One follow-up's score changes: its area's derived graph (follow-ups, assessments,
    statuses) and the national one are written again, every other area's is copied; the file is
    byte for byte the one written from scratch."""
    import hashlib
    from dataclasses import replace

    from kg.rdf_map import derived_graph, write_nquads

    area_of = {s.id: s.area for s in corpus.statements}
    f = next(f for f in corpus.followups if area_of.get(f.finding))
    mine = str(derived_graph(area_of[f.finding]))
    changed = replace(corpus, followups=[replace(x, score=round(float(x.score) / 2, 4)) if x is f else x
                                         for x in corpus.followups])
    first = write_nquads(corpus, tmp_path / "a.nq")
    fresh = write_nquads(changed, tmp_path / "fresh.nq")
    again = write_nquads(changed, tmp_path / "b.nq", (tmp_path / "a.nq", first))
    assert (tmp_path / "b.nq").read_bytes() == (tmp_path / "fresh.nq").read_bytes() and again == fresh
    areas = sorted(g for g in first if g.startswith(str(derived_graph("x"))[:-1]))
    assert len(areas) > 2 and {g for g in areas if first[g]["source"] != fresh[g]["source"]} == {mine}
    # another area's graph, altered in the previous file with its digest to match, comes back as
    # altered: it was copied, not written again
    other = next(g for g in areas if g != mine)
    data = bytearray((tmp_path / "a.nq").read_bytes())
    at, n = first[other]["ranges"][0]
    data[at + bytes(data[at:at + n]).index(b'"') + 1] = ord("#")
    (tmp_path / "a.nq").write_bytes(bytes(data))
    first[other]["digest"] = hashlib.sha256(data[at:at + n]).hexdigest()
    write_nquads(changed, tmp_path / "c.nq", (tmp_path / "a.nq", first))
    assert bytes(data[at:at + n]) in (tmp_path / "c.nq").read_bytes() != (tmp_path / "fresh.nq").read_bytes()
