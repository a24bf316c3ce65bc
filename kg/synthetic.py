"""A deterministic, fake but valid corpus of any size, for tests and benchmarks.

Every kind of record and link appears: several areas, agencies with a hierarchy and a
succession chain (LSCB → partnership → renamed partnership), themes with broader concepts,
documents of several kinds and dates, findings and recommendations (with due dates),
actions, evidence and statistics, follow-ups of every relation (some reviewed, some
rejected), assessment histories (some set by a person), recurrences and references
resolved and unresolved.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from kg.ids import digest, stable_id
from kg.models import (Addressee, Agency, Assessment, Corpus, Document, FollowUp, Inspection,
                       Recurrence, Reference, Span, Statement, Statistic, Theme)

AREAS = {"haringey": "London Borough of Haringey", "croydon": "London Borough of Croydon",
         "leeds": "Leeds City Council", "kent": "Kent County Council", "york": "City of York",
         "bristol": "Bristol City Council"}
THEMES = (("front-door", "Front door / MASH", ()), ("police-backlog", "Police backlog", ("front-door",)),
          ("strategy-discussions", "Strategy discussions", ()), ("neglect", "Neglect", ()),
          ("early-help", "Early help", ()), ("information-sharing", "Information sharing", ()),
          ("supervision-oversight", "Supervision and oversight", ()), ("workforce", "Workforce", ()),
          ("caseloads", "Caseloads", ("workforce",)), ("voice-of-child", "Voice of the child", ()),
          ("cse", "Child sexual exploitation", ("exploitation",)), ("exploitation", "Exploitation", ()),
          ("missing-children", "Missing children", ()), ("health-recording", "Health recording", ()))
LATER_KINDS = ("action_plan", "monitoring_visit", "annual_report", "news")
WORDS = ("the", "partnership", "children", "police", "health", "social", "workers", "strategy",
         "meetings", "are", "not", "always", "timely", "referrals", "checks", "backlog", "MASH",
         "thresholds", "assessments", "oversight", "managers", "records", "visits", "plans")


def _agencies() -> list[Agency]:
    out = [Agency("ofsted", "Ofsted", "inspectorate", "inspectorate"),
           Agency("cqc", "Care Quality Commission", "inspectorate", "inspectorate"),
           Agency("hmicfrs", "HMICFRS", "inspectorate", "inspectorate"),
           Agency("met-police", "Metropolitan Police Service", "police-force", "police"),
           Agency("met-police/cait", "Child Abuse Investigation Team", "unit", "police",
                  parent="met-police", aliases=("CAIT",))]
    for area, label in AREAS.items():
        out += [
            Agency(f"{area}/council", label, "local-authority", "local-authority", area),
            Agency(f"{area}/csc", f"{label} children's social care", "service", "children-social-care",
                   area, parent=f"{area}/council"),
            Agency(f"{area}/mash", f"{label} MASH", "unit", "mash", area, parent=f"{area}/council",
                   aliases=("MASH", "front door")),
            Agency(f"{area}/ccg", f"{area.title()} CCG", "nhs-body", "health-commissioner", area,
                   succeeded_by=f"{area}/icb", succession_date="2022-07-01"),
            Agency(f"{area}/icb", f"{area.title()} ICB", "nhs-body", "health-commissioner", area),
            Agency(f"{area}/lscb", f"{area.title()} LSCB", "partnership", "partnership", area,
                   succeeded_by=f"{area}/scp", succession_date="2019-09-29", aliases=("the LSCB",)),
            Agency(f"{area}/scp", f"{area.title()} Safeguarding Children Partnership", "partnership",
                   "partnership", area, succeeded_by=f"{area}/sp", succession_date="2023-04-01"),
            Agency(f"{area}/sp", f"{area.title()} Safeguarding Partnership", "partnership", "partnership", area),
        ]
    return out


def _day(d: date) -> str:
    return d.isoformat()


class _Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.c = Corpus(areas=dict(AREAS), agencies=_agencies(),
                        themes=[Theme(i, label, b) for i, label, b in THEMES])
        self.offsets: dict[str, int] = {}
        self.statements: dict[str, Statement] = {}

    def text(self, n: int) -> str:
        return " ".join(self.r.choice(WORDS) for _ in range(n)).capitalize() + "."

    def document(self, kind: str, area: str | None, when: date, **kw) -> Document:
        sha = digest(kind, area or "", _day(when), str(len(self.c.documents)))
        d = Document(id=f"doc-{sha[:16]}", file=f"{area or 'unknown'}-{kind}-{_day(when)}.pdf", sha256=sha, kind=kind,
                     title=f"{kind.replace('_', ' ').title()}: {AREAS.get(area, 'unknown area')}, {when:%B %Y}",
                     area=area,
                     published=_day(when), pages=self.r.randint(4, 40), **kw)
        self.c.documents.append(d)
        self.offsets[d.id] = 0
        return d

    def span(self, doc: Document, quote: str) -> Span:
        start = self.offsets[doc.id] + self.r.randint(1, 40)
        self.offsets[doc.id] = start + len(quote)
        return Span(start, start + len(quote), quote, page=1 + start // 3000,
                    prefix="…", suffix="" if self.r.random() < 0.3 else "…")

    def statement(self, doc: Document, kind: str, polarity: str | None, agencies: list[str],
                  themes: list[str], **kw) -> Statement:
        quote = self.text(self.r.randint(8, 20))
        s = Statement(id=stable_id("st", doc.sha256, kind, quote, str(len(self.c.statements))), doc=doc.id,
                      kind=kind, polarity=polarity, section=self.r.choice(("Key findings", "Areas for improvement",
                                                                            "Progress", "Summary")),
                      text=quote, span=self.span(doc, quote), area=doc.area, date=doc.published,
                      agencies=agencies, themes=themes, **kw)
        self.c.statements.append(s)
        self.statements[s.id] = s
        return s

    def area_agencies(self, area: str, when: date) -> list[str]:
        partnership = f"{area}/lscb" if when < date(2019, 9, 29) else f"{area}/scp"
        pool = [f"{area}/csc", f"{area}/mash", f"{area}/ccg", partnership, "met-police", "met-police/cait"]
        return sorted(self.r.sample(pool, self.r.randint(1, 2)))


def generate(n_findings: int, seed: int = 0) -> Corpus:
    """A corpus with `n_findings` findings and recommendations; the same arguments give the same corpus."""
    g = _Gen(seed)
    r = g.r
    theme_ids = [t[0] for t in THEMES]
    areas = list(AREAS)
    per_doc = 20
    n_docs = max(1, -(-n_findings // per_doc))
    made = 0
    weaknesses: list[Statement] = []
    for k in range(n_docs):
        area = areas[k % len(areas)]
        when = date(2015, 1, 5) + timedelta(days=(k * 97 + r.randint(0, 60)) % 2600)
        kind = ("jtai_letter", "focused_visit", "inspection_report")[k % 3]
        insp = Inspection(id=f"in-{digest(area, str(k))[:16]}", kind=kind, area=area,
                          start=_day(when - timedelta(days=14)), end=_day(when - timedelta(days=10)),
                          framework="JTAI 2016" if kind == "jtai_letter" else "ILACS",
                          deep_dive=r.choice(theme_ids), inspectorates=["ofsted", "cqc", "hmicfrs"][: 1 + k % 3],
                          inspectors=[f"Inspector {k}"], grades={"overall": "requires improvement"} if k % 3 == 2 else {},
                          deadline=_day(when + timedelta(days=70)))
        doc = g.document(kind, area, when, inspection=insp,
                         addressees=[Addressee("A. Director", "Director of Children's Services",
                                               AREAS[area], f"{area}/council")])
        unresolved = Reference(id=stable_id("ref", doc.id, "earlier"), kind="jtai", date=_day(when - timedelta(days=900)),
                               area=area, span=g.span(doc, "the inspection in an earlier year"))
        doc.references.append(unresolved)
        later = [g.document(LATER_KINDS[(k + j) % 4], area, when + timedelta(days=120 * (j + 1) + r.randint(0, 30)))
                 for j in range(r.randint(1, 3))]
        for ld in later:
            ld.references.append(Reference(id=stable_id("ref", ld.id, doc.id), kind=kind, date=doc.published,
                                           area=area, span=g.span(ld, "since the last inspection"), resolved=doc.id))
        count = min(per_doc, n_findings - made)
        for i in range(count):
            made += 1
            roll = r.random()
            themes = sorted(r.sample(theme_ids, r.randint(1, 2)))
            agencies = g.area_agencies(area, when)
            if roll < 0.25:
                f = g.statement(doc, "recommendation", None, agencies, themes,
                                due=_day(when + timedelta(days=r.randint(60, 400))))
            elif roll < 0.35:
                f = g.statement(doc, "finding", "strength", agencies, themes)
            else:
                f = g.statement(doc, "finding", "weakness", agencies, themes)
                weaknesses.append(f)
            _follow(g, f, later)
        if k % 5 == 0:
            g.statement(doc, "finding", "strength", g.area_agencies(area, when), [r.choice(theme_ids)],
                        refers_to=unresolved.id)
    nowhere = g.document("focused_visit", None, date(2020, 3, 2))  # its area could not be told
    for kind, polarity in (("finding", "weakness"), ("recommendation", None)):
        g.statement(nowhere, kind, polarity, ["met-police"], [theme_ids[0]])
    _recurrences(g, weaknesses)
    return g.c


def _follow(g: _Gen, f: Statement, later: list[Document]) -> None:
    r = g.r
    history: list[tuple[str, str, float, str | None]] = [(f.date or "", "no_evidence", 0.5, None)]
    seen: set[str] = set()
    relations: list[str] = []
    for ld in later:
        if r.random() < 0.35:
            continue
        kind = "action" if ld.kind == "action_plan" else ("statistic" if r.random() < 0.2 else "evidence")
        polarity = None if kind == "action" else r.choice(("strength", "weakness"))
        stat = Statistic(round(r.uniform(40, 99), 1), "%", round(r.uniform(40, 99), 1), r.choice(("up", "down"))) \
            if kind == "statistic" else None
        e = g.statement(ld, kind, polarity, f.agencies, f.themes, statistic=stat)
        relation = ("supports" if polarity == "strength" or kind == "action" and r.random() < 0.6
                    else "contradicts" if polarity == "weakness" else "mentions")
        if r.random() < 0.1:
            relation = "mentions"
        reviewed = None
        roll = r.random()
        if roll < 0.07:
            reviewed = "rejected"
        elif roll < 0.15:
            reviewed = "confirmed"
        fu = FollowUp(id=stable_id("fu", f.id, e.id), finding=f.id, evidence=e.id, relation=relation,
                      score=round(r.uniform(0.3, 1.0), 3), method=r.choice(("lexical", "embedding")),
                      cues=[r.choice(WORDS)], reviewed=reviewed,
                      reviewer="reviewer@example.org" if reviewed else None,
                      note="not the same matter" if reviewed == "rejected" else None)
        g.c.followups.append(fu)
        if reviewed == "rejected" or ld.published in seen:
            continue
        seen.add(ld.published or "")
        relations.append(relation)
        status = ("persists" if relations[-1] == "contradicts"
                  else "progress" if "contradicts" in relations or relation == "mentions"
                  else "addressed" if fu.score > 0.75 and kind != "action" else "progress")
        history.append((ld.published or "", status, fu.score, e.id))
    for as_of, status, conf, last in history:
        g.c.assessments.append(Assessment(f.id, status, round(conf, 3), f"{status} from {len(relations)} follow-ups",
                                          as_of=as_of, last_evidence=last))
    if r.random() < 0.04:
        g.c.assessments.append(Assessment(f.id, r.choice(("addressed", "persists")), 1.0, "set by reviewer",
                                          as_of=history[-1][0], set_by="person"))


def _recurrences(g: _Gen, weaknesses: list[Statement]) -> None:
    r = g.r
    by_theme: dict[str, list[Statement]] = {}
    for w in weaknesses:
        by_theme.setdefault(w.themes[0], []).append(w)
    for theme, items in sorted(by_theme.items()):
        for a, b in zip(items, items[1:]):
            if a.area != b.area and r.random() < 0.3:
                g.c.recurrences.append(Recurrence(stable_id("rc", a.id, b.id), a.id, b.id,
                                                  round(r.uniform(0.5, 0.95), 3), [theme]))
