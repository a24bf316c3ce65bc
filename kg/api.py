"""Functions a notebook user (and the CLI) calls on a finished build."""
from __future__ import annotations

import pickle
from pathlib import Path

from kg.errors import KGError
from kg.link import current, is_target
from kg.models import Corpus

OPEN = "open"


def load_build(out: str | Path) -> Corpus:
    """The corpus of a finished build folder."""
    path = Path(out) / "corpus.pickle"
    if not path.exists():
        raise KGError(f"no build in {out}: run `kg build --out {out}` first")
    with open(path, "rb") as fh:
        return pickle.load(fh)


def load_texts(out: str | Path) -> dict[str, str]:
    """The original text of every document of a build, by document id."""
    folder = Path(out) / "texts"
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def filter_rows(rows: list[dict], area: str | None = None, agency: str | None = None, theme: str | None = None,
                polarity: str | None = None, kind: str | None = None, status: str | None = None) -> list[dict]:
    """Filter `kg.export.finding_rows`; agency matches an id or part of a label, status 'open' = not addressed."""
    def keep(r: dict) -> bool:
        if area and r["area"] != area:
            return False
        if agency and not any(agency == a or agency.lower() in lbl.lower() for a, lbl in zip(r["agencies"], r["agency_labels"])):
            return False
        if theme and theme not in r["themes"]:
            return False
        if polarity and r["polarity"] != polarity:
            return False
        if kind and r["kind"] != kind:
            return False
        if status == OPEN:
            return r["status"] is not None and r["status"] != "addressed"
        return not status or r["status"] == status
    return [r for r in rows if keep(r)]


def trace_text(corpus: Corpus, finding_id: str, as_of: str | None = None) -> str:
    """The chain behind one finding, as plain text."""
    stmts = {s.id: s for s in corpus.statements}
    s = stmts.get(finding_id)
    if s is None:
        raise KGError(f"no statement {finding_id!r} in this build (list them with `kg findings`)")
    docs = {d.id: d for d in corpus.documents}
    labels = {a.id: a.label for a in corpus.agencies}
    d = docs[s.doc]
    lines = [f"{s.kind} {s.id} ({s.polarity or '-'})",
             f"  “{s.span.quote.strip()}”",
             f"  {d.file}, {d.kind}, {s.date}, characters {s.span.start}–{s.span.end}"
             + (f", page {s.span.page}" if s.span.page else "") + (f", section “{s.section}”" if s.section else ""),
             f"  agencies: {', '.join(labels.get(a, a) for a in s.agencies) or '-'}; themes: {', '.join(s.themes) or '-'}"]
    if s.due:
        lines.append(f"  due: {s.due}")
    if not is_target(s):
        return "\n".join(lines)
    links = sorted((f for f in corpus.followups if f.finding == s.id), key=lambda f: (stmts[f.evidence].date or "", -f.score))
    lines.append(f"evidence ({len(links)}):")
    for f in links:
        e = stmts[f.evidence]
        rev = f"  [{f.reviewed} by {f.reviewer}{': ' + f.note if f.note else ''}]" if f.reviewed else ""
        lines += [f"  {e.date}  {f.relation:<11} score {f.score:.2f}  {e.kind} in {docs[e.doc].file}  ({f.id}){rev}",
                  f"      “{e.span.quote.strip()}”",
                  f"      cues: {', '.join(f.cues) or '-'}"]
    a = current(corpus.assessments, as_of).get(s.id)
    if a:
        lines += [f"status: {a.status} (confidence {a.confidence:.2f}, set by {a.set_by}, as of {a.as_of})",
                  f"  why: {a.explanation}"]
    rec = [r for r in corpus.recurrences if s.id in (r.a, r.b)]
    for r in rec:
        other = stmts[r.b if r.a == s.id else r.a]
        lines.append(f"recurs: {other.area} {other.date} ({other.id}, similarity {r.score:.2f}): “{other.text[:120]}”")
    return "\n".join(lines)


def default_gold() -> Path:
    here = Path(__file__).resolve().parents[1] / "tests" / "gold"
    for p in (Path("tests/gold"), here):
        if p.is_dir():
            return p
    raise KGError("no gold folder found: pass --gold tests/gold from a checkout of the project")


def run_eval(gold: Path | None = None, workers: int = 2) -> str:
    """Measure extraction and follow-up accuracy against the annotated gold files; a printable report.

    `gold/holdout/` holds documents and chains annotated by someone who never saw the extractor
    and not used for tuning; they are reported on their own."""
    from kg import evaluate as ev
    from kg.pipeline import extract_corpus, sample_corpus

    gold = gold or default_gold()
    holdout = gold / "holdout"
    doc_dirs = [sample_corpus(), gold / "docs", holdout / "docs"]
    files = sorted({p for d in doc_dirs if d.is_dir() for p in d.glob("*.txt")})
    corpus, texts = extract_corpus(files, workers=workers)
    samples = {p.name for p in sample_corpus().glob("*.txt")}
    tuned = ev.gold_documents(gold, doc_dirs[:2])
    parts = []
    for title, items in (("samples", [g for g in tuned if g[0].name in samples]),
                         ("national", [g for g in tuned if g[0].name not in samples]),
                         ("held out", ev.gold_documents(holdout, [holdout / "docs"]) if holdout.is_dir() else [])):
        if items:
            total, per_doc = ev.evaluate_findings(corpus, texts, items)
            parts += [f"== findings: {title} ==", ev.report_findings(total, per_doc)]
    for title, folder in (("follow-ups", gold / "followups"), ("held-out follow-ups", holdout / "followups")):
        chains = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
        if not chains:
            continue
        fu = ev.FollowUpScores()
        for gf in chains:
            fu.add(ev.evaluate_followups(corpus, texts, gf, default_file="000_d575777664c372be.txt"))
        parts += [f"== {title} ({', '.join(g.stem for g in chains)}) ==", ev.report_followups(fu)]
    return "\n".join(parts)
