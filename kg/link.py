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

import hashlib
import math
import pickle
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import snowballstemmer
from scipy import sparse

from kg.ids import files_digest, stable_id
from kg.models import Assessment, Corpus, FollowUp, Recurrence, Statement, is_target
from loaders.cues import HEDGES, STRONG_POSITIVE, judge

EVIDENCE_KINDS = ("finding", "recommendation", "evidence", "action", "statistic")
LINK_THRESHOLD = 0.2
MIN_TEXT = 0.05
DECIDE_THRESHOLD = 0.3
ADDRESSED_SIMILARITY = 0.45
CONTRADICTION_WEIGHT = 0.7  # a contradiction counts if its score is at least this share of the best support's
LATER_FINDING_SIMILARITY = 0.45
LATER_FINDING_POSITIVE = 1.0
TOP_K = 6
BLOCK = 512  # targets scored at once
RECURRENCE_THRESHOLD = 0.4
RECURRENCE_THEMED = (0.6, 0.12)  # or a theme overlap this high with text this similar
_TOO_SOON = re.compile(r"\b(too (?:soon|early) to|not yet (?:possible|able) to (?:evaluate|assess|measure)|early days)\b", re.I)



@dataclass(frozen=True)
class Weights:
    text: float = 0.7
    theme: float = 0.3
    agency: float = 0.05
    backref: float = 0.1


_WORD = re.compile(r"[a-z][a-z-]+")
_STEMMER = snowballstemmer.stemmer("english")


def _stop_words() -> frozenset[str]:
    """English stop words (spaCy's list, kept in kg/stop_words.txt)."""
    from importlib.resources import files

    lines = files("kg").joinpath("stop_words.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w for w in lines if w and not w.startswith("#"))


_STOPWORDS = _stop_words() | {"children", "child", "young", "people", "families", "family", "local",
                               "authority", "practice", "services", "service", "work"}


@lru_cache(maxsize=None)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def stems(text: str) -> list[str]:
    """Stemmed content words, so that "plans" meets "planning" (each word is stemmed once)."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def _analyse(text: str) -> list[str]:
    words = stems(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


class Tfidf:
    """TF-IDF over stemmed words and word pairs, l2-normalised rows, with scikit-learn's
    weighting (sublinear tf ``1 + ln tf``, smoothed idf ``ln((1 + n) / (1 + df)) + 1``).
    A dozen lines of scipy instead of importing scikit-learn, which took 1.3 s of every build."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.idf = np.zeros(0)

    def _counts(self, texts: list[str], grow: bool) -> sparse.csr_matrix:
        data, cols, ptr = [], [], [0]
        for text in texts:
            counts = Counter(_analyse(text))
            if grow:
                for term in counts:
                    self.vocabulary.setdefault(term, len(self.vocabulary))
            row = sorted((self.vocabulary[t], c) for t, c in counts.items() if t in self.vocabulary)
            cols += [j for j, _ in row]
            data += [1.0 + math.log(c) for _, c in row]
            ptr.append(len(cols))
        return sparse.csr_matrix((data, cols, ptr), shape=(len(texts), len(self.vocabulary)))

    def fit(self, texts: list[str]) -> "Tfidf":
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: list[str]) -> sparse.csr_matrix:
        self.vocabulary = {}
        tf = self._counts(texts, grow=True)
        df = np.bincount(tf.indices, minlength=tf.shape[1])
        self.idf = np.log((1 + len(texts)) / (1 + df)) + 1.0
        return self._weigh(tf)

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        return self._weigh(self._counts(texts, grow=False))

    def _weigh(self, tf: sparse.csr_matrix) -> sparse.csr_matrix:
        m = tf @ sparse.diags(self.idf) if tf.shape[1] else tf
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        return sparse.csr_matrix(sparse.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ m)


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


def _binary(rows: list[list[str]], vocab: dict[str, int]) -> sparse.csr_matrix:
    """One row per statement, one column per label (theme or agency)."""
    data, cols, ptr = [], [], [0]
    for labels in rows:
        idx = sorted({vocab[x] for x in labels if x in vocab})
        cols += idx
        data += [1.0] * len(idx)
        ptr.append(len(cols))
    return sparse.csr_matrix((data, cols, ptr), shape=(len(rows), len(vocab)))


def _day(date: str) -> int:
    return int(date[:10].replace("-", "").ljust(8, "0"))


def link(corpus: Corpus, weights: Weights = Weights(), recurrences: bool = True, cache: Path | None = None,
         assessed: dict[str, list[Assessment]] | None = None) -> tuple[list[FollowUp], list[Recurrence]]:
    """Follow-up links for every weakness and recommendation, and the recurrences (`recur`;
    none if `recurrences` is false, for a caller that finds them elsewhere). Given a `cache`
    folder, an area whose linking inputs are unchanged (`_area_key`) gets its links from there,
    and with them (into `assessed`, by finding, when given) what `assess` makes of those links
    before any review."""
    lineage = _lineage(corpus)
    refers = {ref.id: ref.resolved for d in corpus.documents for ref in d.references if ref.resolved}
    cites = {(ref.resolved, d.id) for d in corpus.documents for ref in d.references if ref.resolved}
    by_area: dict[str, list[Statement]] = defaultdict(list)
    for s in corpus.statements:
        if s.area and s.date:
            by_area[s.area].append(s)
    followups: list[FollowUp] = []
    for area in sorted(by_area):
        args = (by_area[area], lineage, refers, cites, weights)
        if cache is None:
            followups += _link_area(*args)
            continue
        links, made = _cached_area(cache, *args)
        followups += links
        if assessed is not None:
            assessed.update(made)
    return sorted(followups, key=lambda f: f.id), recur(corpus) if recurrences else []


@lru_cache(maxsize=None)
def _code_digest() -> str:
    """The code linking runs (this module, the cue lexicon, the records and their ids)."""
    root = Path(__file__).resolve().parents[1]
    files = (root / "kg" / "link.py", root / "loaders" / "cues.py", root / "kg" / "models.py", root / "kg" / "ids.py")
    return files_digest(hashlib.sha256(), files).hexdigest()


def _area_key(stmts: list[Statement], lineage: dict[str, set[str]], refers: dict[str, str],
              cites: set[tuple[str, str]], weights: Weights) -> str:
    """A digest of everything `_link_area` reads for one area: each statement's fields it uses,
    the succession of the agencies named, the back-references within the area, the weights and
    the code. Equal keys give equal links."""
    h = hashlib.sha256(f"{_code_digest()} {weights!r}".encode())
    for s in stmts:
        st = s.statistic
        h.update(repr((s.id, s.doc, s.kind, s.polarity, s.date, s.text, s.themes, s.agencies, s.refers_to,
                       st is not None, st.direction if st else None)).encode())
    docs = {s.doc for s in stmts}
    h.update(repr([(a, sorted(lineage.get(a, {a}))) for a in sorted({a for s in stmts for a in s.agencies})]).encode())
    h.update(repr(sorted((r, refers[r]) for r in {s.refers_to for s in stmts} if r in refers)).encode())
    h.update(repr(sorted((a, b) for a, b in cites if a in docs and b in docs)).encode())
    return h.hexdigest()


def _cached_area(cache: Path, *args) -> tuple[list[FollowUp], dict[str, list[Assessment]]]:  # type: ignore[no-untyped-def]
    """`_link_area(*args)` and its targets' assessments from those links (`_assessments`), from
    `cache/links` when its inputs were linked before (written there atomically otherwise): a
    rebuild after one new document links and judges one area, not every area."""
    from kg.pipeline import cache_put

    where = cache / "links" / f"{_area_key(*args)}.pickle"
    try:
        return pickle.loads(where.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    links = _link_area(*args)
    out = (links, _assessments(args[0], links))
    cache_put(where, out)
    return out


def _link_area(stmts: list[Statement], lineage: dict[str, set[str]], refers: dict[str, str],
               cites: set[tuple[str, str]], weights: Weights) -> list[FollowUp]:
    """Score every (target, later candidate) pair of one area as matrices, a block of targets at a time."""
    targets = [s for s in stmts if is_target(s)]
    candidates = [s for s in stmts if s.kind in EVIDENCE_KINDS]
    if not targets or not candidates:
        return []
    tday = np.array([_day(t.date) for t in targets])
    cday = np.array([_day(c.date) for c in candidates])
    if not (cday.max() > tday.min()):
        return []
    index = {id(s): i for i, s in enumerate(stmts)}
    m = Tfidf().fit_transform([s.text for s in stmts])  # each text is analysed once
    tm, cm = m[[index[id(t)] for t in targets]], m[[index[id(c)] for c in candidates]].T.tocsc()
    idf = _theme_idf(stmts)
    themes = {t: i for i, t in enumerate(sorted(idf))}
    weight = sparse.diags([idf[t] for t in sorted(idf)]) if themes else None
    tt, ct = _binary([s.themes for s in targets], themes), _binary([s.themes for s in candidates], themes)
    ctw = (ct @ weight).T.tocsc() if themes else None
    cw = np.asarray(ctw.sum(axis=0)).ravel() if themes else None
    expanded = [sorted(set().union(*(lineage.get(a, {a}) for a in t.agencies))) if t.agencies else [] for t in targets]
    names = {a: i for i, a in enumerate(sorted({a for x in expanded for a in x} | {a for c in candidates for a in c.agencies}))}
    ta, ca = (_binary(expanded, names), _binary([c.agencies for c in candidates], names).T.tocsc()) if names else (None, None)
    docs = {d: i for i, d in enumerate(sorted({s.doc for s in stmts}))}
    tdoc = np.array([docs[t.doc] for t in targets])
    cdoc = np.array([docs[c.doc] for c in candidates])
    cited = np.zeros((len(docs), len(docs)))
    for a, b in cites:
        if a in docs and b in docs:
            cited[docs[a], docs[b]] = 0.5
    direct = np.array([docs.get(refers.get(c.refers_to or ""), -1) for c in candidates])
    out = []
    judged: dict[str, tuple[str, list[str]]] = {}
    for lo in range(0, len(targets), BLOCK):  # a block of targets at a time: memory stays bounded
        hi = min(lo + BLOCK, len(targets))
        text = (tm[lo:hi] @ cm).toarray()
        if themes:
            inter = (tt[lo:hi] @ ctw).toarray()
            tw = np.asarray((tt[lo:hi] @ weight).sum(axis=1)).ravel()
            union = tw[:, None] + cw[None, :] - inter
            theme = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        else:
            theme = np.zeros_like(text)
        agency = (ta[lo:hi] @ ca).toarray() > 0 if names else np.zeros_like(text, dtype=bool)
        backref = np.maximum(cited[tdoc[lo:hi, None], cdoc[None, :]], (direct[None, :] == tdoc[lo:hi, None]) * 1.0)
        score = weights.text * text + weights.theme * theme + weights.agency * agency + weights.backref * backref
        later = cday[None, :] > tday[lo:hi, None]
        ok = later & (score >= LINK_THRESHOLD) & ((text >= MIN_TEXT) | (theme > 0.5))
        score = np.where(ok, np.minimum(score, 1.0), -1.0)
        for i, t in enumerate(targets[lo:hi]):
            row = score[i]
            k = min(TOP_K, int((row >= 0).sum()))
            if not k:
                continue
            best = np.argpartition(-row, k - 1)[:k]
            for j in sorted(best, key=lambda j: (-round(float(row[j]), 4), candidates[j].id)):
                c = candidates[j]
                if c.id not in judged:
                    judged[c.id] = relation(t, c)
                rel, cues = judged[c.id]
                out.append(FollowUp(stable_id("fu", t.id, c.id), t.id, c.id, rel, round(float(row[j]), 4),
                                    "tfidf+themes+agencies", cues))
    return out


def recur(corpus: Corpus, threshold: float = RECURRENCE_THRESHOLD, per_finding: int = 1,
          weights: Weights = Weights()) -> list[Recurrence]:
    """The same weakness in another area or year: a separate relation, not evidence.
    Each weakness keeps its closest match (`per_finding`), so the relation stays readable at scale."""
    weak = [s for s in corpus.statements if s.kind == "finding" and s.polarity == "weakness" and s.date]
    if len(weak) < 2:
        return []
    m = Tfidf().fit_transform([s.text for s in weak])
    idf = _theme_idf(corpus.statements)
    themes = {t: i for i, t in enumerate(sorted(idf))}
    tm = _binary([s.themes for s in weak], themes) @ sparse.diags([idf[t] for t in sorted(idf)])
    tw = np.asarray(tm.sum(axis=1)).ravel()
    tm = tm.tocsr()
    has = (tm > 0).astype(np.float32).tocsr()
    doc = np.unique([s.doc for s in weak], return_inverse=True)[1]  # integer codes compare fast
    key = np.unique([f"{s.area}|{s.date}" for s in weak], return_inverse=True)[1]
    least, (overlap_least, text_least) = _least_text(threshold, weights), RECURRENCE_THEMED
    out: dict[str, Recurrence] = {}
    for lo in range(0, len(weak), 2000):
        block = (m[lo:lo + 2000] @ m.T).tocoo()
        keep = block.data >= least
        rows, cols, text = block.row[keep] + lo, block.col[keep], block.data[keep]
        keep = (doc[rows] != doc[cols]) & (key[rows] != key[cols])
        rows, cols, text = rows[keep], cols[keep], text[keep]
        inter = np.asarray(tm[rows].multiply(has[cols]).sum(axis=1)).ravel()
        union = tw[rows] + tw[cols] - inter
        overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        score = weights.text * text + weights.theme * overlap
        keep = (inter > 0) & ((score >= threshold) | ((overlap >= overlap_least) & (text >= text_least)))
        rows, cols, score = rows[keep], cols[keep], score[keep]
        order = np.lexsort((cols, -score, rows))  # each weakness's best matches first
        ranked = rows[order]
        at = np.arange(len(ranked))
        first = np.maximum.accumulate(np.where(np.r_[True, ranked[1:] != ranked[:-1]], at, 0))
        order = order[at - first < per_finding]
        for r, c_, sc in zip(rows[order], cols[order], score[order]):
            x, y = sorted((weak[r], weak[c_]), key=lambda s: (s.date, s.id))
            rid = stable_id("rec", x.id, y.id)
            out.setdefault(rid, Recurrence(rid, x.id, y.id, round(float(sc), 4), sorted(set(x.themes) & set(y.themes))))
    return sorted(out.values(), key=lambda r: r.id)


def _least_text(threshold: float, weights: Weights) -> float:
    """The least text similarity a recurrence can have, its theme overlap being at most 1: pairs
    below it are dropped before anything else is computed for them (nationally 35.7 M pairs at
    MIN_TEXT, 4.9 M at this bound)."""
    scored = (threshold - weights.theme) / weights.text if weights.text > 0 else 0.0
    return max(MIN_TEXT, min(RECURRENCE_THEMED[1], scored))


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


def assess(corpus: Corpus, as_of: str | None = None, known: Mapping[str, list[Assessment]] | None = None
           ) -> list[Assessment]:
    """Status history of every weakness and recommendation: one assessment at its own
    date and one at each later date on which evidence about it appeared. `known`: some
    findings' assessments already made from the same links (`link`'s `assessed`), used as they are."""
    known = known if known is not None and as_of is None else {}
    made = _assessments(corpus.statements, corpus.followups, as_of, skip=known)
    out: list[Assessment] = []
    for t in corpus.statements:
        out += known[t.id] if t.id in known else made.get(t.id, [])
    return out


def _assessments(stmts: list[Statement], followups: list[FollowUp], as_of: str | None = None,
                 skip: Mapping[str, object] = {}) -> dict[str, list[Assessment]]:
    """`assess` of the targets among `stmts` (but those in `skip`), by finding, from their links
    to evidence among `stmts` (taken in the order of their ids, whatever the order of `followups`:
    a tie between links goes to the first)."""
    by_id = {s.id: s for s in stmts}
    by_target: dict[str, list[tuple[FollowUp, Statement]]] = defaultdict(list)
    for f in followups:
        if f.reviewed != "rejected" and f.evidence in by_id and f.finding not in skip:
            by_target[f.finding].append((f, by_id[f.evidence]))
    out: dict[str, list[Assessment]] = {}
    for t in stmts:
        if not is_target(t) or not t.date or t.id in skip:
            continue
        links = sorted(by_target.get(t.id, []), key=lambda x: x[0].id)
        dates = sorted({e.date for _, e in links if e.date and (as_of is None or e.date <= as_of)})
        made = out[t.id] = [Assessment(t.id, "no_evidence", 0.7, "No later evidence yet.", t.date, None)]
        for d in dates:
            status, conf, why, last = _decide(t, [(f, e) for f, e in links if e.date <= d])
            made.append(Assessment(t.id, status, conf, why, d, last))
    return out


def current(assessments: Iterable[Assessment], as_of: str | None = None) -> dict[str, Assessment]:
    """The status of each finding now, or as of a date: a person's word if there is one, else the
    latest (as of a date: the latest, a person's word first on the same day); on a tie the greater
    status name (progress > persists > no_evidence > addressed), so a tie never reads as addressed.
    The tracker, the RDF graph, the property graph and the named queries all use this rule."""
    best: dict[str, Assessment] = {}
    for a in assessments:
        if as_of and a.as_of and a.as_of > as_of:
            continue
        b = best.get(a.finding)
        if b is None or _rank(a, dated=as_of is not None) > _rank(b, dated=as_of is not None):
            best[a.finding] = a
    return best


def is_open(now: Assessment | None) -> bool:
    """Open: a finding's current assessment is not *addressed*, or it has none."""
    return now is None or now.status != "addressed"


def _rank(a: Assessment, dated: bool) -> tuple:
    person = a.set_by != "software"
    return (a.as_of or "", person, a.status) if dated else (person, a.as_of or "", a.status)
