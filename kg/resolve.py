"""Resolve areas, agencies and themes in text against the Turtle reference data.

The reference data (``ontology/areas.ttl``, ``agencies.ttl``, ``themes.ttl``) is
the source of truth; this module reads it once, lazily, and matches its names as
token sequences (a token is a word, a possessive 's, or one other character).

Agency aliases come in three kinds (see ``agencies.ttl``):

* ``skos:prefLabel`` / ``skos:altLabel`` name exactly one organisation;
* ``sgkg:genericAlias`` is used without naming the area ("the LSCB",
  "social workers") and resolves to the role template's instance for the
  document's area (or, for a national sub-unit such as the Met's CAIT, to
  that unit when the area is policed by its parent, else to the area's force);
* ``sgkg:neutralAlias`` ("the partnership", "probation") also follows the
  succession chain to the organisation current at the document's date
  (with no date: the latest successor).

Area-local agencies are not stored: ``{area}/{template}`` ids are made from
the role templates on demand (``haringey/lscb``).  The ``police`` template
resolves to the area's territorial force.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Iterable, Iterator, NamedTuple

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg.errors import KGError
from kg.models import Agency

__all__ = [
    "Agency", "Mention", "UnknownIdError", "areas", "find_areas", "police_force", "agency",
    "agencies_for_area", "tag_agencies", "learn_glossary", "tag_themes", "theme_label", "themes",
]

SGKG = Namespace("https://w3id.org/safeguarding-kg/def#")
ORG = Namespace("http://www.w3.org/ns/org#")
AREA_NS = "https://w3id.org/safeguarding-kg/area/"
AGENCY_NS = "https://w3id.org/safeguarding-kg/agency/"
TEMPLATE_NS = "https://w3id.org/safeguarding-kg/agency-template/"
THEME_NS = "https://w3id.org/safeguarding-kg/theme/"

# one-to-one character substitutions, so offsets in the normalised text are
# offsets in the original text
_NORMALISE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                            "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u00a0": " ",
                            "\u00ad": "-"})
# phrases that contain an alias but are not that thing
_AGENCY_STOPS = ("community safety partnership", "Safeguarding Adults Board", "safeguarding adults partnership",
                 "in care council", "children in care council", "Youth Justice Board", "police and crime commissioner",
                 "Police and Crime Commissioner", "Mayor's Office for Policing and Crime", "partnership working",
                 "Department for Education", "Office for Standards in Education")
_THEME_STOPS = ("Office for Standards in Education", "Department for Education", "Secretary of State for Education",
                "Children's Services and Skills")
_STOP = "_stop"


class UnknownIdError(KGError, KeyError):
    """An area, agency or theme id that the reference data does not hold."""

    def __init__(self, kind: str, ident: str):
        super().__init__(f"unknown {kind} id {ident!r} (not in ontology/{kind if kind != 'agency' else 'agencie'}s.ttl)")
        self.kind = kind
        self.ident = ident


@dataclass(frozen=True)
class Mention:
    """An agency named in a text: the resolved agency and the character span."""
    agency_id: str
    role: str
    start: int
    end: int
    text: str


# ---------------------------------------------------------------- reference data

class _Org(NamedTuple):
    label: str
    type: str
    role: str
    parent: str | None
    succeeded_by: str | None
    succession_date: str | None
    names: tuple[str, ...]      # prefLabel + altLabels: name exactly this organisation
    generic: tuple[str, ...]
    neutral: tuple[str, ...]


class _Template(NamedTuple):
    label_pattern: str
    type: str
    role: str
    parent: str | None
    succeeded_by: str | None
    succession_date: str | None
    name_patterns: tuple[str, ...]
    generic: tuple[str, ...]
    neutral: tuple[str, ...]
    police: bool


class _Area(NamedTuple):
    label: str
    alt_labels: tuple[str, ...]
    police_force: str


class _Theme(NamedTuple):
    label: str
    labels: tuple[str, ...]
    broader: tuple[str, ...]


@lru_cache(maxsize=None)
def _graph(name: str) -> Graph:
    text = files("ontology").joinpath(name).read_text(encoding="utf-8")
    return Graph().parse(data=text, format="turtle")


def _local(node: object, ns: str) -> str:
    s = str(node)
    return s[len(ns):] if s.startswith(ns) else s


def _texts(g: Graph, s: URIRef, p: URIRef) -> tuple[str, ...]:
    return tuple(sorted(str(o) for o in g.objects(s, p)))


def _one(g: Graph, s: URIRef, p: URIRef) -> str | None:
    vals = sorted(str(o) for o in g.objects(s, p))
    return vals[0] if vals else None


@lru_cache(maxsize=None)
def _areas() -> dict[str, _Area]:
    g = _graph("areas.ttl")
    out = {}
    for s in sorted(g.subjects(RDF.type, SGKG.Area)):
        force = _one(g, s, SGKG.policeForce)
        out[_local(s, AREA_NS)] = _Area(str(g.value(s, RDFS.label)), _texts(g, s, SKOS.altLabel),
                                        _local(force, AGENCY_NS) if force else "")
    return out


def _successions(g: Graph, ns: str) -> dict[str, tuple[str, str]]:
    """original id -> (resulting id, ISO date) from org:ChangeEvent nodes."""
    out: dict[str, tuple[str, str]] = {}
    for ev in g.subjects(RDF.type, ORG.ChangeEvent):
        date = str(g.value(ev, DCTERMS.date))
        results = sorted(g.objects(ev, ORG.resultingOrganization))
        for orig in g.objects(ev, ORG.originalOrganization):
            if str(orig).startswith(ns) and results:
                out[_local(orig, ns)] = (_local(results[0], ns), date)
    return out


@lru_cache(maxsize=None)
def _orgs() -> dict[str, _Org]:
    g = _graph("agencies.ttl")
    succ = _successions(g, AGENCY_NS)
    out = {}
    subjects = set(g.subjects(RDF.type, ORG.Organization)) | set(g.subjects(RDF.type, ORG.OrganizationalUnit))
    for s in sorted(subjects):
        aid = _local(s, AGENCY_NS)
        parent = _one(g, s, ORG.subOrganizationOf)
        label = str(g.value(s, SKOS.prefLabel))
        nxt, date = succ.get(aid, (None, None))
        out[aid] = _Org(label, str(g.value(s, SGKG.agencyType)), str(g.value(s, SGKG.role)),
                        _local(parent, AGENCY_NS) if parent else None, nxt, date,
                        (label, *_texts(g, s, SKOS.altLabel)), _texts(g, s, SGKG.genericAlias),
                        _texts(g, s, SGKG.neutralAlias))
    return out


@lru_cache(maxsize=None)
def _templates() -> dict[str, _Template]:
    g = _graph("agencies.ttl")
    succ = _successions(g, TEMPLATE_NS)
    out = {}
    for s in sorted(g.subjects(RDF.type, SGKG.RoleTemplate)):
        tid = _local(s, TEMPLATE_NS)
        parent = _one(g, s, SGKG.parentTemplate)
        nxt, date = succ.get(tid, (None, None))
        out[tid] = _Template(str(g.value(s, SGKG.labelPattern)), str(g.value(s, SGKG.agencyType)),
                             str(g.value(s, SGKG.role)), _local(parent, TEMPLATE_NS) if parent else None,
                             nxt, date, _texts(g, s, SGKG.namePattern), _texts(g, s, SGKG.genericAlias),
                             _texts(g, s, SGKG.neutralAlias),
                             (s, SGKG.resolvesToAreaPoliceForce, Literal(True)) in g)
    return out


@lru_cache(maxsize=None)
def _themes() -> dict[str, _Theme]:
    g = _graph("themes.ttl")
    out = {}
    for s in sorted(g.subjects(RDF.type, SKOS.Concept)):
        label = str(g.value(s, SKOS.prefLabel))
        out[_local(s, THEME_NS)] = _Theme(label, (label, *_texts(g, s, SKOS.altLabel)),
                                          tuple(_local(b, THEME_NS) for b in sorted(g.objects(s, SKOS.broader))))
    return out


# ---------------------------------------------------------------- public lookups

def areas() -> dict[str, str]:
    """Area id -> label, for every area (current and former) in areas.ttl."""
    return {k: v.label for k, v in _areas().items()}


def police_force(area_id: str) -> str:
    """Id of the territorial police force serving an area."""
    try:
        return _areas()[area_id].police_force
    except KeyError:
        raise UnknownIdError("area", area_id) from None


def themes() -> dict[str, str]:
    """Theme id -> preferred label."""
    return {k: v.label for k, v in _themes().items()}


def theme_label(theme_id: str) -> str:
    try:
        return _themes()[theme_id].label
    except KeyError:
        raise UnknownIdError("theme", theme_id) from None


@lru_cache(maxsize=None)
def _area_names(area_id: str) -> tuple[str, ...]:
    """The area's label and the alt labels that are names, not council titles."""
    a = _areas()[area_id]
    council = re.compile(r"council|borough|local authority|corporation|\bLB\b|\bMBC\b|city of|county of|royal", re.I)
    return (a.label, *(x for x in a.alt_labels if not council.search(x) and not x.isupper()))


@lru_cache(maxsize=None)
def _instance(area_id: str, template_id: str) -> Agency:
    t = _templates()[template_id]
    area = _areas()[area_id]
    if t.police:
        return agency(area.police_force)
    names = tuple(p.replace("{area}", n) for p in t.name_patterns for n in _area_names(area_id))
    if template_id == "local-authority":
        names += area.alt_labels
    return Agency(
        id=f"{area_id}/{template_id}", label=t.label_pattern.replace("{area}", area.label), type=t.type, role=t.role,
        area=area_id, parent=f"{area_id}/{t.parent}" if t.parent else None,
        succeeded_by=f"{area_id}/{t.succeeded_by}" if t.succeeded_by else None,
        succession_date=t.succession_date, aliases=tuple(dict.fromkeys(names + t.generic + t.neutral)),
    )


@lru_cache(maxsize=None)
def agency(agency_id: str) -> Agency:
    """The agency with this id: a national agency or an ``{area}/{template}`` instance."""
    org = _orgs().get(agency_id)
    if org is not None:
        return Agency(id=agency_id, label=org.label, type=org.type, role=org.role, area=None, parent=org.parent,
                      succeeded_by=org.succeeded_by, succession_date=org.succession_date,
                      aliases=tuple(dict.fromkeys(org.names + org.generic + org.neutral)))
    area_id, _, template_id = agency_id.partition("/")
    if area_id in _areas() and template_id in _templates() and not _templates()[template_id].police:
        return _instance(area_id, template_id)
    raise UnknownIdError("agency", agency_id)


def agencies_for_area(area_id: str) -> list[Agency]:
    """Every area-local agency (one per role template) plus the area's police force, sorted by id."""
    return list(_agencies_for_area(area_id))


@lru_cache(maxsize=None)
def _agencies_for_area(area_id: str) -> tuple[Agency, ...]:
    if area_id not in _areas():
        raise UnknownIdError("area", area_id)
    found = {a.id: a for a in (_instance(area_id, t) for t in _templates())}
    return tuple(found[k] for k in sorted(found))


# ---------------------------------------------------------------- matching

# A word, a possessive 's, or one other non-space character: "multi-agency" is three tokens,
# "LSCB's" two; a phrase split across a line break still matches.
_TOKEN = re.compile(r"'s\b|\w+|[^\w\s]")


def _case_sensitive(phrase: str) -> bool:
    """Acronyms (LSCB, GPs, A&E) and 'Met' are matched by exact case."""
    return any(sum(c.isupper() for c in w) >= 2 or w == "Met" for w in phrase.split())


def _variants(phrase: str) -> set[str]:
    p = phrase.translate(_NORMALISE)
    out = {p}
    if re.search(r"\w-\w", p):
        out.add(re.sub(r"(?<=\w)-(?=\w)", " ", p))
    if "'s " in p:
        out.add(p.replace("'s ", "s "))
    return out


class _Phrases:
    """Phrases as token sequences, each under one or more keys."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, ...], set[str]] = {}
        self.lengths: dict[str, set[int]] = {}  # a phrase's first token -> the lengths of those it starts

    def add(self, key: str, phrase: str) -> None:
        tokens = tuple(_TOKEN.findall(phrase))
        if tokens:
            self.keys.setdefault(tokens, set()).add(key)
            self.lengths.setdefault(tokens[0], set()).add(len(tokens))

    def find(self, tokens: list[str]) -> Iterator[tuple[int, int, str]]:
        for i, t in enumerate(tokens):
            for n in self.lengths.get(t, ()):
                if i + n <= len(tokens):
                    for key in self.keys.get(tuple(tokens[i:i + n]), ()):
                        yield i, i + n, key


class _Matchers:
    """Phrases matched on lower-cased tokens, and phrases matched on tokens exactly as written."""

    def __init__(self, entries: Iterable[tuple[str, str]], *, title_case_single: bool = False) -> None:
        self.lower, self.orth = _Phrases(), _Phrases()
        for key, phrase in entries:
            for v in _variants(phrase):
                single = title_case_single and len(_TOKEN.findall(v)) == 1
                if _case_sensitive(v) or single:
                    forms = {v, v.upper()} | ({v.title() if " " in v else v[:1].upper() + v[1:]} if single else set())
                    for form in forms:
                        self.orth.add(key, form)
                else:
                    self.lower.add(key, v.lower())

    def spans(self, tokens: list[str]) -> list[tuple[int, int, str]]:
        """(first token, end token, key) of every phrase in the tokens, sorted."""
        return sorted({*self.lower.find([t.lower() for t in tokens]), *self.orth.find(tokens)})


def _longest(spans: Iterable[tuple[int, int, str]], prefer: frozenset[str] = frozenset()) -> list[tuple[int, int, str]]:
    """Non-overlapping spans, longest first; ties go to keys in ``prefer``, then to the earliest."""
    chosen: list[tuple[int, int, str]] = []
    taken: set[int] = set()
    for s, e, k in sorted(spans, key=lambda x: (-(x[1] - x[0]), x[2] not in prefer, x[0], x[2])):
        if not taken.intersection(range(s, e)):
            chosen.append((s, e, k))
            taken.update(range(s, e))
    return sorted(chosen)


def _tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The normalised text's tokens, and each token's character span in the original text."""
    found = list(_TOKEN.finditer(text.translate(_NORMALISE)))
    return [m.group() for m in found], [m.span() for m in found]


@lru_cache(maxsize=None)
def _area_matcher() -> _Matchers:
    entries = [(aid, name) for aid, a in _areas().items() for name in (a.label, *a.alt_labels)]
    return _Matchers(entries, title_case_single=True)


def find_areas(text: str) -> list[tuple[str, int, int]]:
    """(area id, start, end) of every area named in the text, in order; the longest name wins."""
    tokens, offsets = _tokens(text)
    return [(k, offsets[s][0], offsets[e - 1][1]) for s, e, k in _longest(_area_matcher().spans(tokens))]


# key grammar of the agency matcher:
#   "=<agency id>"      names exactly this agency (national, or an area instance)
#   "~<agency id>"      national neutral alias: follow succession by date
#   "T<template id>"    generic alias of an area role template
#   "N<template id>"    neutral alias of an area role template: follow succession by date
#   "U<unit id>"        generic alias of a national sub-unit (the Met's CAIT)

@lru_cache(maxsize=None)
def _agency_matcher() -> _Matchers:
    entries: list[tuple[str, str]] = [(_STOP, p) for p in _AGENCY_STOPS]
    for aid, org in _orgs().items():
        entries += [(f"={aid}", n) for n in org.names]
        entries += [(f"~{aid}", n) for n in org.neutral]
        entries += [((f"U{aid}" if org.parent else f"={aid}"), n) for n in org.generic]
    for tid, t in _templates().items():
        entries += [(f"T{tid}", n) for n in t.generic]
        entries += [(f"N{tid}", n) for n in t.neutral]
        if t.police:
            continue
        for area_id, area in _areas().items():
            names = [p.replace("{area}", n) for p in t.name_patterns for n in _area_names(area_id)]
            if tid == "local-authority":
                names += list(area.alt_labels)
            entries += [(f"={area_id}/{tid}", n) for n in names]
    return _Matchers(entries)


def _follow(agency_id: str, date: str | None) -> str:
    """Follow the succession chain to the agency current at ``date`` (the latest one if no date)."""
    for _ in range(10):
        a = agency(agency_id)
        if a.succeeded_by is None or (date is not None and a.succession_date and date[:10] < a.succession_date):
            return agency_id
        agency_id = a.succeeded_by
    return agency_id


def _resolve_key(key: str, area: str | None, date: str | None) -> str | None:
    kind, ident = key[0], key[1:]
    if kind == "=":
        return ident
    if kind == "~":
        return _follow(ident, date)
    if kind == "U":
        parent = _orgs()[ident].parent
        if area is None or police_force(area) == parent:
            return ident
        return police_force(area)
    if area is None or kind not in "TN":
        return None
    if _templates()[ident].police:
        return police_force(area)
    inst = f"{area}/{ident}"
    return _follow(inst, date) if kind == "N" else inst


@lru_cache(maxsize=256)
def _extra_matcher(items: tuple[tuple[str, str], ...]) -> _Matchers:
    m = _Matchers(())
    for key, abbr in items:
        m.orth.add(key, abbr.translate(_NORMALISE))
    return m


@lru_cache(maxsize=4096)
def _resolve_expansion(expansion: str, area: str | None, date: str | None) -> str | None:
    """The agency an expansion names, when one alias covers most of it."""
    mentions = tag_agencies(expansion, area, date)
    best = max(mentions, key=lambda m: m.end - m.start, default=None)
    if best is None or (best.end - best.start) < 0.6 * len(expansion.strip()):
        return None
    return best.agency_id


def tag_agencies(text: str, area: str | None, date: str | None = None,
                 extra_aliases: dict[str, str] | None = None) -> list[Mention]:
    """Agency mentions in ``text``, resolved for the document's area and date (ISO ``YYYY-MM-DD``).

    Generic aliases ("the police", "the LSCB") need an area and are skipped without one.
    ``extra_aliases`` maps an abbreviation (matched case-sensitively) to an expansion, as
    returned by :func:`learn_glossary`; the expansion is resolved like any text.
    """
    if area is not None and area not in _areas():
        raise UnknownIdError("area", area)
    tokens, offsets = _tokens(text)
    spans = _agency_matcher().spans(tokens)
    prefer: frozenset[str] = frozenset()
    if extra_aliases:
        items = _extra_items(tuple(sorted(extra_aliases.items())), area, date)
        if items:
            extra = _extra_matcher(items).spans(tokens)
            prefer = frozenset(k for _, _, k in extra)
            spans += extra
    out = []
    for s, e, key in _longest(spans, prefer):
        if key == _STOP:
            continue
        aid = _resolve_key(key, area, date)
        if aid is None:
            continue
        start, end = offsets[s][0], offsets[e - 1][1]
        out.append(Mention(aid, agency(aid).role, start, end, text[start:end]))
    return out


@lru_cache(maxsize=256)
def _extra_items(aliases: tuple[tuple[str, str], ...], area: str | None, date: str | None) -> tuple[tuple[str, str], ...]:
    """Glossary abbreviations resolved once per document, not once per sentence."""
    resolved = {abbr: _resolve_expansion(exp, area, date) for abbr, exp in aliases}
    return tuple((f"={aid}", abbr) for abbr, aid in resolved.items() if aid)


@lru_cache(maxsize=None)
def _theme_matcher() -> _Matchers:
    entries = [(_STOP, p) for p in _THEME_STOPS]
    entries += [(tid, label) for tid, t in _themes().items() for label in t.labels]
    return _Matchers(entries)


def tag_themes(text: str) -> list[str]:
    """Theme ids named in the text (longest phrase wins), sorted."""
    return sorted({k for _, _, k in _longest(_theme_matcher().spans(_tokens(text)[0])) if k != _STOP})


# ---------------------------------------------------------------- glossaries

_STOPWORDS = frozenset({"of", "and", "the", "for", "in", "to", "on", "with", "&", "a", "an", "at", "by"})
_GLOSSARY_LINE = re.compile(r"^[ \t\-•■*]*([A-Z][A-Za-z&]{1,9})[ \t]*(?:[-–—:=]|\t)[ \t]*([A-Za-z][^\n]{2,90}?)[ \t]*$",
                            re.M)
_PAREN = re.compile(r"\(([A-Z][A-Za-z&]{1,9})\)")


def _initials(words: list[str]) -> str:
    return "".join(w[0].upper() for w in words if w.lower() not in _STOPWORDS and w[:1].isalnum())


def _words(phrase: str) -> list[str]:
    return [w for w in re.split(r"[\s\-/]+", phrase.translate(_NORMALISE)) if w]


def _abbr_letters(abbr: str) -> str:
    return "".join(c for c in abbr if c.isupper())


def _fits(abbr: str, expansion: str) -> bool:
    """The abbreviation's capitals are the initials of the expansion's content words, in order."""
    letters, initials = _abbr_letters(abbr), _initials(_words(expansion))
    if len(letters) < 2 or not initials or letters[0] != initials[0]:
        return False
    it = iter(initials)
    return all(c in it for c in letters) and len(initials) - len(letters) <= 1


def learn_glossary(text: str) -> dict[str, str]:
    """Abbreviation -> expansion from glossary lines ("CRC – Community Rehabilitation Company",
    "MASH: multi-agency safeguarding hub") and from "name (ABBR)" in running text.

    Conservative: an entry is kept only when the abbreviation's capitals are the initials
    of the expansion's words; glossary lines win over parentheses.
    """
    text = text.translate(_NORMALISE)
    found: dict[str, str] = {}
    for m in _PAREN.finditer(text):
        abbr, letters = m.group(1), _abbr_letters(m.group(1))
        if len(letters) < 2:
            continue
        before = re.findall(r"[A-Za-z][\w'&]*(?:-[\w']+)*", text[max(0, m.start() - 200):m.start()])
        for n in range(1, min(len(before), len(letters) + 4) + 1):
            cand = before[-n:]
            if cand[0].lower() in _STOPWORDS:
                continue
            if _initials(_words(" ".join(cand))) == letters:
                found.setdefault(abbr, " ".join(cand))
                break
    for m in _GLOSSARY_LINE.finditer(text):
        abbr, expansion = m.group(1), m.group(2).strip().rstrip(".;,")
        if _fits(abbr, expansion):
            found[abbr] = expansion
    return found


def theme_broader(theme_id: str) -> tuple[str, ...]:
    """The broader themes of a theme (SKOS broader)."""
    return _themes()[theme_id].broader


def warm_up() -> None:
    """Load the reference data and build the matchers now (before forking workers)."""
    tag_themes("")
    tag_agencies("", None)
    find_areas("")
