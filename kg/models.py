"""Typed records passed between pipeline stages.

Every stage takes and returns these plain dataclasses; `asdict` gives the
JSON form written to the exports.  Offsets (`start`, `end`) always count
characters in the document's *original* extracted text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DocKind = Literal[
    "jtai_letter", "focused_visit", "inspection_report", "monitoring_visit",
    "annual_report", "action_plan", "news", "other",
]
StatementKind = Literal["finding", "recommendation", "action", "evidence", "statistic"]
Polarity = Literal["strength", "weakness"]
Relation = Literal["supports", "contradicts", "mentions"]
Status = Literal["addressed", "progress", "persists", "no_evidence"]

DOC_KINDS: tuple[str, ...] = DocKind.__args__  # type: ignore[attr-defined]
STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Span:
    """An exact piece of a document's original text (a Web Annotation target)."""
    start: int
    end: int
    quote: str
    page: int | None = None
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Agency:
    """An organisation or service, as held in the agency registry."""
    id: str
    label: str
    type: str
    role: str
    area: str | None = None
    parent: str | None = None
    succeeded_by: str | None = None
    succession_date: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    broader: tuple[str, ...] = ()


@dataclass
class Addressee:
    name: str
    role: str
    organisation: str
    agency: str | None = None


@dataclass
class Inspection:
    """The activity a letter or report is about."""
    id: str
    kind: str
    area: str | None
    start: str | None = None
    end: str | None = None
    framework: str | None = None
    deep_dive: str | None = None
    inspectorates: list[str] = field(default_factory=list)
    inspectors: list[str] = field(default_factory=list)
    grades: dict[str, str] = field(default_factory=dict)
    deadline: str | None = None


@dataclass
class Reference:
    """A mention of an earlier inspection ("since the JTAI in December 2017")."""
    id: str
    kind: str
    date: str | None
    area: str | None
    span: Span
    resolved: str | None = None  # document id, when the referred-to letter is in the corpus


@dataclass
class Statistic:
    value: float
    unit: str
    previous: float | None = None
    direction: Literal["up", "down", "same"] | None = None


@dataclass
class Statement:
    """One finding, recommendation, action, evidence statement or statistic."""
    id: str
    doc: str
    kind: StatementKind
    polarity: Polarity | None
    section: str
    text: str
    span: Span
    area: str | None
    date: str | None
    agencies: list[str] = field(default_factory=list)
    mentioned: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    due: str | None = None
    statistic: Statistic | None = None
    refers_to: str | None = None  # Reference id when the text says "since the last inspection…"


def is_target(s: Statement) -> bool:
    """A recommendation or a weakness found: what is followed up, has a status and can be open."""
    return s.kind == "recommendation" or (s.kind == "finding" and s.polarity == "weakness")


@dataclass
class Document:
    id: str
    file: str
    sha256: str
    kind: DocKind
    title: str
    area: str | None
    published: str | None
    pages: int | None = None
    inspection: Inspection | None = None
    addressees: list[Addressee] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


@dataclass
class FollowUp:
    """A judged link from a finding or recommendation to later evidence."""
    id: str
    finding: str
    evidence: str
    relation: Relation
    score: float
    method: str
    cues: list[str] = field(default_factory=list)
    reviewed: Literal["confirmed", "rejected"] | None = None
    reviewer: str | None = None
    note: str | None = None


@dataclass
class Assessment:
    """A finding's status, derived from its follow-ups (or set by a reviewer)."""
    finding: str
    status: Status
    confidence: float
    explanation: str
    as_of: str | None = None  # the date from which this status holds (status history)
    last_evidence: str | None = None
    set_by: str = "software"


@dataclass
class Recurrence:
    """The same weakness found in two areas or years (not evidence)."""
    id: str
    a: str
    b: str
    score: float
    themes: list[str] = field(default_factory=list)


@dataclass
class BuildError:
    file: str
    reason: str
    stage: str


@dataclass
class Corpus:
    """Everything one build extracted, linked and judged."""
    documents: list[Document] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    recurrences: list[Recurrence] = field(default_factory=list)
    agencies: list[Agency] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    areas: dict[str, str] = field(default_factory=dict)
    errors: list[BuildError] = field(default_factory=list)
