"""The whole job through the CLI: outputs, bad input, exit codes, atomic and deterministic builds, the wheel."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest
from typer.testing import CliRunner

from conftest import ROOT, file_digests, make_pdf
from kg import pipeline
from kg.cli import app
from kg.pipeline import sample_corpus

runner = CliRunner()


def _build(*args):
    return runner.invoke(app, ["build", *map(str, args), "--workers", "1"])


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("b") / "out"
    r = _build("--out", out)
    assert r.exit_code == 0, r.output
    return out, r.output


def test_build_writes_every_output(sample_build):
    out, output = sample_build
    for name in ("documents.jsonl", "findings.jsonl", "tracker.csv", "errors.jsonl", "site/index.html", "maps/index.html"):
        assert (out / name).exists(), name
    assert "5 documents" in output and str(out) in output
    docs = [json.loads(x) for x in (out / "documents.jsonl").read_text().splitlines()]
    assert {d["kind"] for d in docs} == {"jtai_letter", "news", "annual_report", "focused_visit"}
    rows = [json.loads(x) for x in (out / "findings.jsonl").read_text().splitlines()]
    texts = {d["id"]: (out / "texts" / f"{d['id']}.txt").read_text() for d in docs}
    for r in rows:
        assert texts[r["document"]][r["start"]:r["end"]] == r["quote"]
    weak = [r for r in rows if r["kind"] == "finding" and r["polarity"] == "weakness"]
    assert weak and all(r["status"] in ("addressed", "progress", "persists", "no_evidence") for r in weak)
    assert any(r["followups"] for r in weak)
    f = next(r for r in weak if r["followups"])
    assert {"evidence", "file", "quote", "start", "end", "relation", "score", "reviewed"} <= set(f["followups"][0])


def test_findings_and_trace_commands(sample_build):
    out, _ = sample_build
    r = runner.invoke(app, ["findings", "--out", str(out), "--status", "open", "--area", "haringey",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert rows and all(x["status"] != "addressed" and x["area"] == "haringey" for x in rows)
    linked = next(x for x in rows if x["status"] in ("progress", "persists"))
    r = runner.invoke(app, ["trace", linked["id"], "--out", str(out)])
    assert r.exit_code == 0 and "status:" in r.output and "evidence (" in r.output and "why:" in r.output
    r = runner.invoke(app, ["trace", "st-nope", "--out", str(out)])
    assert r.exit_code == 2 and "no statement" in r.output


def test_review_survives_rebuild_and_reports_orphans(tmp_path):
    out = tmp_path / "out"
    assert _build("--out", out).exit_code == 0
    rows = [json.loads(x) for x in (out / "findings.jsonl").read_text().splitlines()]
    target = next(r for r in rows if r["status"] == "no_evidence")
    r = runner.invoke(app, ["review", "status", target["id"], "progress", "--reviewer", "A Scrutineer",
                            "--note", "action plan seen", "--out", str(out)])
    assert r.exit_code == 0, r.output
    runner.invoke(app, ["review", "status", "st-000000", "addressed", "--reviewer", "A Scrutineer", "--out", str(out)])
    r = _build("--out", out)
    rows = {json.loads(x)["id"]: json.loads(x) for x in (out / "findings.jsonl").read_text().splitlines()}
    assert rows[target["id"]]["status"] == "progress"
    assert "st-000000 no longer exists" in r.output


def test_bad_files_are_reported_and_the_rest_builds(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    for p in sample_corpus().glob("00[04]*.txt"):
        (corpus / p.name).write_bytes(p.read_bytes())
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "fake.pdf").write_bytes(b"<html><body>Sorry</body></html>")
    (corpus / "scan.pdf").write_bytes(make_pdf([""]))
    (corpus / "copy.txt").write_bytes((corpus / "000_d575777664c372be.txt").read_bytes())
    out = tmp_path / "out"
    r = _build(corpus, "--out", out)
    assert r.exit_code == 1, r.output
    for needle in ("empty.txt: file is empty", "fake.pdf: named .pdf but the content is an HTML page",
                   "scan.pdf: PDF has no text layer", "same content as"):
        assert needle in r.output
    docs = (out / "documents.jsonl").read_text().splitlines()
    assert len(docs) == 2
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
    assert {e["file"] for e in errors} >= {"empty.txt", "fake.pdf", "scan.pdf"}


def test_nothing_buildable_exits_2(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    assert _build(tmp_path / "empty.txt", "--out", tmp_path / "out").exit_code == 2


def test_rebuild_is_identical(sample_build, tmp_path, monkeypatch):
    """Also when, as on a big corpus, the recurrences are found in a forked process while the
    tables are written: the graph has them (the samples have some), as in a one-process build."""
    out, _ = sample_build
    assert "#Recurrence>" in (out / "graph.nq").read_text(encoding="utf-8")
    monkeypatch.setattr(pipeline, "PARALLEL_LINK_MIN", 0)
    again = tmp_path / "again"
    assert runner.invoke(app, ["build", "--out", str(again), "--workers", "2", "--no-site"]).exit_code == 0
    for name in ("documents.jsonl", "findings.jsonl", "tracker.csv", "graph.nq"):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name


def test_an_unchanged_corpus_keeps_the_build_and_any_change_rebuilds(tmp_path):
    corpus, out = tmp_path / "in", tmp_path / "out"
    corpus.mkdir()
    for p in sorted(sample_corpus().glob("*.txt"))[:2]:
        (corpus / p.name).write_bytes(p.read_bytes())
    assert _build(corpus, "--out", out, "--no-site").exit_code == 0
    first = (out / "graph.nq").stat().st_mtime_ns, (out / "findings.jsonl").read_bytes()

    r = _build(corpus, "--out", out, "--no-site")
    assert r.exit_code == 0 and "nothing has changed" in r.output
    assert ((out / "graph.nq").stat().st_mtime_ns, (out / "findings.jsonl").read_bytes()) == first
    assert "2 documents" in r.output

    r = _build(corpus, "--out", out, "--no-site", "--force")  # asked to rebuild: the same graph again
    assert "nothing has changed" not in r.output and (out / "graph.nq").stat().st_mtime_ns != first[0]
    assert (out / "findings.jsonl").read_bytes() == first[1]

    r = _build(corpus, "--out", out)  # another option (the site too)
    assert "nothing has changed" not in r.output and (out / "site").is_dir()
    third = sorted(sample_corpus().glob("*.txt"))[2]
    for content in (third.read_bytes(), b""):  # a new document, then a changed one (now unreadable)
        (corpus / "extra.txt").write_bytes(content)
        r = _build(corpus, "--out", out)
        assert "nothing has changed" not in r.output, r.output
    assert r.exit_code == 1 and "extra.txt: file is empty" in r.output
    r = _build(corpus, "--out", out)  # the reused build reports the same problem, with the same exit code
    assert "nothing has changed" in r.output and r.exit_code == 1 and "extra.txt: file is empty" in r.output


def test_only_documents_not_in_the_extraction_cache_are_extracted(tmp_path, monkeypatch):
    from kg import pipeline, resolve

    cache, folder = tmp_path / "cache", tmp_path / "in"
    cache.mkdir(), folder.mkdir()
    samples = sorted(sample_corpus().glob("*.txt"))
    for p in samples[:3]:
        (folder / p.name).write_bytes(p.read_bytes())
    first, _ = pipeline.extract_all(sorted(folder.iterdir()), workers=2, cache=cache)
    assert len(first) == 3 and len(list(cache.iterdir())) == 3

    extracted, real = [], pipeline.extract_file
    monkeypatch.setattr(pipeline, "extract_file", lambda path: extracted.append(path.name) or real(path))
    (folder / "new.txt").write_bytes(samples[3].read_bytes())
    (folder / samples[0].name).rename(folder / "renamed.txt")  # same content: still cached
    again, errors = pipeline.extract_all(sorted(folder.iterdir()), workers=2, cache=cache)
    assert extracted == ["new.txt"] and not errors
    assert [e.document.file for e in again] == sorted(p.name for p in folder.iterdir())
    new = next(e.document.id for e in again if e.document.file == "new.txt")
    assert {e.document.id for e in again} == {e.document.id for e in first} | {new}

    monkeypatch.setattr(resolve, "warm_up", lambda: pytest.fail("matchers built with nothing to extract"))
    assert len(pipeline.extract_all(sorted(folder.iterdir()), workers=2, cache=cache)[0]) == 4
    assert extracted == ["new.txt"]


def test_the_corpus_stays_frozen_for_the_collector_through_the_build_and_is_thawed_after(tmp_path):
    """A build freezes its corpus (`gc.freeze`) so that collections skip it; the forks it makes
    (recurrences, maps) leave it frozen, and the build thaws it when done."""
    import gc

    seen = []
    result = pipeline.build([sample_corpus()], tmp_path / "out", workers=1,
                            progress=lambda stage, done, total: seen.append((stage, gc.get_freeze_count())))
    assert result.exit_code == 0 and gc.get_freeze_count() == 0
    frozen = dict(seen)  # the last count seen at each stage
    assert frozen["property graph"] > 10_000


@pytest.mark.parametrize("failing", ["write_tracker_csv", "write_graphs"])  # before / while the site is drawn
def test_failed_build_keeps_the_previous_output(tmp_path, monkeypatch, failing):
    out = tmp_path / "out"
    assert _build("--out", out).exit_code == 0
    before = (out / "findings.jsonl").read_bytes(), sorted(p.name for p in (out / "site").iterdir())
    import kg.export

    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(kg.export, failing, boom)
    r = _build("--out", out, "--force")
    assert r.exit_code != 0
    assert ((out / "findings.jsonl").read_bytes(), sorted(p.name for p in (out / "site").iterdir())) == before
    assert not [p for p in tmp_path.iterdir() if "building" in p.name]


def test_a_failure_while_drawing_waits_for_the_drawing(tmp_path, monkeypatch):
    """The maps and site are drawn in a forked process that writes into the build's temporary
    folder. If the stores fail meanwhile, the build must wait for the drawing before removing
    that folder: otherwise a slow drawing recreates it afterwards and leaves it behind."""
    import time

    import kg.export
    import viz

    def slow_drawing(corpus, texts, out, *_):
        time.sleep(1.5)
        (out / "site").mkdir(parents=True, exist_ok=True)
        (out / "site" / "late.html").write_text("drawn after the failure", encoding="utf-8")

    def boom(*a, then=None, **k):
        then()  # the property graph is in: the drawing starts
        raise RuntimeError("disk full")
    monkeypatch.setattr(viz, "write", slow_drawing)
    monkeypatch.setattr(kg.export, "write_graphs", boom)
    r = _build("--out", tmp_path / "out")
    assert r.exit_code != 0 and isinstance(r.exception, RuntimeError)
    time.sleep(2)  # had the build not waited, the drawing would have written by now
    assert [p.name for p in tmp_path.iterdir()] == [".out-cache"]


def test_help_teaches():
    r = runner.invoke(app, ["--help"])
    for cmd in ("build", "findings", "trace", "review", "eval", "query", "queries"):
        assert cmd in r.output
    assert "Exit code" in runner.invoke(app, ["build", "--help"]).output


def test_the_wheel_carries_its_resources(tmp_path):
    """A normal (non-editable) install finds ontology, queries and samples as package resources."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist)], check=True)
    wheel = next(dist.glob("safeguarding_kg-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "kg/samples/000_d575777664c372be.txt" in names and "ontology/themes.ttl" in names
    assert any(n.startswith("queries/sparql/") and n.endswith(".rq") for n in names)
    assert "kg = kg.cli:main" in zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))).decode()
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import kg, ontology; print(kg.__file__)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(target))
    r = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--out", "built", "--no-site", "--workers", "1"],
                       cwd=elsewhere, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (elsewhere / "built" / "findings.jsonl").stat().st_size > 1000
    assert subprocess.run([sys.executable, "-m", "kg.cli", "--help"], cwd=elsewhere, env=env,
                          capture_output=True, text=True).returncode == 0
    # kg.cli:main exits without tearing modules down: its exit codes and messages are still the app's
    r = subprocess.run([sys.executable, "-m", "kg.cli", "trace", "no-such-id", "--out", "built"], cwd=elsewhere,
                       env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "no statement 'no-such-id'" in r.stderr


def test_query_commands_answer_alike(sample_build):
    out, _ = sample_build
    got = {}
    for lang in ("sparql", "cypher"):
        r = runner.invoke(app, ["query", lang, "open_findings_by_agency", "--out", str(out), "--format", "json"])
        assert r.exit_code == 0, r.output
        got[lang] = json.loads(r.output)
    assert got["sparql"] and got["sparql"] == got["cypher"]
    r = runner.invoke(app, ["query", "sparql", "status_as_of", "-p", "as_of=2019-01-01", "-p", "area=haringey",
                            "--out", str(out), "--format", "csv"])
    assert r.exit_code == 0 and r.output.startswith("finding,area,status")
    assert "addressed" not in r.output.split("\n", 1)[1]
    r = runner.invoke(app, ["query", "sparql", "no_such_question", "--out", str(out)])
    assert r.exit_code == 2 and "valid names" in r.output
    r = runner.invoke(app, ["queries", "--lang", "cypher"])
    assert "trace_finding" in r.output and "params" not in r.output or "finding" in r.output


def test_exports(sample_build, tmp_path):
    import rdflib

    out, _ = sample_build
    for fmt, name in (("turtle", "g.ttl"), ("jsonld", "g.jsonld"), ("ntriples", "g.nt")):
        r = runner.invoke(app, ["export", fmt, "--to", str(tmp_path / name), "--out", str(out)])
        assert r.exit_code == 0, r.output
        if fmt == "jsonld":  # one named graph per document
            ds = rdflib.Dataset().parse(tmp_path / name, format="json-ld")
            assert len(list(ds.quads())) > 1000
        else:
            assert len(rdflib.Graph().parse(tmp_path / name, format="turtle" if fmt == "turtle" else "nt")) > 1000
    r = runner.invoke(app, ["export", "neo4j-csv", "--to", str(tmp_path / "csv"), "--out", str(out)])
    assert r.exit_code == 0 and (tmp_path / "csv" / "import.txt").exists()
    assert runner.invoke(app, ["export", "yaml", "--to", str(tmp_path / "x"), "--out", str(out)]).exit_code == 2


def test_a_shacl_violation_is_reported_and_the_build_kept(samples, tmp_path):
    import copy

    from kg.export import write_all

    corpus, texts = samples
    broken = copy.deepcopy(corpus)
    bad = next(s for s in broken.statements if s.kind == "finding")
    bad.polarity = None
    write_all(broken, texts, tmp_path / "out", site=False)
    errors = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert any(e["stage"] == "validate" and bad.id in e["reason"] for e in errors), errors[:3]
    assert (tmp_path / "out" / "findings.jsonl").exists() and (tmp_path / "out" / "rdf").is_dir()


def test_a_shacl_check_that_cannot_run_is_reported_and_the_build_kept(samples, tmp_path, monkeypatch):
    """SHACL runs in a Python process of its own; when that process fails, the build says the
    graph was not checked, and keeps everything else."""
    import sys

    from kg.export import write_all

    corpus, texts = samples
    monkeypatch.setattr(sys, "executable", "/bin/false")
    write_all(corpus, texts, tmp_path / "out", site=False)
    assert json.loads((tmp_path / "out" / "graphs.json").read_text())["shacl"].startswith("not checked: the SHACL check failed")
    assert (tmp_path / "out" / "findings.jsonl").exists() and (tmp_path / "out" / "rdf").is_dir()


def test_a_rebuild_draws_only_the_maps_that_changed_and_draws_them_as_a_forced_build_does(tmp_path):
    """A new document: the rebuild reuses the previous build's pages of the views it leaves
    as they were (the same files), and its maps are byte for byte a forced build's."""
    import shutil

    corpus, out, forced = tmp_path / "in", tmp_path / "out", tmp_path / "forced"
    corpus.mkdir()
    samples = sorted(sample_corpus().glob("*.txt"))
    for p in samples[:2]:
        (corpus / p.name).write_bytes(p.read_bytes())
    assert _build(corpus, "--out", out).exit_code == 0
    shutil.copytree(out / "maps", tmp_path / "before", copy_function=os.link)
    (corpus / samples[2].name).write_bytes(samples[2].read_bytes())
    assert _build(corpus, "--out", out).exit_code == 0
    assert _build(corpus, "--out", forced, "--force").exit_code == 0
    assert file_digests(out / "maps") == file_digests(forced / "maps")
    pages = sorted(p.name for p in (out / "maps").glob("*-*.html"))
    kept = [p for p in pages if (tmp_path / "before" / p).exists() and os.path.samefile(out / "maps" / p, tmp_path / "before" / p)]
    assert 0 < len(kept) < len(pages), (len(kept), len(pages))
