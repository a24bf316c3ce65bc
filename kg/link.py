"""Link each weakness and recommendation to later evidence, judge the links, derive statuses.

Candidates are restricted by area and date before any similarity is computed:
only statements of later documents of the same area are compared. A link's
score mixes lexical similarity (TF-IDF cosine over word uni- and bigrams),
shared themes, shared agencies (through succession) and explicit
back-references. Saying *addressed* wrongly is the worst error, so
*addressed* needs an explicit statement of improvement about the same thing,
from the latest evidence, with nothing contradicting it.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import snowballstemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from kg.ids import stable_id
from kg.models import Assessment, Corpus, FollowUp, Recurrence, Statement
from loaders.cues import HEDGES, STRONG_POSITIVE, judge

TARGET_KINDS = ("finding", "recommendation")
EVIDENCE_KINDS = ("finding", "recommendation", "evidence", "action", "statistic")
LINK_THRESHOLD = 0.2
MIN_TEXT = 0.05
DECIDE_THRESHOLD = 0.3
ADDRESSED_SIMILARITY = 0.45
CONTRADICTION_WEIGHT = 0.7  # a contradiction counts if its score is at least this share of the best support's
LATER_FINDING_SIMILARITY = 0.45
LATER_FINDING_POSITIVE = 1.0
TOP_K = 6
RECURRENCE_THRESHOLD = 0.4
_TOO_SOON = re.compile(r"\b(too (?:soon|early) to|not yet (?:possible|able) to (?:evaluate|assess|measure)|early days)\b", re.I)



@dataclass(frozen=True)
class Weights:
    text: float = 0.7
    theme: float = 0.3
    agency: float = 0.05
    backref: float = 0.1


def is_target(s: Statement) -> bool:
    return s.kind == "recommendation" or (s.kind == "finding" and s.polarity == "weakness")


_WORD = re.compile(r"[a-z][a-z-]+")
_STEMMER = snowballstemmer.stemmer("english")
_STOPWORDS = frozenset(ENGLISH_STOP_WORDS) | {"children", "child", "young", "people", "families", "family", "local",
                                              "authority", "practice", "services", "service", "work"}


def stems(text: str) -> list[str]:
    """Stemmed content words, so that "plans" meets "planning"."""
    return _STEMMER.stemWords([w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS])


def _analyse(text: str) -> list[str]:
    words = stems(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def _vectoriser() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=_analyse, sublinear_tf=True, min_df=1)


def _theme_idf(statements: list[Statement]) -> dict[str, float]:
    """Rare themes say more about what two statements share than common ones."""
    df = Counter(t for s in statements for t in set(s.themes))
    n = max(len(statements), 1)
    return {t: math.log(n / c) + 0.1 for t, c in df.items()}


def _theme_overlap(a: list[str], b: list[str], idf: dict[str, float]) -> float:
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return sum(idf.get(t, 1.0) for t in sa & sb) / sum(idf.get(t, 1.0) for t in sa | sb)


def _lineage(corpus: Corpus) -> dict[str, set[str]]:
    """Each agency with its predecessors and successors (the LSCB's findings pass to the partnership)."""
    nxt = {a.id: a.succeeded_by for a in corpus.agencies if a.succeeded_by}
    groups: dict[str, set[str]] = {a.id: {a.id} for a in corpus.agencies}
    for a, b in nxt.items():
        g = groups.setdefault(a, {a}) | groups.setdefault(b, {b})
        for x in g:
            groups[x] = g
    return groups


def relation(target: Statement, ev: Statement) -> tuple[str, list[str]]:
    """supports (improved), contradicts (persists) or mentions, with the cues that decided."""
    if ev.kind == "recommendation":
        return "contradicts", ["still recommended"]
    j = judge(ev.text)
    cues = j.cues[:6]
    if _TOO_SOON.search(ev.text):
        return "mentions", cues + ["too soon to evaluate"]
    if ev.kind == "statistic" and ev.statistic and ev.statistic.direction is None and not j.evaluative:
        return "mentions", cues
    if ev.kind == "action":
        return "supports", cues + ["action reported"]
    if not j.evaluative:
        return "mentions", cues
    return ("supports" if j.polarity == "strength" else "contradicts"), cues


def link(corpus: Corpus, weights: Weights = Weights()) -> tuple[list[FollowUp], list[Recurrence]]:
    docs = {d.id: d for d in corpus.documents}
    lineage = _lineage(corpus)
    resolved = {(ref.resolved, d.id) for d in corpus.documents for ref in d.references if ref.resolved}
    refs_by_id = {ref.id: ref for d in corpus.documents for ref in d.references}
    by_area: dict[str | None, list[Statement]] = defaultdict(list)
    for s in corpus.statements:
        if s.area and s.date:
            by_area[s.area].append(s)
    followups: list[FollowUp] = []
    for area in sorted(by_area, key=str):
        stmts = by_area[area]
        targets = [s for s in stmts if is_target(s)]
        candidates = [s for s in stmts if s.kind in EVIDENCE_KINDS]
        if not targets or not candidates:
            continue
        dates = sorted({s.date for s in targets})
        if not any(c.date > dates[0] for c in candidates):
            continue
        vec = _vectoriser().fit([s.text for s in stmts])
        idf = _theme_idf(stmts)
        tv, cv = vec.transform([s.text for s in targets]), vec.transform([s.text for s in candidates])
        sims = (tv @ cv.T).toarray()
        cdate = np.array([c.date for c in candidates])
        for i, t in enumerate(targets):
            later = np.nonzero(cdate > t.date)[0]
            if not len(later):
                continue
            t_agencies = set().union(*(lineage.get(a, {a}) for a in t.agencies)) if t.agencies else set()
            scored = []
            for j in later:
                c = candidates[j]
                backref = 1.0 if c.refers_to and refs_by_id.get(c.refers_to) and \
                    (refs_by_id[c.refers_to].resolved == t.doc) else (0.5 if (t.doc, c.doc) in resolved else 0.0)
                agency = 1.0 if t_agencies & set(c.agencies) else 0.0
                theme = _theme_overlap(t.themes, c.themes, idf)
                score = (weights.text * sims[i, j] + weights.theme * theme
                         + weights.agency * agency + weights.backref * backref)
                if score >= LINK_THRESHOLD and (sims[i, j] >= MIN_TEXT or theme > 0.5):
                    scored.append((round(min(score, 1.0), 4), j))
            scored.sort(key=lambda x: (-x[0], candidates[x[1]].id))
            for score, j in scored[:TOP_K]:
                c = candidates[j]
                rel, cues = relation(t, c)
                followups.append(FollowUp(stable_id("fu", t.id, c.id), t.id, c.id, rel, score,
                                          "tfidf+themes+agencies", cues))
    recurrences = recur(corpus)
    del docs
    return sorted(followups, key=lambda f: f.id), recurrences


def recur(corpus: Corpus, threshold: float = RECURRENCE_THRESHOLD, per_finding: int = 3,
          weights: Weights = Weights()) -> list[Recurrence]:
    """The same weakness in another area or year: a separate relation, not evidence."""
    weak = [s for s in corpus.statements if s.kind == "finding" and s.polarity == "weakness"]
    if len(weak) < 2:
        return []
    m = _vectoriser().fit_transform([s.text for s in weak])
    idf = _theme_idf(corpus.statements)
    out: dict[str, Recurrence] = {}
    for lo in range(0, len(weak), 500):
        block = (m[lo:lo + 500] @ m.T).toarray()
        for bi, row in enumerate(block):
            a = weak[lo + bi]
            for j in np.argsort(-row)[: per_finding * 10]:
                b = weak[j]
                if row[j] < MIN_TEXT or b.doc == a.doc or (a.area == b.area and a.date == b.date):
                    continue
                shared = sorted(set(a.themes) & set(b.themes))
                overlap = _theme_overlap(a.themes, b.themes, idf)
                score = weights.text * row[j] + weights.theme * overlap
                if not shared or (score < threshold and not (overlap >= 0.6 and row[j] >= 0.12)):
                    continue
                x, y = sorted((a, b), key=lambda s: (s.date or "", s.id))
                rid = stable_id("rec", x.id, y.id)
                out.setdefault(rid, Recurrence(rid, x.id, y.id, round(float(score), 4), shared))
    return sorted(out.values(), key=lambda r: r.id)


def _decide(target: Statement, links: list[tuple[FollowUp, Statement]]) -> tuple[str, float, str, str | None]:
    """Status, confidence, explanation and last evidence date from a finding's (non-rejected) links."""
    judged = [(f, e) for f, e in links if f.relation != "mentions"
              and (f.score >= DECIDE_THRESHOLD or f.reviewed == "confirmed")]
    if not judged:
        if links:
            f, e = max(links, key=lambda x: x[0].score)
            return "no_evidence", 0.6, f"Only mentioned later, with no verdict: “{_short(e.text)}” ({e.date}).", e.date
        return "no_evidence", 0.7, "No later document of this area says anything about it.", None
    latest = max(e.date for _, e in judged)
    recent = [(f, e) for f, e in judged if e.date == latest]
    sup = [(f, e) for f, e in recent if f.relation == "supports"]
    top = max((f.score for f, _ in sup), default=0.0)
    con = [(f, e) for f, e in recent if f.relation == "contradicts" and f.score >= CONTRADICTION_WEIGHT * top]
    confirmed = [x for x in judged if x[0].reviewed == "confirmed"]
    if con and not sup:
        f, e = max(con, key=lambda x: x[0].score)
        return "persists", _conf(con), f"Latest evidence ({e.date}) says it persists: “{_short(e.text)}” [{', '.join(f.cues[:3])}].", latest
    if sup and con:
        f, e = max(con, key=lambda x: x[0].score)
        return "progress", _conf(recent) * 0.8, (f"Mixed evidence on {latest}: {len(sup)} supporting, {len(con)} contradicting, "
                                                  f"e.g. “{_short(e.text)}”."), latest
    explicit = [(f, e) for f, e in sup if _explicit(f, e, confirmed)]
    older_con = [(f, e) for f, e in judged if f.relation == "contradicts" and f.score >= CONTRADICTION_WEIGHT * top]
    if explicit and not older_con:
        f, e = max(explicit, key=lambda x: x[0].score)
        return "addressed", _conf(explicit), f"Explicit improvement reported ({e.date}): “{_short(e.text)}” [{', '.join(f.cues[:3])}].", latest
    f, e = max(sup, key=lambda x: x[0].score)
    why = "actions reported, no evidence of impact yet" if e.kind == "action" else "improvement reported, hedged or not specific enough"
    if older_con and explicit:
        why = "improvement reported after earlier evidence that it persisted"
    return "progress", _conf(sup) * 0.9, f"{why.capitalize()} ({e.date}): “{_short(e.text)}”.", latest


def _explicit(f: FollowUp, e: Statement, confirmed) -> bool:
    if f.reviewed == "confirmed":
        return True
    if e.kind == "action" or e.kind == "statistic" and not (e.statistic and e.statistic.direction):
        return False
    if HEDGES.search(e.text):
        return False
    if f.score < ADDRESSED_SIMILARITY:
        return False
    return bool(STRONG_POSITIVE.search(e.text)) or (e.kind == "finding" and f.score >= LATER_FINDING_SIMILARITY
                                                     and judge(e.text).positive >= LATER_FINDING_POSITIVE)


def _conf(links) -> float:
    return round(min(0.95, 0.4 + 0.6 * max(f.score for f, _ in links)), 3)


def _short(text: str, n: int = 160) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def assess(corpus: Corpus, as_of: str | None = None) -> list[Assessment]:
    """Status history of every weakness and recommendation: one assessment at its own
    date and one at each later date on which evidence about it appeared."""
    stmts = {s.id: s for s in corpus.statements}
    by_target: dict[str, list[tuple[FollowUp, Statement]]] = defaultdict(list)
    for f in corpus.followups:
        if f.reviewed != "rejected" and f.evidence in stmts:
            by_target[f.finding].append((f, stmts[f.evidence]))
    out: list[Assessment] = []
    for t in corpus.statements:
        if not is_target(t) or not t.date:
            continue
        links = by_target.get(t.id, [])
        dates = sorted({e.date for _, e in links if e.date and (as_of is None or e.date <= as_of)})
        out.append(Assessment(t.id, "no_evidence", 0.7, "No later evidence yet.", t.date, None))
        for d in dates:
            status, conf, why, last = _decide(t, [(f, e) for f, e in links if e.date <= d])
            out.append(Assessment(t.id, status, conf, why, d, last))
    return out


def current(assessments: list[Assessment], as_of: str | None = None) -> dict[str, Assessment]:
    """The status of each finding now, or as of a date (a reviewer's decision wins)."""
    best: dict[str, Assessment] = {}
    for a in assessments:
        if as_of and a.as_of and a.as_of > as_of:
            continue
        key = _rank(a, dated=as_of is not None)
        b = best.get(a.finding)
        if b is None or key >= _rank(b, dated=as_of is not None):
            best[a.finding] = a
    return best


def _rank(a: Assessment, dated: bool) -> tuple:
    person = a.set_by != "software"
    return (a.as_of or "", person) if dated else (person, a.as_of or "")
