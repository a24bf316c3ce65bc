"""Accuracy against hand-annotated gold files (tests/gold/).

Findings are matched by span overlap (at least half of the shorter span), so a
sentence-level prediction inside a gold bullet still counts. Reported:
precision, recall and F1 of judgement detection, kind and polarity accuracy of
matched pairs, agency (by role) and theme micro-F1, document metadata, and for
follow-ups: link precision/recall, status accuracy, the confusion matrix and the
precision of *addressed* alone.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kg import resolve
from kg.models import Corpus, Statement

JUDGED = ("finding", "recommendation")


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "PRF") -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def __str__(self) -> str:
        return f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  (tp {self.tp}, fp {self.fp}, fn {self.fn})"


@dataclass
class FindingScores:
    detection: PRF = field(default_factory=PRF)
    kind_ok: int = 0
    polarity_ok: int = 0
    polarity_n: int = 0
    matched: int = 0
    agencies: PRF = field(default_factory=PRF)
    themes: PRF = field(default_factory=PRF)
    metadata: Counter = field(default_factory=Counter)
    metadata_n: Counter = field(default_factory=Counter)

    @property
    def polarity_accuracy(self) -> float:
        return self.polarity_ok / self.polarity_n if self.polarity_n else 1.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_ok / self.matched if self.matched else 1.0


def locate(text: str, quote: str, after: int = 0) -> tuple[int, int] | None:
    """Where a gold quote stands in the original text (exact, else whitespace-insensitive)."""
    i = text.find(quote, after)
    if i < 0:
        i = text.find(quote)
    if i >= 0:
        return i, i + len(quote)
    rx = re.compile(r"\s+".join(re.escape(w) for w in quote.split()))
    m = rx.search(text)
    return (m.start(), m.end()) if m else None


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter > 0 and inter >= 0.5 * min(a[1] - a[0], b[1] - b[0])


def gold_items(gold_file: Path, text: str) -> list[dict]:
    items, pos = [], 0
    for line in gold_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        g = json.loads(line)
        at = locate(text, g["quote"], pos)
        if at is None:
            raise ValueError(f"{gold_file.name}: quote not in document: {g['quote'][:60]!r}")
        g["start"], g["end"] = at
        pos = at[0]
        items.append(g)
    return items


def _roles(ids: list[str]) -> set[str]:
    out = set()
    for i in ids:
        try:
            out.add(resolve.agency(i).role)
        except KeyError:
            pass
    return out


def score_document(statements: list[Statement], gold: list[dict], covered: tuple[int, int] | None,
                   scores: FindingScores) -> None:
    preds = [s for s in statements if s.kind in JUDGED
             and (covered is None or covered[0] <= s.span.start < covered[1])]
    matched_gold: set[int] = set()
    for p in preds:
        hits = [i for i, g in enumerate(gold) if _overlaps((p.span.start, p.span.end), (g["start"], g["end"]))]
        if not hits:
            scores.detection.fp += 1
            continue
        scores.detection.tp += 1
        g = gold[hits[0]]
        matched_gold.update(hits)
        scores.matched += 1
        scores.kind_ok += p.kind == g["kind"]
        if g["kind"] == "finding" and p.kind == "finding":
            scores.polarity_n += 1
            scores.polarity_ok += p.polarity == g["polarity"]
        _set_prf(scores.agencies, _roles(p.agencies), set(g.get("agencies", [])))
        _set_prf(scores.themes, set(p.themes), set(g.get("themes", [])))
    scores.detection.fn += len(gold) - len(matched_gold)


def _set_prf(prf: PRF, pred: set, gold: set) -> None:
    prf.tp += len(pred & gold)
    prf.fp += len(pred - gold)
    prf.fn += len(gold - pred)


def gold_documents(gold_dir: Path, doc_dirs: list[Path]) -> list[tuple[Path, Path, dict]]:
    """(document, findings gold, meta) for each annotated document found."""
    out = []
    for gf in sorted(gold_dir.glob("*.findings.jsonl")):
        stem = gf.name[: -len(".findings.jsonl")]
        doc = next((d / f"{stem}.txt" for d in doc_dirs if (d / f"{stem}.txt").exists()), None)
        meta_file = gold_dir / f"{stem}.meta.json"
        if doc is not None:
            out.append((doc, gf, json.loads(meta_file.read_text()) if meta_file.exists() else {}))
    return out


def evaluate_findings(corpus: Corpus, texts: dict[str, str], gold: list[tuple[Path, Path, dict]]) -> tuple[FindingScores, dict[str, FindingScores]]:
    by_file = {d.file: d for d in corpus.documents}
    total, per_doc = FindingScores(), {}
    for doc_path, gold_file, meta in gold:
        d = by_file.get(doc_path.name)
        if d is None:
            continue
        items = gold_items(gold_file, texts[d.id])
        s = FindingScores()
        covered = tuple(meta["covered"]) if meta.get("covered") else None
        score_document([st for st in corpus.statements if st.doc == d.id], items, covered, s)
        _score_meta(d, meta, s)
        per_doc[doc_path.name] = s
        total.detection.add(s.detection)
        total.agencies.add(s.agencies)
        total.themes.add(s.themes)
        for k in ("kind_ok", "polarity_ok", "polarity_n", "matched"):
            setattr(total, k, getattr(total, k) + getattr(s, k))
        total.metadata.update(s.metadata)
        total.metadata_n.update(s.metadata_n)
    return total, per_doc


def _score_meta(d, meta: dict, s: FindingScores) -> None:
    """Each annotated field counts once; each judgement an inspection report grades counts
    once (`grade:KEY`, a missing or extra grade is wrong), and inspectors once per document
    (the same names, in any order)."""
    insp = d.inspection
    got = {"kind": d.kind, "area": d.area, "published": d.published,
           "inspection_start": insp.start if insp else None, "inspection_end": insp.end if insp else None,
           "framework": insp.framework if insp else None}
    for key, value in got.items():
        want = meta.get(key)
        if want:
            s.metadata_n[key] += 1
            s.metadata[key] += value == want
    if meta.get("kind") == "inspection_report" and "grades" in meta:
        have = insp.grades if insp else {}
        want = {k: v.replace(" to be good", "") for k, v in meta["grades"].items()}
        for key in sorted(set(want) | set(have)):
            s.metadata_n[f"grade:{key}"] += 1
            s.metadata[f"grade:{key}"] += have.get(key) == want.get(key)
    if meta.get("inspectors"):
        s.metadata_n["inspectors"] += 1
        s.metadata["inspectors"] += sorted(insp.inspectors if insp else []) == sorted(meta["inspectors"])


# --- follow-ups -------------------------------------------------------------------------

@dataclass
class FollowUpScores:
    links: PRF = field(default_factory=PRF)
    relation_ok: int = 0
    relation_n: int = 0
    confusion: Counter = field(default_factory=Counter)  # (gold, predicted) -> n
    unmatched: list[str] = field(default_factory=list)
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def status_accuracy(self) -> float:
        n = sum(self.confusion.values())
        return sum(v for (g, p), v in self.confusion.items() if g == p) / n if n else 1.0

    @property
    def addressed_precision(self) -> float:
        said = sum(v for (g, p), v in self.confusion.items() if p == "addressed")
        right = self.confusion[("addressed", "addressed")]
        return right / said if said else 1.0

    def add(self, other: "FollowUpScores") -> None:
        self.links.add(other.links)
        self.relation_ok += other.relation_ok
        self.relation_n += other.relation_n
        self.confusion.update(other.confusion)
        self.unmatched += other.unmatched
        self.errors += other.errors


def evaluate_followups(corpus: Corpus, texts: dict[str, str], gold_file: Path, default_file: str | None = None) -> FollowUpScores:
    from kg.link import current, is_target

    by_file = {d.file: d for d in corpus.documents}
    stmts = {s.id: s for s in corpus.statements}
    status = current(corpus.assessments)
    out = FollowUpScores()
    links: dict[str, list] = {}
    for f in corpus.followups:
        if f.reviewed != "rejected":
            links.setdefault(f.finding, []).append(f)
    for line in gold_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        g = json.loads(line)
        fname = g.get("finding_file") or default_file
        doc = by_file[fname]
        at = locate(texts[doc.id], g["finding_quote"])
        targets = [s for s in corpus.statements if s.doc == doc.id and is_target(s) and at
                   and _overlaps((s.span.start, s.span.end), at)]
        if not targets:
            out.unmatched.append(g["finding_quote"][:80])
            out.confusion[(g["status"], "not extracted")] += 1
            continue
        t = targets[0]
        predicted = status[t.id].status if t.id in status else "no_evidence"
        out.confusion[(g["status"], predicted)] += 1
        if predicted != g["status"]:
            out.errors.append((g["status"], predicted, t.text, status[t.id].explanation if t.id in status else ""))
        gold_spans = []
        for e in g.get("evidence", []):
            ed = by_file.get(e["file"])
            if ed is None:
                continue
            loc = locate(texts[ed.id], e["quote"])
            if loc:
                gold_spans.append((ed.id, loc, e["relation"]))
        hit_gold = set()
        for f in links.get(t.id, []):
            e = stmts[f.evidence]
            hits = [i for i, (did, loc, _) in enumerate(gold_spans) if did == e.doc and _overlaps((e.span.start, e.span.end), loc)]
            if hits:
                out.links.tp += 1
                hit_gold.update(hits)
                out.relation_n += 1
                out.relation_ok += f.relation == gold_spans[hits[0]][2]
            else:
                out.links.fp += 1
        out.links.fn += len(gold_spans) - len(hit_gold)
    return out


def report_findings(total: FindingScores, per_doc: dict[str, FindingScores]) -> str:
    lines = [f"{'document':<48} {'P':>6} {'R':>6} {'F1':>6} {'polarity':>9}"]
    for name, s in per_doc.items():
        lines.append(f"{name[:48]:<48} {s.detection.precision:6.3f} {s.detection.recall:6.3f} {s.detection.f1:6.3f} "
                     f"{s.polarity_accuracy:9.3f}")
    lines += [
        f"findings (span overlap): {total.detection}",
        f"kind accuracy {total.kind_accuracy:.3f}; polarity accuracy {total.polarity_accuracy:.3f} (n={total.polarity_n})",
        f"agencies (by role): {total.agencies}",
        f"themes: {total.themes}",
        "metadata: " + ", ".join(f"{k} {total.metadata[k]}/{n}" for k, n in sorted(total.metadata_n.items())),
    ]
    return "\n".join(lines)


def report_followups(s: FollowUpScores) -> str:
    statuses = ["addressed", "progress", "persists", "no_evidence", "not extracted"]
    lines = [f"links: {s.links}",
             f"relation accuracy {s.relation_ok}/{s.relation_n}",
             f"status accuracy {s.status_accuracy:.3f}; addressed precision {s.addressed_precision:.3f}",
             "confusion (rows gold, columns predicted):",
             f"{'':>14}" + "".join(f"{p[:11]:>12}" for p in statuses)]
    for g in statuses[:4]:
        lines.append(f"{g:>14}" + "".join(f"{s.confusion[(g, p)]:>12}" for p in statuses))
    if s.errors:
        lines.append(f"worst status errors (over-claiming first, then the widest miss; {len(s.errors)} in all):")
        for gold, predicted, text, why in worst_errors(s.errors):
            lines.append(f"  gold {gold}, said {predicted}: {text[:110]!r}")
            lines.append(f"      because: {why[:160]}")
    return "\n".join(lines)


# How positive a status is: saying more than the gold is the worse error.
_RANK = {"persists": 0, "no_evidence": 1, "progress": 2, "addressed": 3}


def worst_errors(errors: list[tuple[str, str, str, str]], n: int = 10) -> list[tuple[str, str, str, str]]:
    def severity(e: tuple[str, str, str, str]) -> tuple[int, int]:
        gap = _RANK.get(e[1], 1) - _RANK.get(e[0], 1)
        return (gap > 0, abs(gap))
    return sorted(errors, key=severity, reverse=True)[:n]
