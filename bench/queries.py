"""Every named query's p50/p95: SPARQL on the Oxigraph store (kg.rdf.RDFStore) on disk and in
memory, Cypher on FalkorDB (kg.falkor.FalkorEngine), and the same SPARQL on rdflib's in-memory Dataset.

    python bench/queries.py --corpus ../shared/national/text [--limit 200] [--repeat 20] [--json]

The corpus is extracted once (with an extraction cache, `--cache`, so a second run starts
fast) or taken from a finished build (`--build out`). Parameters are chosen from the corpus:
its largest area, that area's commonest theme, the commonest agency, the weakness with the
most follow-ups. rdflib runs in a forked child so that a query slower than
`--rdflib-timeout` seconds is stopped and reported as such instead of stalling the bench.
"""
from __future__ import annotations

import multiprocessing as mp
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, machine, parser, pct, timer  # noqa: E402


def load_corpus(a):
    if a.build:
        from kg.api import load_build

        return load_build(a.build)
    from kg.pipeline import extract_corpus

    a.cache.mkdir(parents=True, exist_ok=True)
    from _common import files_of

    corpus, _ = extract_corpus(files_of(a.corpus, a.limit or None), workers=a.workers, cache=a.cache)
    return corpus


def choose_params(corpus) -> dict[str, str]:
    areas = Counter(d.area for d in corpus.documents if d.area)
    area = areas.most_common(1)[0][0] if areas else ""
    themes = Counter(t for s in corpus.statements if s.area == area and s.kind == "finding" for t in s.themes)
    agencies = Counter(x for s in corpus.statements if s.kind == "finding" for x in s.agencies)
    links = Counter(f.finding for f in corpus.followups)
    finding = links.most_common(1)[0][0] if links else (corpus.statements[0].id if corpus.statements else "")
    return {"area": area, "theme": themes.most_common(1)[0][0] if themes else "",
            "agency": agencies.most_common(1)[0][0] if agencies else "", "finding": finding, "as_of": "2023-01-01"}


def subset(corpus, n_docs: int):
    """The corpus restricted to the documents of its first areas (by name), about `n_docs` of them,
    with only the links, statuses and recurrences inside that part."""
    from dataclasses import replace

    by_area: dict = {}
    for d in corpus.documents:
        by_area.setdefault(d.area or "", []).append(d)
    keep = []
    for area in sorted(by_area):
        if len(keep) >= n_docs:
            break
        keep += by_area[area]
    ids = {d.id for d in keep}
    stmts = [s for s in corpus.statements if s.doc in ids]
    sids = {s.id for s in stmts}
    return replace(corpus, documents=keep, statements=stmts,
                   followups=[f for f in corpus.followups if f.finding in sids and f.evidence in sids],
                   assessments=[x for x in corpus.assessments if x.finding in sids],
                   recurrences=[r for r in corpus.recurrences if r.a in sids and r.b in sids])


def timed(fn, repeat: int) -> tuple[list[float], int]:
    fn()  # warm-up (query planning, caches)
    times, n = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        _, rows = fn()
        times.append((time.perf_counter() - t) * 1000)
        n = len(rows)
    return times, n


def _rdflib_child(conn, ds, name, params, repeat):
    from kg.rdf import query_dataset

    times, n = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        _, rows = query_dataset(ds, name, params)
        times.append((time.perf_counter() - t) * 1000)
        n = len(rows)
        conn.send(("time", times[-1], n))
    conn.send(("done", 0, n))


def rdflib_times(ds, name, params, repeat, timeout) -> tuple[list[float], int | None, bool]:
    """Run in a forked child (the Dataset is shared copy-on-write); stop it after `timeout` seconds."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_rdflib_child, args=(child, ds, name, params, repeat), daemon=True)
    proc.start()
    child.close()
    times, n, deadline = [], None, time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not parent.poll(left):
                return times, n, True
            kind, ms, n = parent.recv()
            if kind == "done":
                return times, n, False
            times.append(ms)
    except EOFError:
        return times, n, True
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--build", type=Path, help="Use the corpus of this finished build folder instead of extracting.")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "kg-bench-cache",
                   help="Extraction cache folder (default: TMPDIR/kg-bench-cache).")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--limit", type=int, default=100,
                   help="The first N documents by name, so whole areas (default 100: linking the whole national "
                        "corpus takes over 5 minutes); 0 = all.")
    p.add_argument("--repeat", type=int, default=20, help="Timed runs per query (after one warm-up).")
    p.add_argument("--rdflib-repeat", type=int, default=5)
    p.add_argument("--rdflib-timeout", type=float, default=10.0, help="Seconds per query before rdflib is stopped.")
    p.add_argument("--rdflib-docs", type=int, default=40,
                   help="rdflib cannot hold the national graph in reasonable time: the baseline ratio is measured on "
                        "the documents of the first areas (about this many), against Oxigraph on the same part "
                        "(0 = the whole corpus).")
    p.add_argument("--no-cypher", action="store_true", help="Skip FalkorDB.")
    a = p.parse_args(argv)

    import queries
    from kg.rdf import RDFStore, to_dataset
    from kg.rdf_map import write_nquads

    res: dict = {"bench": "queries", "corpus": [str(c) for c in a.corpus], "machine": machine(), "setup": {}}
    with timer(res["setup"], "extract_seconds"):
        corpus = load_corpus(a)
    params = choose_params(corpus)
    res.update(documents=len(corpus.documents), statements=len(corpus.statements),
               followups=len(corpus.followups), params=params)
    names = queries.names("sparql")
    results: dict[str, dict] = {n: {"params": {k: params[k] for k in queries.load("sparql", n).params}} for n in names}

    with tempfile.TemporaryDirectory(prefix="kg-bench-q-") as tmp:
        with timer(res["setup"], "oxigraph_build_seconds"):  # as `kg build` does: N-Quads file, loaded in blocks
            write_nquads(corpus, Path(tmp) / "graph.nq")
            store = RDFStore.build(Path(tmp) / "rdf", nquads_file=Path(tmp) / "graph.nq")
        res["setup"]["quads"] = len(store)
        for n in names:
            t, rows = timed(lambda: store.query(n, results[n]["params"]), a.repeat)
            results[n]["sparql"] = {"p50_ms": round(pct(t, 50), 2), "p95_ms": round(pct(t, 95), 2), "rows": rows}
        store.close()
        with timer(res["setup"], "oxigraph_memory_load_seconds"):  # what `kg serve sparql --memory` holds
            store = RDFStore.memory(Path(tmp) / "graph.nq")
        for n in names:
            t, rows = timed(lambda: store.query(n, results[n]["params"]), a.repeat)
            disk = results[n]["sparql"]["p50_ms"]
            results[n]["memory"] = {"p50_ms": round(pct(t, 50), 2), "p95_ms": round(pct(t, 95), 2), "rows": rows,
                                    "disk_over_memory": round(disk / max(pct(t, 50), 1e-3), 1)}
        del store

        if not a.no_cypher:
            from kg.falkor import FalkorEngine

            cy_names = set(queries.names("cypher"))
            with timer(res["setup"], "falkor_start_load_seconds"):
                cm = FalkorEngine.open(Path(tmp) / "falkor")
                engine = cm.__enter__()
                engine.clear()
                engine.load(corpus)
            try:
                for n in names:
                    if n not in cy_names:
                        continue
                    ps = {k: params[k] for k in queries.load("cypher", n).params}
                    t, rows = timed(lambda: engine.query(n, ps), a.repeat)
                    results[n]["cypher"] = {"p50_ms": round(pct(t, 50), 2), "p95_ms": round(pct(t, 95), 2),
                                            "rows": rows}
            finally:
                cm.__exit__(None, None, None)

    part = subset(corpus, a.rdflib_docs) if a.rdflib_docs else corpus
    part_params = choose_params(part)
    res["baseline"] = {"documents": len(part.documents), "statements": len(part.statements), "params": part_params}
    with timer(res["baseline"], "rdflib_dataset_seconds"):
        ds = to_dataset(part)
    res["baseline"]["quads"] = len(ds)
    ox_part = RDFStore.memory()
    ox_part.load(part)
    for n in names:
        ps = {k: part_params[k] for k in queries.load("sparql", n).params}
        t, rows = timed(lambda: ox_part.query(n, ps), a.repeat)
        ox50 = pct(t, 50)
        rt, rrows, stopped = rdflib_times(ds, n, ps, a.rdflib_repeat, a.rdflib_timeout)
        r = {"oxigraph_p50_ms": round(ox50, 2), "oxigraph_rows": rows,
             "p50_ms": round(pct(rt, 50), 2) if rt else None, "p95_ms": round(pct(rt, 95), 2) if rt else None,
             "rows": rrows, "stopped_after_s": a.rdflib_timeout if stopped else None, "runs": len(rt)}
        r["ratio_vs_oxigraph"] = (round(r["p50_ms"] / max(ox50, 1e-3), 1) if rt else
                                  f">{round(a.rdflib_timeout * 1000 / max(ox50, 1e-3))}")
        results[n]["rdflib"] = r
    res["queries"] = results

    def g(n, k, f):
        return results[n].get(k, {}).get(f)

    rows = [[n, g(n, "sparql", "p50_ms"), g(n, "sparql", "p95_ms"), g(n, "memory", "p50_ms"),
             g(n, "memory", "disk_over_memory"), g(n, "cypher", "p50_ms"),
             g(n, "cypher", "p95_ms"), g(n, "rdflib", "oxigraph_p50_ms"),
             g(n, "rdflib", "p50_ms") or f">{a.rdflib_timeout:g}s", g(n, "rdflib", "ratio_vs_oxigraph"),
             g(n, "sparql", "rows"), g(n, "cypher", "rows"), f'{g(n, "rdflib", "oxigraph_rows")}/{g(n, "rdflib", "rows")}']
            for n in names]
    b = res["baseline"]
    emit(res, rows, ["query", "sparql_p50", "sparql_p95", "memory_p50", "disk/memory", "cypher_p50", "cypher_p95",
                     "part:oxi_p50", "part:rdflib_p50", "rdflib/oxi", "rows_sp", "rows_cy", "part_rows oxi/rdflib"], a.json,
         f"named queries (ms) on {', '.join(res['corpus'])}: {res['documents']} documents, "
         f"{res['statements']} statements, {res['followups']} follow-ups; setup {res['setup']}\n"
         f"baseline part: {b['documents']} documents, {b['statements']} statements, {b['quads']} quads, "
         f"rdflib Dataset load {b['rdflib_dataset_seconds']} s")
    return res


if __name__ == "__main__":
    main()
