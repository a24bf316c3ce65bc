"""What the maps and the tracker site share: status names and colours, file names from ids,
and the rows they are drawn from (always `kg.export.finding_rows`, never re-derived)."""
from __future__ import annotations

import contextlib
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from kg.export import finding_rows
from kg.models import Agency, Assessment, Corpus, Document, FollowUp, Recurrence, Statement

STATUS_ORDER = ("persists", "progress", "no_evidence", "addressed")
STATUS_LABELS = {"persists": "Persists (open)", "progress": "Progress", "addressed": "Addressed",
                 "no_evidence": "No evidence (open)"}
# Colour-blind-safe-ish (Okabe-Ito based); open statuses are the warm/grey ones.
STATUS_COLOURS = {"persists": "#c0392b", "progress": "#e69f00", "addressed": "#009e73", "no_evidence": "#8c8c8c"}
OPEN_STATUSES = ("persists", "progress", "no_evidence")
RELATION_COLOURS = {"supports": "#009e73", "contradicts": "#c0392b", "mentions": "#9a9a9a"}

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def slug(id: str) -> str:
    """A stable file name from an id: '/' becomes '__', anything else unsafe becomes '_'."""
    return _UNSAFE.sub("_", id.replace("/", "__"))


def script_json(data) -> str:
    """JSON that is safe inside a <script type="application/json"> element: no '<', '>' or '&'
    survives literally, so a document containing '</script>' cannot end the element."""
    text = orjson.dumps(data, default=float, option=orjson.OPT_NON_STR_KEYS).decode()  # 6-8x json's speed
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


PAGES = "pages.json"  # in a folder of pages: {page: the digest it was written under}


def page_digests(folder: Path) -> dict[str, str]:
    """The PAGES record of an earlier build's folder ({} if it has none or it is unreadable)."""
    try:
        found = json.loads((folder / PAGES).read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def reuse_page(before: tuple[Path, dict[str, str]] | None, name: str, digest: str, dest: Path) -> bool:
    """Link `dest` from `before` (an earlier build's folder and its PAGES) when the page `name`
    was written there under `digest`; false if it was not, or is gone or not linkable."""
    if before is None or before[1].get(name) != digest:
        return False
    with contextlib.suppress(OSError):
        os.link(before[0] / name, dest)  # the build folders are siblings: one file system
        return True
    return False


@dataclass
class Model:
    """One build's rows and lookups, computed once and shared by every view and page."""
    corpus: Corpus
    as_of: str | None
    rows: list[dict]                      # finding_rows of every weakness and recommendation (status set)
    all_rows: dict[str, dict]             # finding_rows of every statement, by id
    docs: dict[str, Document]
    stmts: dict[str, Statement]
    agencies: dict[str, Agency]
    history: dict[str, list[list]] = field(default_factory=dict)   # finding -> [[as_of, status, by_person]]
    assessments: dict[str, list[Assessment]] = field(default_factory=dict)
    followups: dict[str, FollowUp] = field(default_factory=dict)
    by_view: dict[tuple[str, str], list[dict]] = field(default_factory=dict, repr=False)  # (kind, id) -> rows
    recurrences: dict[str, list[Recurrence]] = field(default_factory=dict, repr=False)  # statement -> its recurrences
    part_digests: dict[str, str] = field(default_factory=dict, repr=False)  # row id -> viz.maps._part_digest

    def in_view(self, kind: str, id: str | None) -> list[dict]:
        """Rows of an area, agency or theme view (indexed in one pass on first use)."""
        if not self.by_view:
            for r in self.rows:
                keys = [("area", r["area"])] + [("agency", a) for a in dict.fromkeys(r["agencies"])] + \
                       [("theme", t) for t in dict.fromkeys(r["themes"])]
                for k in keys:
                    self.by_view.setdefault(k, []).append(r)
        return self.by_view.get((kind, id), [])

    def agency_label(self, aid: str) -> str:
        a = self.agencies.get(aid)
        return a.label if a else aid

    def agency_type(self, aid: str) -> str:
        a = self.agencies.get(aid)
        return a.type if a and a.type else "unknown"

    def area_label(self, area: str | None) -> str:
        return self.corpus.areas.get(area or "", area or "no area")

    def theme_label(self, tid: str) -> str:
        return self._themes.get(tid, tid)

    def __post_init__(self) -> None:
        self._themes = {t.id: t.label for t in self.corpus.themes}


def build_model(corpus: Corpus, as_of: str | None = None, every: list[dict] | None = None) -> Model:
    """`every`: the corpus's finding_rows as of `as_of`, if already made."""
    every = finding_rows(corpus, as_of) if every is None else every
    rows = [r for r in every if r["status"] is not None]
    history: dict[str, list[list]] = defaultdict(list)
    assessments: dict[str, list[Assessment]] = defaultdict(list)
    recurrences: dict[str, list[Recurrence]] = defaultdict(list)
    for a in corpus.assessments:
        history[a.finding].append([a.as_of, a.status, a.set_by != "software"])
        assessments[a.finding].append(a)
    for rc in corpus.recurrences:
        recurrences[rc.a].append(rc)
    return Model(corpus, as_of, rows, {r["id"]: r for r in every}, {d.id: d for d in corpus.documents},
                 {s.id: s for s in corpus.statements}, {a.id: a for a in corpus.agencies}, dict(history),
                 dict(assessments), {f.id: f for f in corpus.followups}, recurrences=dict(recurrences))
