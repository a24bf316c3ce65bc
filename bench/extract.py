"""Documents per second for reading alone and for reading + extraction, per media, 1 vs 2 workers.

    python bench/extract.py --corpus ../shared/national/pdf [--limit 40] [--json]

Text and PDF files are measured separately. One worker runs in this process (as
`kg.pipeline.extract_all` does); two workers use a process pool. The sample is every k-th
file (by name) so that it spans the corpus; `--limit 0` takes every file. No cache is used.
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, files_of, machine, parser  # noqa: E402

DEFAULT_LIMIT = {"text": 120, "pdf": 20}


def _read(path: Path) -> int:
    from kg.errors import LoadError
    from loaders.read import read

    try:
        return len(read(path).text)
    except LoadError:
        return -1


def _extract(path: Path) -> int:
    from kg.errors import LoadError
    from kg.pipeline import extract_file

    try:
        return len(extract_file(path).statements)
    except LoadError:
        return -1


def _run(fn, files: list[Path], workers: int) -> tuple[float, list[int]]:
    t = time.perf_counter()
    if workers <= 1:
        out = [fn(f) for f in files]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            out = list(pool.map(fn, files, chunksize=1))
    return time.perf_counter() - t, out


def sample(files: list[Path], n: int) -> list[Path]:
    if not n or n >= len(files):
        return files
    step = len(files) / n
    return [files[int(i * step)] for i in range(n)]


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=None,
                   help=f"Files per media (default {DEFAULT_LIMIT['text']} text, {DEFAULT_LIMIT['pdf']} PDF; 0 = all). "
                        "Reading alone always uses every text file.")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Worker counts to compare (default 1 2).")
    a = p.parse_args(argv)

    _extract(Path(__file__))  # warm the reference-data caches (forked workers inherit them)
    groups: dict[str, list[Path]] = {}
    for f in files_of(a.corpus):
        groups.setdefault("pdf" if f.suffix.lower() == ".pdf" else "text", []).append(f)
    res: dict = {"bench": "extract", "corpus": [str(c) for c in a.corpus], "machine": machine(), "media": {}}
    rows = []
    for media, files in sorted(groups.items()):
        limit = DEFAULT_LIMIT[media] if a.limit is None else a.limit
        for step, fn in (("read", _read), ("read+extract", _extract)):
            chosen = files if (step == "read" and media == "text") else sample(files, limit)
            mb = sum(f.stat().st_size for f in chosen) / 2**20
            by_w = {}
            for w in a.workers:
                secs, out = _run(fn, chosen, w)
                by_w[w] = {"seconds": round(secs, 2), "docs_per_s": round(len(chosen) / secs, 2),
                           "mb_per_s": round(mb / secs, 2), "failed": sum(1 for x in out if x < 0),
                           "statements": sum(x for x in out if x > 0) if fn is _extract else None}
            base = by_w[a.workers[0]]["docs_per_s"]
            for w, r in by_w.items():
                r["speedup"] = round(r["docs_per_s"] / base, 2)
                rows.append([media, step, len(chosen), round(mb, 1), w, r["seconds"], r["docs_per_s"], r["speedup"],
                             r["failed"]])
            res["media"].setdefault(media, {})[step] = {"documents": len(chosen), "mb": round(mb, 1), "workers": by_w}
    emit(res, rows, ["media", "step", "docs", "MB", "workers", "seconds", "docs/s", "speedup", "failed"], a.json,
         f"extraction throughput on {', '.join(res['corpus'])}")
    return res


if __name__ == "__main__":
    main()
