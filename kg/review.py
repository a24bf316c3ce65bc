"""Decisions of people, kept in a small JSON Lines file keyed by stable ids.

A reviewer confirms or rejects a link, or sets a finding's status. The file
survives every rebuild; a decision whose link or finding no longer exists is
reported, never dropped.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Literal

from kg.errors import KGError
from kg.models import STATUSES, Assessment, Corpus, FollowUp

Action = Literal["confirm", "reject", "status"]


@dataclass(frozen=True)
class Decision:
    target: str  # a follow-up id (confirm/reject) or a finding id (status)
    action: Action
    reviewer: str
    note: str = ""
    status: str | None = None
    date: str = ""


def load(path: Path | None) -> list[Decision]:
    if path is None or not Path(path).exists():
        return []
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(Decision(**json.loads(line)))
            except (TypeError, ValueError) as exc:
                raise KGError(f"{Path(path).name}, line {n}: not a review decision ({exc})") from None
    return out


def record(path: Path, decision: Decision) -> Decision:
    """Append a decision (atomically rewriting the file, so a crash never leaves half a line)."""
    if decision.action == "status" and decision.status not in STATUSES:
        raise KGError(f"unknown status {decision.status!r}; use one of {', '.join(STATUSES)}")
    if not decision.reviewer.strip():
        raise KGError("a review needs the reviewer's name (--reviewer)")
    decision = replace(decision, date=decision.date or date.today().isoformat())
    path = Path(path)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(old + ("" if not old or old.endswith("\n") else "\n"))
        fh.write(json.dumps(asdict(decision), ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return decision


def apply_to_links(followups: list[FollowUp], decisions: list[Decision]) -> tuple[list[FollowUp], list[str]]:
    by_id = {f.id: f for f in followups}
    unknown = []
    for d in decisions:
        if d.action not in ("confirm", "reject"):
            continue
        f = by_id.get(d.target)
        if f is None:
            unknown.append(f"review by {d.reviewer} on {d.date}: link {d.target} no longer exists ({d.action}: {d.note})")
            continue
        by_id[d.target] = replace(f, reviewed="confirmed" if d.action == "confirm" else "rejected",
                                  reviewer=d.reviewer, note=d.note or None)
    return [by_id[f.id] for f in followups], unknown


def apply_to_status(corpus: Corpus, decisions: list[Decision]) -> tuple[list[Assessment], list[str]]:
    """The people's status decisions as assessments, added to the software's. A decision replaces
    an earlier one on the same finding and day (a correction), so the last word of the day counts."""
    known = {s.id for s in corpus.statements}
    out, unknown = list(corpus.assessments), []
    last = {(d.target, d.date): d for d in decisions if d.action == "status"}
    for d in decisions:
        if d.action != "status" or last[d.target, d.date] is not d:
            continue
        if d.target not in known:
            unknown.append(f"review by {d.reviewer} on {d.date}: finding {d.target} no longer exists (status {d.status}: {d.note})")
            continue
        out.append(Assessment(d.target, d.status, 1.0, f"Set by {d.reviewer} on {d.date}: {d.note}".rstrip(": "),
                              d.date, None, "person"))
    return out, unknown
