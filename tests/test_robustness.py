"""A bad corpus builds as far as it can; a killed build leaves the previous output alone;
builds are deterministic; extraction keeps every quote exact on damaged text.

The bad corpus is tests/bad_inputs/ (committed, small; regenerate with make.py) plus files
made at test time, described in tests/bad_inputs/expected.json.
"""
from __future__ import annotations

import hashlib
import json
import pathlib
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, file_digests
import kg.pipeline
from kg.pipeline import build, sample_corpus

BAD = ROOT / "tests" / "bad_inputs"
EXPECTED = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))["files"]
SAMPLES = ("000_d575777664c372be.txt", "004_83aba5e7ba0bccf2.txt")


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory):
    """Build the bad corpus once, with two worker processes.

    How the run-dependent files are made:
    - vanishing.txt is really deleted, by a hook on `kg.pipeline.discover`, after discovery and
      before extraction;
    - unreadable.txt is chmod 000, but the tests run as root, for whom modes do not block reads;
      so reads of that one path are also refused by patching `pathlib.Path.read_bytes` to raise
      PermissionError (EACCES), which is what a non-root reader would get. The worker processes
      are forked after the patch, so they inherit it.
    """
    tmp = tmp_path_factory.mktemp("bad")
    corpus = tmp / "in"
    corpus.mkdir()
    for f in BAD.iterdir():
        if f.name in EXPECTED and "generated" not in EXPECTED[f.name]:
            shutil.copy(f, corpus / f.name)
    for name in SAMPLES:
        shutil.copy(sample_corpus() / name, corpus / name)
    shutil.copy(sample_corpus() / SAMPLES[0], corpus / "zz_same_as_000.txt")
    chunk = (sample_corpus() / SAMPLES[0]).read_bytes()
    with open(corpus / "big_50mb.txt", "wb") as fh:
        for _ in range(50 * 2**20 // len(chunk) + 1):
            fh.write(chunk)
    (corpus / "vanishing.txt").write_text("The MASH is effective.\n", encoding="utf-8")
    unreadable = corpus / "unreadable.txt"
    unreadable.write_text("Health visitors attend strategy meetings.\n", encoding="utf-8")
    unreadable.chmod(0)
    assert set(p.name for p in corpus.iterdir()) == set(EXPECTED)

    real_discover, real_read_bytes = kg.pipeline.discover, pathlib.Path.read_bytes

    def discover_then_delete(paths):
        files, errors = real_discover(paths)
        (corpus / "vanishing.txt").unlink()
        return files, errors

    def refuse(self):
        if self.name == "unreadable.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kg.pipeline, "discover", discover_then_delete)
        mp.setattr(pathlib.Path, "read_bytes", refuse)
        t = time.perf_counter()
        result = build([corpus], tmp / "out", workers=2, site=False, graph=False, validate=False)
        seconds = time.perf_counter() - t
    out = result.out
    docs = {json.loads(x)["file"]: json.loads(x) for x in (out / "documents.jsonl").read_text().splitlines()}
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
    return result, docs, errors, seconds


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_input_has_its_outcome(bad_build, name):
    result, docs, errors, _ = bad_build
    want = EXPECTED[name]
    mine = [e for e in errors if e["file"] == name]
    if "built" in want:
        assert name in docs and not mine, mine
        assert docs[name]["kind"] == want["built"]
        text = (result.out / "texts" / f"{docs[name]['id']}.txt").read_text(encoding="utf-8")
        for needle in want.get("contains", []):
            assert needle in text
        assert "\x00" not in text
    else:
        assert name not in docs
        assert len(mine) == 1, mine
        assert want["error"] in mine[0]["reason"] and mine[0]["stage"] == want["stage"], mine[0]


def test_the_rest_still_builds_and_the_exit_code_says_partial(bad_build):
    result, docs, errors, seconds = bad_build
    assert result.exit_code == 1
    assert {e["file"] for e in errors} == {n for n, w in EXPECTED.items() if "error" in w}
    assert set(docs) == {n for n, w in EXPECTED.items() if "built" in w}
    by_doc = {}
    for s in result.corpus.statements:
        by_doc[s.doc] = by_doc.get(s.doc, 0) + 1
    assert all(by_doc.get(docs[n]["id"], 0) > 0 for n in SAMPLES)
    assert seconds < 40, f"the bad corpus took {seconds:.0f} s"


# ------------------------------------------------------------------ atomic outputs

def test_sigkill_mid_build_keeps_the_previous_output(tmp_path):
    out = tmp_path / "out"
    assert build(None, out, workers=1).exit_code == 0
    before = file_digests(out)
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", "--out", str(out), "--workers", "1", "--force"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            building = list(tmp_path.glob(".out-building-*"))
            if building and any(building[0].iterdir()):  # it has started writing
                break
            assert proc.poll() is None, "the build finished before it could be killed"
            time.sleep(0.005)
        else:
            pytest.fail("no .out-building-* folder appeared")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    stale = list(tmp_path.glob(".out-building-*"))
    assert stale, "SIGKILL leaves the temporary folder behind"
    assert file_digests(out) == before

    assert build(None, out, workers=1, site=False).exit_code == 0
    assert (out / "findings.jsonl").read_bytes() and not (out / "site").exists()
    assert not list(tmp_path.glob(".out-building-*")), "the next build removes what the killed one left"


# ------------------------------------------------------------------ determinism

def _corpus_files() -> list[Path]:
    return sorted(sample_corpus().glob("*.txt")) + [BAD / n for n in
                                                     ("utf16_letter.txt", "cp1252_letter.txt", "allotment_minutes.txt")]


def test_builds_are_identical_whatever_the_order_folders_and_workers(tmp_path, monkeypatch):
    """8 files (so that 2 workers really use a process pool): once from one folder with 1 worker;
    once from copies spread over two differently named folders, discovered in reverse order,
    with 2 workers."""
    files = _corpus_files()
    a = tmp_path / "a" / "corpus"
    a.mkdir(parents=True)
    for f in files:
        shutil.copy(f, a / f.name)
    b1, b2 = tmp_path / "b" / "zz-second", tmp_path / "b" / "aa-first"
    b1.mkdir(parents=True)
    b2.mkdir(parents=True)
    for i, f in enumerate(files):
        shutil.copy(f, (b1 if i % 2 else b2) / f.name)
    ra = build([a], tmp_path / "a" / "out", workers=1, site=False, validate=False)

    real = kg.pipeline.discover

    def reversed_discover(paths):
        found, errors = real(paths)
        return found[::-1], errors
    monkeypatch.setattr(kg.pipeline, "discover", reversed_discover)
    rb = build([b1, b2], tmp_path / "b" / "out", workers=2, site=False, validate=False)
    assert ra.exit_code == rb.exit_code == 0
    for name in ("documents.jsonl", "findings.jsonl", "tracker.csv", "errors.jsonl"):
        assert (ra.out / name).read_bytes() == (rb.out / name).read_bytes(), name
    ids = lambda c: ([d.id for d in c.documents], [s.id for s in c.statements], [f.id for f in c.followups],
                     [r.id for r in c.recurrences])
    assert ids(ra.corpus) == ids(rb.corpus)
    assert len(ra.corpus.documents) == 8 and ra.corpus.followups

    from kg.rdf_map import nquads

    qa, qb = (q.decode("utf-8") if isinstance(q, bytes) else q for q in (nquads(ra.corpus), nquads(rb.corpus)))
    if "_:" not in qa + qb:
        assert sorted(qa.splitlines()) == sorted(qb.splitlines())
    else:
        from rdflib import Dataset
        from rdflib.compare import isomorphic

        da, db = Dataset(), Dataset()
        da.parse(data=qa, format="nquads")
        db.parse(data=qb, format="nquads")
        assert sorted(str(g.identifier) for g in da.graphs()) == sorted(str(g.identifier) for g in db.graphs())
        for g in da.graphs():
            assert isomorphic(g, db.graph(g.identifier)), g.identifier
    # the N-Quads file is written in corpus order, so it is byte-identical, not just isomorphic
    assert (ra.out / "graph.nq").read_bytes() == (rb.out / "graph.nq").read_bytes()


# ------------------------------------------------------------------ extraction on damaged text

def _sentences() -> list[str]:
    out = []
    for f in sorted(sample_corpus().glob("*.txt")):
        for para in f.read_text(encoding="utf-8").split("\n"):
            out += [s.strip() for s in re.split(r"(?<=[.!?])\s+", para) if 30 <= len(s.strip()) <= 300]
    return sorted(set(out))


SENTENCES = _sentences()
HEADINGS = ["Key strengths", "Areas for improvement", "What needs to improve", "Next steps",
            "Recommendations", "Case study: highly effective practice"]
DAMAGE = ["", "\f", "\fPage 4 of 12\n", "¹", "\n12\n", "\uf06e ", "\uf02d ", "\u25fc ", "• ", "- ", "\n\n", "\t"]


def _hyphenate(s: str, rnd: random.Random) -> str:
    words = [i for i, w in enumerate(s.split(" ")) if len(w) > 7 and w.isalpha()]
    if not words:
        return s
    parts = s.split(" ")
    i = rnd.choice(words)
    k = rnd.randrange(3, len(parts[i]) - 2)
    parts[i] = parts[i][:k] + "-\n" + parts[i][k:]
    return " ".join(parts)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(DAMAGE), st.sampled_from(DAMAGE),
                          st.booleans(), st.integers(0, 12)), min_size=1, max_size=30),
       st.sampled_from(["letter.txt", "plan.pdf"]))
def test_load_keeps_every_quote_exact_on_damaged_text(parts, name):
    from loaders.extract import load
    from loaders.read import RawText

    rnd = random.Random(len(parts))
    chunks = []
    for pick, before, after, hyphen, heading in parts:
        s = SENTENCES[pick % len(SENTENCES)]
        if hyphen:
            s = _hyphenate(s, rnd)
        if heading < len(HEADINGS):
            chunks.append("\n" + HEADINGS[heading] + "\n")
        chunks.append(before + s + after + "\n")
    text = "Joint targeted area inspection\n\n" + "".join(chunks)
    raw = RawText(name, hashlib.sha256(text.encode()).hexdigest(), text, "pdf" if name.endswith(".pdf") else "txt")
    doc, statements = load(raw)
    assert len({s.id for s in statements}) == len(statements)
    assert doc.id not in {s.id for s in statements}
    for s in statements:
        assert 0 <= s.span.start <= s.span.end <= len(text)
        assert text[s.span.start:s.span.end] == s.span.quote, s.id
        assert s.doc == doc.id
    for r in doc.references:
        assert text[r.span.start:r.span.end] == r.span.quote


def test_the_build_replaced_is_deleted_and_what_is_left_of_it_goes_next_time(tmp_path):
    """A rebuild swaps its output in and has the build it replaced deleted by a process of its
    own; a folder that such a process left (it was killed) is removed by the next build."""
    out = tmp_path / "out"
    assert build(None, out, workers=1, site=False).exit_code == 0
    assert build(None, out, workers=1, site=False, force=True).exit_code == 0
    deadline = time.monotonic() + 60
    while list(tmp_path.glob(".out-previous*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not list(tmp_path.glob(".out-previous*")) and (out / "findings.jsonl").read_bytes()
    (tmp_path / ".out-previous-1").mkdir()
    (tmp_path / ".out-previous-1" / "findings.jsonl").write_text("{}\n")
    assert build(None, out, workers=1, site=False, force=True).exit_code == 0
    assert not (tmp_path / ".out-previous-1").exists()
