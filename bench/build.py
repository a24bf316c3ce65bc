"""End-to-end build on a corpus: first build, no-change rebuild, one-new-document rebuild.

    python bench/build.py --corpus ../shared/national/text [--workers 2] [--limit N] [--json]

The corpus is copied to a temporary folder without its last file; that copy is built
(first build, empty cache), built again unchanged (the build key matches: the previous build
is kept), rebuilt unchanged with force=True (every output rewritten, extraction from the
cache), then the held-out file is added and it is built once more (the RDF store: the previous
build's, with the graphs that changed replaced), and again with force=True as its baseline (every
output rewritten, the store loaded in full). Linking (kg.link.link + assess) and the maps and
site (viz.write) are also timed on their own, on the assembled corpus. Peak memory is the
sampled sum of the proportional set sizes (PSS) of this process and its descendants (psutil), plus getrusage marks.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PeakMemory, emit, files_of, machine, maxrss_mb, parser, timer  # noqa: E402


def _store_report(out: Path, which: str = "rdf") -> str | None:
    """How the build made its RDF store (or property graph): loaded in full, or the previous one updated."""
    import json

    try:
        report = json.loads((out / "graphs.json").read_text(encoding="utf-8")).get(which)
    except (OSError, ValueError):
        return None
    return report.get("written") if isinstance(report, dict) else report


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2, help="Extraction worker processes (default 2).")
    p.add_argument("--limit", type=int, default=100,
                   help="Use the first N documents by name, so whole areas (default 100, to stay within ~5 minutes "
                        "on 2 cores: linking grows faster than linearly); 0 = the whole corpus.")
    p.add_argument("--no-site", action="store_true", help="Skip maps and site in the builds.")
    p.add_argument("--validate", action="store_true",
                   help="Check the SHACL shapes in the builds (off by default: on national data a few violations "
                        "stop the whole build).")
    a = p.parse_args(argv)

    import kg.link
    import viz
    from kg.pipeline import build

    files = files_of(a.corpus, a.limit or None)
    if len(files) < 2:
        p.error("the corpus needs at least two documents")
    site = not a.no_site
    res: dict = {"bench": "build", "corpus": [str(c) for c in a.corpus], "documents": len(files),
                 "workers": a.workers, "site": site, "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="kg-bench-build-") as tmp:
        tmp = Path(tmp)
        src = tmp / "in"
        src.mkdir()
        for i, f in enumerate(files[:-1]):
            shutil.copy2(f, src / f"{i:05d}_{f.name}")
        held = files[-1]
        out = tmp / "out"
        phases: dict = {}

        def run(name: str, force: bool = False) -> None:
            marks: dict = {}

            def progress(stage: str, done: int, total: int) -> None:
                now = time.perf_counter()
                marks.setdefault(stage, [now, now])[1] = now

            t0 = time.perf_counter()
            with PeakMemory() as mem:
                r = build([src], out, workers=a.workers, progress=progress, site=site, validate=a.validate,
                          force=force)
            total = time.perf_counter() - t0
            ext = marks.get("extract")
            phases[name] = {"seconds": round(total, 2), "peak_mb": mem.mb, "exit_code": r.exit_code,
                            "documents": len(r.corpus.documents), "statements": len(r.corpus.statements),
                            "followups": len(r.corpus.followups), "errors": len(r.corpus.errors),
                            "extract_seconds": round(ext[1] - t0, 2) if ext else None,
                            "rdf_store": _store_report(out), "property_graph": _store_report(out, "property_graph")}
            return r

        first = run("first")
        run("no_change")
        run("forced_rebuild", force=True)
        shutil.copy2(held, src / f"{len(files):05d}_{held.name}")
        last = run("one_new")
        run("one_new_forced", force=True)
        res["phases"] = phases
        res["ratios"] = {k: round(phases["first"]["seconds"] / max(v["seconds"], 1e-9), 2) for k, v in phases.items()}
        del first

        corpus = last.corpus
        texts = {t.stem: t.read_text(encoding="utf-8") for t in (out / "texts").glob("*.txt")}
        parts: dict = {}
        with timer(parts, "link_seconds"):
            followups, recurrences = kg.link.link(corpus)
        corpus.followups = followups
        with timer(parts, "assess_seconds"):
            kg.link.assess(corpus)
        with timer(parts, "viz_seconds"):
            viz.write(corpus, texts, tmp / "viz")
        try:
            from kg.rdf import RDFStore

            with timer(parts, "rdf_store_seconds"):
                RDFStore.build(tmp / "rdf", corpus).close()
        except ImportError as e:  # pragma: no cover
            parts["rdf_store_seconds"] = f"unavailable: {e}"
        res["parts"] = {**parts, "followups": len(followups), "recurrences": len(recurrences)}
        res["rusage"] = maxrss_mb()

    rows = [[name, ph["seconds"], ph["extract_seconds"], ph["peak_mb"], res["ratios"][name], ph["documents"],
             ph["statements"], ph["followups"], ph["exit_code"], ph["rdf_store"], ph["property_graph"]] for name, ph in phases.items()]
    rows += [[k.removesuffix("_seconds"), v, None, None, None, None, None, None, None, None, None]
             for k, v in parts.items() if k.endswith("_seconds")]
    emit(res, rows, ["phase", "seconds", "extract_s", "peak_MB", "first/this", "docs", "statements", "followups",
                     "exit", "rdf store", "property graph"], a.json, f"kg.pipeline.build on {', '.join(res['corpus'])}: {len(files)} documents, "
                                      f"{a.workers} workers (getrusage {res['rusage']})")
    return res


if __name__ == "__main__":
    main()
