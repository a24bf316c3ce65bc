"""How well each similarity backend puts gold follow-up evidence near the top of its target's candidates.

    python bench/similarity.py --gold tests/gold [--docs kg/samples] [--backends tfidf,static,...]

For every gold link (tests/gold/followups/*.jsonl: a finding quote and the later
quotes that are evidence for it) the finding and the evidence are mapped to
extracted statements (kg.evaluate.locate/_overlaps). The candidates of a target
are the statements of later documents of the same area (as /tmp/diag2.py does;
--evidence-kinds keeps only kg.link.EVIDENCE_KINDS, as the linker does). The
gold statement's 0-based rank among them is recorded under two orders:

* text: the similarity alone;
* linker: kg.link's score with that similarity as its text term (themes,
  agencies and back-references as kg.link.link computes them, no thresholds).

Backends: tfidf (kg.link.Tfidf fitted per area, as kg.link.link does),
every installed embedding backend (kg.embed.available()), and hybrids
``a*tfidf + (1-a)*embedding``. Speed, peak RSS and installed size of each
backend are measured in a fresh subprocess over all statement texts.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg import embed  # noqa: E402
from kg import evaluate as ev  # noqa: E402
from kg import link  # noqa: E402

DEFAULT_FINDING_FILE = "000_d575777664c372be.txt"


# --- gold -------------------------------------------------------------------------------------------------------
def load(gold: Path, docs: list[Path], workers: int):
    from kg.pipeline import assemble, extract_all
    files = sorted((gold / "docs").glob("*.txt"))
    for d in docs:
        files += sorted(d.glob("*.txt"))
    ex, errs = extract_all(files, workers=workers)
    texts = {e.document.id: e.text for e in ex}
    return assemble(ex, errs), texts


def gold_pairs(corpus, texts, gold: Path, evidence_kinds: bool):
    """[(target, candidates, index of the gold statement in candidates)] plus counts of what was lost."""
    by_file = {d.file: d for d in corpus.documents}
    lost = defaultdict(int)
    pairs = []
    for gf in sorted((gold / "followups").glob("*.jsonl")):
        for line in gf.read_text().splitlines():
            if not line.strip():
                continue
            g = json.loads(line)
            d = by_file.get(g.get("finding_file") or DEFAULT_FINDING_FILE)
            if d is None:
                lost["finding document missing"] += len(g["evidence"])
                continue
            at = ev.locate(texts[d.id], g["finding_quote"])
            ts = [s for s in corpus.statements if at and s.doc == d.id and ev._overlaps((s.span.start, s.span.end), at)]
            for e in g["evidence"]:
                lost["gold links"] += 1
                ed = by_file.get(e["file"])
                loc = ev.locate(texts[ed.id], e["quote"]) if ed else None
                es = [s for s in corpus.statements if loc and s.doc == ed.id
                      and ev._overlaps((s.span.start, s.span.end), loc)]
                if not es:
                    lost["evidence not extracted"] += 1
                    continue
                if not ts or not link.is_target(ts[0]):
                    lost["target not extracted / not a target"] += 1
                    continue
                t = ts[0]
                cands = [s for s in corpus.statements if s.area == t.area and s.date and s.date > t.date
                         and (not evidence_kinds or s.kind in link.EVIDENCE_KINDS)]
                ids = [c.id for c in cands]
                if es[0].id not in ids:
                    lost["evidence not a candidate"] += 1
                    continue
                pairs.append((t, cands, ids.index(es[0].id)))
    return pairs, dict(lost)


# --- scoring ----------------------------------------------------------------------------------------------------
def tfidf_sims(corpus, pairs):
    """TF-IDF cosine per pair, the vectoriser fitted on the target's area as kg.link.link does."""
    by_area = defaultdict(list)
    for s in corpus.statements:
        if s.area and s.date:
            by_area[s.area].append(s)
    fitted = {}
    out = []
    for t, cands, _ in pairs:
        if t.area not in fitted:
            fitted[t.area] = link.Tfidf().fit([s.text for s in by_area[t.area]])
        vec = fitted[t.area]
        out.append((vec.transform([t.text]) @ vec.transform([c.text for c in cands]).T).toarray()[0])
    return out


def embed_sims(enc, pairs):
    out = []
    for t, cands, _ in pairs:
        out.append(enc.similarity([t.text], [c.text for c in cands])[0])
    return out


def _jaccard(a, b) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def linker_context(corpus):
    lineage = link._lineage(corpus)
    resolved = {(ref.resolved, d.id) for d in corpus.documents for ref in d.references if ref.resolved}
    refs_by_id = {ref.id: ref for d in corpus.documents for ref in d.references}
    by_area = defaultdict(list)
    for s in corpus.statements:
        if s.area and s.date:
            by_area[s.area].append(s)
    theme_idf = ({a: link._theme_idf(ss) for a, ss in by_area.items()} if hasattr(link, "_theme_idf") else {})
    return lineage, resolved, refs_by_id, theme_idf


def _theme(t, c, theme_idf) -> float:
    if hasattr(link, "_theme_overlap"):
        return link._theme_overlap(t.themes, c.themes, theme_idf.get(t.area, {}))
    return _jaccard(t.themes, c.themes)


def linker_scores(ctx, t, cands, sims):
    """kg.link.link's score (as it reads now: text, idf-weighted themes, agencies through succession,
    back-references, weights from kg.link.Weights) with ``sims`` as the text term, no thresholds."""
    w = link.Weights()
    lineage, resolved, refs_by_id, theme_idf = ctx
    ta = set().union(*(lineage.get(a, {a}) for a in t.agencies)) if t.agencies else set()
    out = np.empty(len(cands))
    for j, c in enumerate(cands):
        backref = 1.0 if c.refers_to and refs_by_id.get(c.refers_to) and \
            refs_by_id[c.refers_to].resolved == t.doc else (0.5 if (t.doc, c.doc) in resolved else 0.0)
        agency = 1.0 if ta & set(c.agencies) else 0.0
        out[j] = (w.text * sims[j] + w.theme * _theme(t, c, theme_idf) + w.agency * agency
                  + w.backref * backref)
    return out


def rank_of(scores, cands, gold_index):
    """0-based rank of the gold candidate; ties broken by statement id, as the linker does."""
    order = sorted(range(len(cands)), key=lambda j: (-scores[j], cands[j].id))
    return order.index(gold_index)


def paired_ci(base, other, groups, k, n_boot=2000, seed=0):
    """Difference in top-k share (other - base) with a 95% bootstrap interval, resampling targets."""
    base, other, groups = np.asarray(base), np.asarray(other), np.asarray(groups)
    uniq = np.unique(groups)
    idx = {g: np.nonzero(groups == g)[0] for g in uniq}
    d = (other < k).astype(float) - (base < k).astype(float)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        pick = np.concatenate([idx[g] for g in rng.choice(uniq, len(uniq))])
        boots.append(d[pick].mean())
    return d.mean(), np.percentile(boots, 2.5), np.percentile(boots, 97.5)


def stats(ranks):
    r = np.asarray(ranks)
    return {"n": len(r), "top1": (r < 1).mean(), "top3": (r < 3).mean(), "top6": (r < 6).mean(),
            "top10": (r < 10).mean(), "top20": (r < 20).mean(), "median": float(np.median(r)),
            "mrr": float(np.mean(1.0 / (r + 1)))}


# --- cost -------------------------------------------------------------------------------------------------------
_CHILD = r"""
import json, re, sys, time
sys.path.insert(0, sys.argv[1])
texts = json.load(open(sys.argv[2])); name = sys.argv[3]
t0 = time.perf_counter()
if name == "tfidf":
    from kg import link
    t1 = time.perf_counter()
    link.Tfidf().fit_transform(texts)
else:
    from kg import embed
    enc = embed.encoder(name)
    t1 = time.perf_counter()
    enc.encode(texts)
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "encode_s": t2 - t1, "n": len(texts),
                  "rss_mb": int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1)) / 1024}))
"""


def measure(name: str, texts: list[str]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(texts, f)
    try:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), f.name, name],
                             capture_output=True, text=True, check=True, env=os.environ.copy())
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(f.name)


def _name(req: str) -> str | None:
    from packaging.requirements import Requirement
    r = Requirement(req)
    if r.marker and not r.marker.evaluate({"extra": ""}):
        return None
    return re.sub(r"[-_.]+", "-", r.name).lower()


def closure(names) -> set[str]:
    seen: set[str] = set()
    todo = [re.sub(r"[-_.]+", "-", n).lower() for n in names]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        try:
            dist = metadata.distribution(n)
        except metadata.PackageNotFoundError:
            continue
        seen.add(n)
        todo += [m for m in (_name(r) for r in (dist.requires or [])) if m and m not in seen]
    return seen


def size_mb(names) -> float:
    total = 0
    for n in names:
        for f in metadata.distribution(n).files or []:
            try:
                total += os.path.getsize(f.locate())
            except OSError:
                pass
    return total / 2 ** 20


def added_size(backend: str) -> tuple[float, list[str]]:
    """Installed size of a backend's distributions and the dependencies they add to the base project."""
    base = closure(_name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
                   if _name(r))
    extra = sorted(closure(embed.distributions(backend)) - base)
    return size_mb(extra), extra


# --- main -------------------------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gold", type=Path, default=ROOT / "tests" / "gold")
    ap.add_argument("--docs", type=Path, action="append", default=None,
                    help="more document folders (default kg/samples)")
    ap.add_argument("--backends", default=None, help="comma-separated; default tfidf + every installed one")
    ap.add_argument("--alphas", default="0.3,0.5,0.7", help="tfidf weights of the hybrids")
    ap.add_argument("--evidence-kinds", action="store_true", help="candidates limited to link.EVIDENCE_KINDS")
    ap.add_argument("--no-cost", action="store_true", help="skip the speed/RSS/size measurement")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args(argv)

    corpus, texts = load(a.gold, a.docs or [ROOT / "kg" / "samples"], a.workers)
    pairs, lost = gold_pairs(corpus, texts, a.gold, a.evidence_kinds)
    print(f"gold links: {lost.pop('gold links', 0)}; ranked: {len(pairs)}; lost: {lost}")
    print(f"candidates per target: median {int(np.median([len(c) for _, c, _ in pairs]))}, "
          f"max {max(len(c) for _, c, _ in pairs)}")

    names = a.backends.split(",") if a.backends else ["tfidf"] + embed.available()
    sims = {}
    for n in names:
        sims[n] = tfidf_sims(corpus, pairs) if n == "tfidf" else embed_sims(embed.encoder(n), pairs)
    if "tfidf" in sims:
        for n in [n for n in names if n != "tfidf"]:
            for al in (float(x) for x in a.alphas.split(",")):
                sims[f"{al:g}*tfidf+{1 - al:g}*{n}"] = [al * s + (1 - al) * e for s, e in zip(sims["tfidf"], sims[n])]

    ctx = linker_context(corpus)
    rows, raw = {}, {}
    for n, ss in sims.items():
        text_ranks = [rank_of(s, c, g) for s, (_, c, g) in zip(ss, pairs)]
        link_ranks = [rank_of(linker_scores(ctx, t, c, s), c, g) for s, (t, c, g) in zip(ss, pairs)]
        rows[n] = {"text": stats(text_ranks), "linker": stats(link_ranks)}
        raw[n] = {"text": text_ranks, "linker": link_ranks}

    head = f"{'backend':34} {'order':6} {'top1':>5} {'top3':>5} {'top6':>5} {'top10':>5} {'top20':>5} {'median':>6} {'mrr':>5}"
    print("\nrank of the gold evidence among its target's candidates (share within top k)")
    print(head)
    for n, r in rows.items():
        for order in ("text", "linker"):
            s = r[order]
            print(f"{n:34} {order:6} {s['top1']:5.2f} {s['top3']:5.2f} {s['top6']:5.2f} {s['top10']:5.2f} "
                  f"{s['top20']:5.2f} {s['median']:6.1f} {s['mrr']:5.3f}")

    if "tfidf" in raw:
        groups = [t.id for t, _, _ in pairs]
        print("\nchange against tfidf in the same order, 95% bootstrap interval over targets "
              f"({len(set(groups))} targets)")
        print(f"{'backend':34} {'order':6} {'d top6':>22} {'d top20':>22}")
        for n in raw:
            if n == "tfidf":
                continue
            for order in ("text", "linker"):
                cells = []
                for k in (6, 20):
                    m, lo, hi = paired_ci(raw["tfidf"][order], raw[n][order], groups, k)
                    cells.append(f"{m:+.3f} [{lo:+.3f},{hi:+.3f}]")
                    rows[n][order][f"d_top{k}"] = [m, lo, hi]
                print(f"{n:34} {order:6} {cells[0]:>22} {cells[1]:>22}")

    cost = {}
    if not a.no_cost:
        all_texts = [s.text for s in corpus.statements]
        print(f"\ncost over {len(all_texts)} statement texts (fresh process, 2 threads, cold cache)")
        print(f"{'backend':12} {'load s':>7} {'sent/s':>9} {'peak RSS MB':>12} {'added MB':>9}  added distributions")
        for n in names:
            m = measure(n, all_texts)
            mb, dists = (0.0, []) if n == "tfidf" else added_size(n)
            m.update(added_mb=mb, added=dists, per_s=m["n"] / max(m["encode_s"], 1e-9))
            cost[n] = m
            print(f"{n:12} {m['load_s']:7.2f} {m['per_s']:9.0f} {m['rss_mb']:12.0f} {mb:9.1f}  {', '.join(dists)}")
    if a.json:
        a.json.write_text(json.dumps({"lost": lost, "ranks": rows, "cost": cost}, indent=2))


if __name__ == "__main__":
    main()
