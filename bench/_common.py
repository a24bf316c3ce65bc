"""Shared bits of the benchmarks: corpus arguments, a peak-memory sampler, tables and --json."""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--corpus", type=Path, action="append", required=True,
                   help="A folder of documents (repeat for several), e.g. ../shared/national/text")
    p.add_argument("--json", action="store_true", help="Print the figures as JSON instead of a table.")
    return p


def files_of(corpora: list[Path], limit: int | None = None) -> list[Path]:
    from kg.pipeline import discover

    files, _ = discover(corpora)
    return files[:limit] if limit else files


def machine() -> dict:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


class PeakMemory:
    """Peak memory of this process plus all its descendants (forked workers, the FalkorDB
    server). Each process counts its proportional set size (PSS, Linux): pages shared between
    forked processes are split among them, not counted once per process as summing RSS would.
    Where PSS is not available, RSS is summed. Sampled every 0.5 s: a sample reads
    /proc/PID/smaps_rollup, about 10 ms per GB mapped, so sampling more often would slow the
    build it measures."""

    def __init__(self, every: float = 0.5):
        self.every, self.peak, self._stop = every, 0, threading.Event()

    @staticmethod
    def _size(p) -> int:  # type: ignore[no-untyped-def]
        try:
            return p.memory_full_info().pss
        except AttributeError:  # no PSS on this platform
            return p.memory_info().rss

    def _sample(self) -> int:
        import psutil

        me = psutil.Process()
        total = self._size(me)
        for c in me.children(recursive=True):
            try:
                total += self._size(c)
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self._sample())
            except Exception:
                pass
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakMemory":
        self.peak = self._sample()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self._sample())

    @property
    def mb(self) -> float:
        return round(self.peak / 2**20, 1)


def maxrss_mb() -> dict:
    """getrusage high-water marks (Linux: KiB): this process, and the largest waited-for child."""
    return {"self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "children_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


@contextmanager
def timer(into: dict, key: str):
    t = time.perf_counter()
    yield
    into[key] = round(time.perf_counter() - t, 3)


def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def emit(result: dict, rows: list[list], header: list[str], as_json: bool, title: str = "") -> None:
    if as_json:
        print(json.dumps(result, indent=1, default=str))
        return
    if title:
        print(title)
    cells = [header] + [["" if v is None else (f"{v:.3g}" if isinstance(v, float) and abs(v) < 1000 else str(v))
                         for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for j, r in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            print("  ".join("-" * w for w in widths))
