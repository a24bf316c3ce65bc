"""The public JSON Lines and CSV exports, and writing a whole build folder.

`documents.jsonl` and `findings.jsonl` are a stable public interface (see the
README for their fields); load them with `pandas.read_json(path, lines=True)`.
"""
from __future__ import annotations

import csv
import json
import os
import pickle
import time
from concurrent.futures import Future, wait
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import orjson

from kg.errors import StoreError
from kg.link import current
from kg.models import BuildError, Corpus

SCHEMA_VERSION = 1


def document_rows(corpus: Corpus) -> list[dict]:
    rows = []
    for d in corpus.documents:
        insp = d.inspection
        rows.append({
            "id": d.id, "file": d.file, "sha256": d.sha256, "kind": d.kind, "title": d.title, "area": d.area,
            "area_label": corpus.areas.get(d.area or "", d.area), "published": d.published, "pages": d.pages,
            "inspection_start": insp.start if insp else None, "inspection_end": insp.end if insp else None,
            "framework": insp.framework if insp else None, "grades": insp.grades if insp else {},
            "inspectorates": insp.inspectorates if insp else [], "inspectors": insp.inspectors if insp else [],
            "deep_dive": insp.deep_dive if insp else None, "deadline": insp.deadline if insp else None,
            "addressees": [asdict(a) for a in d.addressees],
            "references": [{"id": r.id, "kind": r.kind, "date": r.date, "area": r.area, "quote": r.span.quote,
                            "start": r.span.start, "end": r.span.end, "resolved": r.resolved} for r in d.references],
        })
    return rows


def finding_rows(corpus: Corpus, as_of: str | None = None) -> list[dict]:
    docs = {d.id: d for d in corpus.documents}
    stmts = {s.id: s for s in corpus.statements}
    labels = {a.id: a.label for a in corpus.agencies}
    status = current(corpus.assessments, as_of)
    links: dict[str, list] = {}
    for f in corpus.followups:
        links.setdefault(f.finding, []).append(f)
    rows = []
    for s in corpus.statements:
        a = status.get(s.id)
        fus = []
        for f in sorted(links.get(s.id, []), key=lambda f: (-f.score, f.id)):
            e = stmts[f.evidence]
            fus.append({"id": f.id, "evidence": e.id, "kind": e.kind, "file": docs[e.doc].file, "date": e.date,
                        "quote": e.span.quote, "start": e.span.start, "end": e.span.end, "relation": f.relation,
                        "score": f.score, "cues": f.cues, "reviewed": f.reviewed, "reviewer": f.reviewer})
        rows.append({
            "id": s.id, "document": s.doc, "file": docs[s.doc].file, "kind": s.kind, "polarity": s.polarity,
            "section": s.section, "text": s.text, "quote": s.span.quote, "start": s.span.start, "end": s.span.end,
            "page": s.span.page, "area": s.area, "date": s.date,
            "agencies": s.agencies, "agency_labels": [labels.get(x, x) for x in s.agencies],
            "mentioned": s.mentioned, "themes": s.themes, "due": s.due,
            "statistic": asdict(s.statistic) if s.statistic else None, "refers_to": s.refers_to,
            "status": a.status if a else None, "confidence": a.confidence if a else None,
            "explanation": a.explanation if a else None, "last_evidence": a.last_evidence if a else None,
            "followups": fus,
        })
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> None:
    """One JSON object a line, keys sorted (orjson: the national findings, 230 MB, in a third of json's time)."""
    with open(path, "wb") as fh:
        for r in rows:
            fh.write(orjson.dumps(r, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE))


TRACKER_COLUMNS = ["id", "area", "file", "date", "kind", "polarity", "agencies", "themes", "status", "confidence",
                   "last_evidence", "followups", "text"]


def tracker_rows(corpus: Corpus, as_of: str | None = None, rows: list[dict] | None = None) -> list[dict]:
    """One row per weakness and recommendation: what a spreadsheet user wants (from the
    corpus's `finding_rows`, or from those rows when already made)."""
    out = []
    for r in finding_rows(corpus, as_of) if rows is None else rows:
        if r["status"] is None:
            continue
        out.append({**{k: r[k] for k in TRACKER_COLUMNS if k in r}, "agencies": "; ".join(r["agency_labels"]),
                    "themes": "; ".join(r["themes"]), "followups": len(r["followups"])})
    return out


def write_tracker_csv(path: Path, corpus: Corpus, as_of: str | None = None, rows: list[dict] | None = None) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, TRACKER_COLUMNS)
        w.writeheader()
        w.writerows(tracker_rows(corpus, as_of, rows))


SHACL_FULL_LIMIT = 5000


def validation_sample(corpus: Corpus, limit: int = SHACL_FULL_LIMIT) -> tuple[Corpus, str]:
    """The corpus itself when small; else every document of the first areas (by id) up to
    `limit` statements, with their links: SHACL on a big graph takes minutes."""
    if len(corpus.statements) <= limit:
        return corpus, "all statements"
    areas, count = [], 0
    per_area: dict[str, int] = {}
    for st in corpus.statements:
        per_area[st.area or ""] = per_area.get(st.area or "", 0) + 1
    for area in sorted(per_area):
        if count and count + per_area[area] > limit:
            break
        areas.append(area)
        count += per_area[area]
    keep = set(areas)
    stmts = [st for st in corpus.statements if (st.area or "") in keep]
    ids = {st.id for st in stmts}
    sample = Corpus(
        documents=[d for d in corpus.documents if (d.area or "") in keep], statements=stmts,
        followups=[f for f in corpus.followups if f.finding in ids and f.evidence in ids],
        assessments=[a for a in corpus.assessments if a.finding in ids],
        recurrences=[r for r in corpus.recurrences if r.a in ids and r.b in ids],
        agencies=corpus.agencies, themes=corpus.themes, areas=corpus.areas)
    return sample, f"a sample of {len(areas)} areas ({len(stmts)} of {len(corpus.statements)} statements)"


GRAPH_INDEX = "graph.nq.json"


def write_graphs(corpus: Corpus, out: Path, progress: Callable[[str, int, int], None] | None = None,
                 then: Callable[[], object] | None = None, previous: Path | None = None,
                 recurrences: Callable[[], object] | None = None) -> dict[str, object]:
    """The graph as N-Quads (out/graph.nq, indexed by graph in out/graph.nq.json), the RDF store
    loaded from it (out/rdf) and the property graph (out/graph). The two stores load at the same
    time: Oxigraph's bulk load runs in native threads while Python feeds FalkorDB. `then` is
    called once the property graph is in, while Oxigraph may still be loading. Given the
    `previous` build's folder, the RDF store is its store with just the changed graphs replaced,
    and the property graph its graph with just the changed areas written again
    (`write_property_graph`). `recurrences`: called before the N-Quads' last lines, the
    recurrences (`kg.rdf_map.write_nquads`)."""
    from concurrent.futures import ThreadPoolExecutor

    from kg import rdf
    from kg.rdf_map import graph_sources, write_nquads

    report: dict[str, object] = {}
    before = _graph_index(previous) if previous is not None else None
    index = write_nquads(corpus, out / "graph.nq", (previous / "graph.nq", before) if before else None, recurrences)
    (out / GRAPH_INDEX).write_text(json.dumps(index, sort_keys=True), encoding="utf-8")

    def load_rdf() -> int:
        store = rdf.RDFStore.build(out / "rdf", nquads_file=out / "graph.nq", index=index,
                                   previous=(previous / "rdf", before, previous / "graph.nq") if before else None)
        try:
            report["rdf"] = (f"the previous store with {store.updated[0]} of {store.updated[1]} graphs replaced"
                             if store.updated else "loaded in full")
            return len(store)
        finally:
            store.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        quads = pool.submit(load_rdf)
        try:
            report["property_graph"] = write_property_graph(
                corpus, out / "graph", graph_sources(corpus, index), previous / "graph" if before else None, progress)
        except (StoreError, ImportError, OSError) as exc:
            report["property_graph"] = f"not written: {exc}"
        if then is not None:
            then()
        report["quads"] = quads.result()
    return report


PARTS_FILE = "parts.json"
UPDATE_SHARE = 0.25  # the property graph is loaded in full when more of the documents than this changed


def write_property_graph(corpus: Corpus, folder: Path, sources: tuple[dict, dict], previous: Path | None = None,
                         progress: Callable[[str, int, int], None] | None = None) -> dict[str, object]:
    """The property graph in FalkorDB, in `folder`. Given the `previous` build's graph folder, it
    is that graph with just the changed areas' parts written again (`FalkorEngine.update`,
    decided by `kg.pgstore.area_parts` of `sources`, as `graph_sources` gives them); else, or
    when more than UPDATE_SHARE of the documents changed, it is loaded in full."""
    from kg.falkor import RDB_FILE, FalkorEngine
    from kg.pgstore import area_parts, changes
    from kg.pipeline import program_digest

    parts = area_parts(corpus, *sources, program=program_digest())
    before = None
    if previous is not None:
        try:
            before = json.loads((previous / PARTS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    plan = changes(before, parts)
    reason = ""
    if plan is not None and len(plan[0]) > UPDATE_SHARE * len(corpus.documents):
        plan, reason = None, f" ({len(plan[0])} of {len(corpus.documents)} documents' parts changed)"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PARTS_FILE).unlink(missing_ok=True)
    made: dict[str, object] | None = None
    if plan is not None:
        try:
            # the server saves by writing a new file and renaming it: the previous build's stays as it was
            os.link(previous / RDB_FILE, folder / RDB_FILE)
            with FalkorEngine.open(folder) as engine:
                updated = engine.update(corpus, *plan, progress=progress)
            made = {**updated, "written": f"the previous graph with the parts of {len(plan[0])} of "
                                          f"{len(corpus.documents)} documents written again"}
        except (StoreError, OSError) as exc:  # loaded in full instead: the previous file is not trusted
            (folder / RDB_FILE).unlink(missing_ok=True)
            reason = f" (the previous graph could not be updated: {exc})"
    if made is None:
        with FalkorEngine.open(folder) as engine:
            made = {**engine.bulk_load(corpus, progress=progress), "written": "loaded in full" + reason}
    if parts is not None:
        (folder / PARTS_FILE).write_text(json.dumps(parts, sort_keys=True), encoding="utf-8")
    return made


def _graph_index(build: Path) -> dict[str, dict] | None:
    """The graph index of the complete build in `build`, if it has one."""
    try:
        if (build / "corpus.pickle").is_file():
            return json.loads((build / GRAPH_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    return None


def _shacl(nquads: bytes) -> list[str]:
    """SHACL violations of the N-Quads, found by a Python process of their own (`python -m
    kg.export` reads them on stdin): a fork would share the build's pages, and each page either
    process then writes is copied (nationally the fork took 0.6-0.85 GB beside the property
    graph's update, a process of its own 0.38 GB)."""
    import subprocess
    import sys

    from kg.pipeline import die_with_parent

    done = subprocess.run([sys.executable, "-m", "kg.export"], input=nquads, capture_output=True,
                          preexec_fn=die_with_parent)
    if done.returncode != 0:
        raise StoreError(f"the SHACL check failed: {done.stderr.decode(errors='replace').strip()[-2000:]}")
    return json.loads(done.stdout)


def start_validation(corpus: Corpus) -> tuple[Future, str]:
    """SHACL-validate the graph in another process, so it overlaps the rest of the build."""
    from concurrent.futures import ThreadPoolExecutor

    from kg import rdf

    sample, what = validation_sample(corpus)
    pool = ThreadPoolExecutor(max_workers=1)  # a thread that waits for the process
    try:
        return pool.submit(_shacl, rdf.nquads(sample)), what
    finally:
        pool.shutdown(wait=False)


MAX_REPORTED_VIOLATIONS = 200


class Clock:
    """Wall-clock seconds per stage, kept in manifest.json."""

    def __init__(self) -> None:
        self._now = time.perf_counter
        self._last = self._now()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = self._now()
        self.laps[name] = round(now - self._last, 2)
        self._last = now


def write_all(corpus: Corpus, texts: dict[str, str], out: Path, graph: bool = True, site: bool = True,
              validate: bool = True, progress: Callable[[str, int, int], None] | None = None,
              previous: Path | None = None, pending: Callable[..., object] | None = None) -> None:
    """Everything a build writes, into `out` (a fresh folder; `previous`: the build it will
    replace, whose RDF store and unchanged map pages are reused). SHACL runs in another process
    meanwhile; a violation is reported (errors.jsonl, stage "validate") without losing the build.
    The maps are drawn in another process too, while this one writes the site, and a thread
    updates the RDF store.
    `pending`: called before anything that shows the corpus's recurrences, which may still be
    being found (`kg.pipeline.start_link_and_assess`); once the tables are written with
    `block=False`, which returns None instead of waiting for them."""
    out.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    write_jsonl(out / "documents.jsonl", document_rows(corpus))
    rows = finding_rows(corpus)  # made once: the exports, the maps and the site all show these
    write_jsonl(out / "findings.jsonl", rows)
    write_tracker_csv(out / "tracker.csv", corpus, rows=rows)
    (out / "texts").mkdir()
    for doc_id, text in sorted(texts.items()):
        (out / "texts" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    clock.lap("exports")
    checking = None

    def recurrences_found() -> None:
        """Waits for the recurrences if they are still being found (while the N-Quads are
        written, all but their last lines), then starts SHACL, which checks them too."""
        nonlocal checking
        if pending is not None:
            started = time.perf_counter()
            pending()
            clock.laps.setdefault("waiting for the recurrences", round(time.perf_counter() - started, 2))
        if checking is None and graph and validate:
            checking = start_validation(corpus)

    if pending is None or previous is None or pending(block=False) is not None:
        # SHACL starts now, beside the N-Quads: a build from scratch waits for the recurrences
        # here, as SHACL started after the N-Quads would run beside the property graph's full
        # load and add its 0.36 GB to that peak (nationally 1.94-1.99 GB with it)
        recurrences_found()

    report: dict[str, object] = {}
    drawing: list[Future] = []

    model = None  # what the maps and the site are drawn from (viz.common.Model), made once in draw()

    def draw() -> None:
        """The maps, in a forked process, and in a rebuild the site, here. They start once the
        property graph is in: the maps process's copy-on-write share of the corpus (0.75 GB
        nationally) then no longer adds to the property graph's peak, and both overlap the RDF
        store's update and compaction (in a thread of `write_graphs`) instead. A build from
        scratch writes the site once Oxigraph's full load is done: beside it, the maps process's
        share grew as this one wrote, and the peak with it (1.96 GB against 1.81-1.85 GB)."""
        from functools import partial

        from kg.pipeline import forked
        from viz.common import build_model
        from viz.maps import write_maps

        nonlocal model
        if graph:
            clock.lap("graphs (to the property graph)")
        model = build_model(corpus, None, rows)
        drawing.append(forked(partial(write_maps, model=model, previous=previous / "maps" if previous else None),
                              corpus, out / "maps"))
        if previous is not None:
            write_site_now()

    def write_site_now() -> None:
        from viz.site import write_site

        write_site(corpus, texts, out / "site", model=model, previous=previous / "site" if previous else None)
        clock.lap("site")

    try:
        if graph:
            report = write_graphs(corpus, out, progress=progress, then=draw if site else None, previous=previous,
                                  recurrences=recurrences_found)
            clock.lap("graphs (the rest)")
        else:
            recurrences_found()
            if site:
                draw()
        if site and previous is None:
            write_site_now()
    except BaseException:
        wait(drawing)  # let it finish before the caller removes the folder it writes in
        raise
    if drawing:
        drawing[0].result()
        clock.lap("maps (the rest)")
    if checking:
        future, what = checking
        try:
            problems = future.result()
            report["shacl"] = f"{len(problems)} violations ({what})" if problems else f"conforms ({what})"
        except StoreError as exc:  # the check could not run: said so, and the build is kept
            problems, report["shacl"] = [], f"not checked: {exc}"
        clock.lap("waiting for SHACL")
        corpus.errors += [BuildError("graph", f"SHACL: {p}", "validate") for p in problems[:MAX_REPORTED_VIOLATIONS]]
    write_jsonl(out / "errors.jsonl", [asdict(e) for e in corpus.errors])
    with open(out / "corpus.pickle", "wb") as fh:
        pickle.dump(corpus, fh)
    (out / "graphs.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps({
        "schema": SCHEMA_VERSION, "documents": len(corpus.documents), "statements": len(corpus.statements),
        "followups": len(corpus.followups), "errors": len(corpus.errors), "seconds": clock.laps}, indent=2),
        encoding="utf-8")


if __name__ == "__main__":  # `_shacl`'s process: N-Quads on stdin, the violations as JSON on stdout
    import sys

    from kg import rdf

    sys.stdout.write(json.dumps(rdf.validate_nquads(sys.stdin.buffer.read())))
