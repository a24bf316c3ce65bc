"""Follow-up links, statuses (now and as of a date), recurrences and reviews, on the sample corpus."""
from __future__ import annotations

from dataclasses import replace

import pytest

from kg import link, pg, review
from kg.models import Assessment, Corpus, Span, Statement


def _st(id, doc, kind, text, date, polarity=None, themes=("front-door",), agencies=("haringey/mash",)):
    return Statement(id, doc, kind, polarity, "", text, Span(0, len(text), text), "haringey", date,
                     list(agencies), [], list(themes))


def tiny() -> Corpus:
    c = Corpus()
    c.statements = [
        _st("w1", "d1", "finding", "Strategy discussions in the MASH do not include health practitioners.", "2018-01-30", "weakness",
            ["strategy-discussions"]),
        _st("w2", "d1", "finding", "There is a backlog of police checks in the MASH.", "2018-01-30", "weakness", ["police-backlog"]),
        _st("w3", "d1", "finding", "Counselling waiting times for children are too long.", "2018-01-30", "weakness", ["mental-health"]),
        _st("e1", "d2", "evidence", "Strategy discussions in the MASH now include health practitioners and have improved.",
            "2020-01-21", "strength", ["strategy-discussions"]),
        _st("e2", "d2", "evidence", "The backlog of police checks in the MASH remains a concern and is still not cleared.",
            "2020-01-21", "weakness", ["police-backlog"]),
    ]
    c.followups, c.recurrences = link.link(c)
    c.assessments = link.assess(c)
    return c


def test_status_follows_the_evidence():
    c = tiny()
    now = link.current(c.assessments)
    assert now["w1"].status == "addressed" and "improved" in now["w1"].explanation
    assert now["w2"].status == "persists"
    assert now["w3"].status == "no_evidence"
    assert {f.evidence for f in c.followups if f.finding == "w1"} == {"e1"}


def test_status_as_of_a_date():
    c = tiny()
    before = link.current(c.assessments, as_of="2019-01-01")
    assert before["w1"].status == "no_evidence" and before["w2"].status == "no_evidence"
    assert "w1" not in link.current(c.assessments, as_of="2017-12-31")


def test_mixed_evidence_is_progress_never_addressed():
    c = tiny()
    c.statements.append(_st("e3", "d2", "evidence", "Strategy discussions in the MASH do not always include health practitioners.",
                            "2020-01-21", "weakness", ["strategy-discussions"]))
    c.followups, _ = link.link(c)
    c.assessments = link.assess(c)
    assert link.current(c.assessments)["w1"].status == "progress"


def test_hedged_improvement_is_not_addressed():
    c = tiny()
    c.statements[3] = replace(c.statements[3], text="Strategy discussions in the MASH are beginning to include health practitioners.")
    c.followups, _ = link.link(c)
    c.assessments = link.assess(c)
    assert link.current(c.assessments)["w1"].status == "progress"


def test_reviews_override_and_unknown_ids_are_reported(tmp_path):
    c = tiny()
    path = tmp_path / "reviews.jsonl"
    fu = next(f for f in c.followups if f.finding == "w1")
    review.record(path, review.Decision(fu.id, "reject", "A Reviewer", "not the same meetings"))
    review.record(path, review.Decision("w3", "status", "A Reviewer", "seen in the 2020 action plan", "progress"))
    review.record(path, review.Decision("st-gone", "status", "A Reviewer", "old", "addressed"))
    decisions = review.load(path)
    c.followups, unknown = review.apply_to_links(c.followups, decisions)
    c.assessments = link.assess(c)
    c.assessments, unknown2 = review.apply_to_status(c, decisions)
    now = link.current(c.assessments)
    assert now["w1"].status == "no_evidence"  # its only link was rejected
    assert now["w3"].status == "progress" and now["w3"].set_by == "person"
    assert unknown == [] and len(unknown2) == 1 and "st-gone" in unknown2[0]


def test_a_correction_the_same_day_is_the_reviewers_word_everywhere(tmp_path):
    """Two status decisions on one finding the same day: the later one is a correction and counts, in
    the tracker's rule (kg.link.current) and in the property graph."""
    c = tiny()
    path = tmp_path / "reviews.jsonl"
    review.record(path, review.Decision("w2", "status", "A Reviewer", "backlog still there", "persists", date="2021-03-01"))
    review.record(path, review.Decision("w2", "status", "A Reviewer", "cleared: see the March audit", "addressed",
                                        date="2021-03-01"))
    c.assessments, _ = review.apply_to_status(c, review.load(path))
    assert link.current(c.assessments)["w2"].status == "addressed"
    nodes, _ = pg.to_property_graph(c)
    assert next(n for n in nodes if n.props["id"] == "w2").props["status"] == "addressed"
    assert link.current(c.assessments, as_of="2021-03-01")["w2"].status == "addressed"


def test_a_tie_never_reads_as_addressed_and_a_persons_word_wins():
    a = Assessment("f", "addressed", 0.9, "", "2020-01-01")
    b = Assessment("f", "progress", 0.5, "", "2020-01-01")
    assert link.current([a, b])["f"].status == link.current([b, a])["f"].status == "progress"
    person = Assessment("f", "persists", 1.0, "", "2019-01-01", set_by="person")
    assert link.current([a, b, person])["f"] is person
    assert link.current([a, b, person], as_of="2020-06-30")["f"].status == "progress"  # the latest as of a date
    assert link.current([]) == {}


def test_samples_haringey_findings_get_later_evidence(samples):
    corpus, _ = samples
    jtai = next(d for d in corpus.documents if d.file.startswith("000"))
    targets = [s for s in corpus.statements if s.doc == jtai.id and link.is_target(s)]
    linked = {f.finding for f in corpus.followups}
    assert sum(t.id in linked for t in targets) >= len(targets) // 3
    docs = {d.id: d for d in corpus.documents}
    stmts = {s.id: s for s in corpus.statements}
    for f in corpus.followups:
        assert stmts[f.evidence].date > stmts[f.finding].date
        assert docs[stmts[f.evidence].doc].area == docs[stmts[f.finding].doc].area


def test_croydon_findings_have_no_evidence_from_haringey(samples):
    corpus, _ = samples
    croydon = {s.id for s in corpus.statements if s.area == "croydon"}
    assert not any(f.finding in croydon for f in corpus.followups)


def test_recurring_weakness_across_areas(samples):
    """Croydon 2016 and Haringey 2018 both had a backlog of police checks in the MASH."""
    corpus, _ = samples
    stmts = {s.id: s for s in corpus.statements}
    pairs = [(stmts[r.a], stmts[r.b]) for r in corpus.recurrences]
    assert any(a.area == "croydon" and b.area == "haringey" and "backlog" in a.text and "backlog" in b.text
               for a, b in pairs)


@pytest.mark.parametrize("threshold,weights", [(link.RECURRENCE_THRESHOLD, link.Weights()),
                                               (0.3, link.Weights()), (0.2, link.Weights(text=0.5, theme=0.5)),
                                               (0.25, link.Weights(text=0.9, theme=0.1))])
def test_recurrences_are_those_found_without_dropping_the_least_similar_pairs_first(samples, monkeypatch,
                                                                                      threshold, weights):
    """`recur` drops the pairs whose text similarity is below `_least_text` before scoring them;
    it finds exactly the recurrences it finds when it keeps every pair down to MIN_TEXT."""
    corpus, _ = samples
    found = link.recur(corpus, threshold, weights=weights)
    monkeypatch.setattr(link, "_least_text", lambda *a: link.MIN_TEXT)
    every = link.recur(corpus, threshold, weights=weights)
    assert found == every and len(every) > 10


def test_linking_ignores_english_and_domain_stop_words():
    assert len(link._STOPWORDS) > 300 and {"the", "however", "'s", "children", "services"} <= link._STOPWORDS
    assert not {"#", "english"} & link._STOPWORDS  # the file's header is not read as words


def test_an_areas_links_come_from_the_cache_while_its_inputs_are_unchanged(samples, tmp_path):
    import pickle

    corpus, _ = samples
    fresh, _ = link.link(corpus, recurrences=False)
    assert link.link(corpus, recurrences=False, cache=tmp_path)[0] == fresh
    kept = sorted((tmp_path / "links").iterdir())
    areas = {s.area for s in corpus.statements if s.area and s.date}
    assert len(kept) == len(areas) >= 2
    # what is in the cache is what comes back: links altered there show in the next result
    stmts = {s.id: s for s in corpus.statements}
    haringey = stmts[next(f.evidence for f in fresh if stmts[f.evidence].area == "haringey")]
    for f in kept:
        links, assessed = pickle.loads(f.read_bytes())
        if any(x.evidence == haringey.id for x in links):
            f.write_bytes(pickle.dumps(([replace(x, score=0.123) for x in links], assessed)))
    served, _ = link.link(corpus, recurrences=False, cache=tmp_path)
    assert {x.score for x in served} & {0.123} and len(served) == len(fresh)
    # one Haringey statement says something else: Haringey alone is linked again, as from scratch
    changed = replace(corpus, statements=[replace(s, text=s.text + " This has improved.") if s is haringey else s
                                          for s in corpus.statements])
    relinked, _ = link.link(changed, recurrences=False, cache=tmp_path)
    assert relinked == link.link(changed, recurrences=False)[0]
    assert len(set((tmp_path / "links").iterdir()) - set(kept)) == 1


def test_an_areas_assessments_come_from_the_cache_with_its_links_and_reviewed_findings_are_judged_again(
        samples, tmp_path, monkeypatch):
    """A build whose links come from the cache takes their assessments from there too, but judges
    again a finding whose links were reviewed: the statuses equal those judged from scratch."""
    from kg import review
    from kg.pipeline import link_and_assess

    corpus, _ = samples
    base = lambda: replace(corpus, followups=[], recurrences=[], assessments=[], errors=[])
    link_and_assess(base(), cache=tmp_path)  # fills the cache
    fresh = link_and_assess(base())
    status = link.current(fresh.assessments)
    target = next(t for t, a in sorted(status.items()) if a.status == "progress")
    reviews = tmp_path / "reviews.jsonl"
    for f in fresh.followups:
        if f.finding == target:
            review.record(reviews, review.Decision(f.id, "reject", "A Scrutineer", note="not about this"))
    judged = []
    made = link._assessments
    monkeypatch.setattr(link, "_assessments", lambda *a, **k: judged.extend(out := made(*a, **k)) or out)
    cached = link_and_assess(base(), reviews, cache=tmp_path)
    assert set(judged) == {target} and link.current(cached.assessments)[target].status == "no_evidence"
    judged.clear()
    assert cached.assessments == link_and_assess(base(), reviews).assessments and len(set(judged)) > 50
    unreviewed = link_and_assess(base(), cache=tmp_path)
    assert unreviewed.assessments == fresh.assessments and status[target].status == "progress"
