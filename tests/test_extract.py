"""Findings, recommendations, actions, evidence, statistics and references from real sample text."""
from __future__ import annotations

import pytest

from loaders.cues import judge
from loaders.extract import _statistic


def _find(corpus, fragment):
    hits = [s for s in corpus.statements if fragment in s.text]
    assert hits, f"no statement contains {fragment!r}"
    return hits[0]


def test_although_is_judged_by_the_main_clause():
    assert judge("Although some good practice is evident, this is often due to individuals rather than "
                 "sound practice underpinned by robust oversight.").polarity == "weakness"
    assert judge("Although demand is high, decisions in the MASH are timely and effective.").polarity == "strength"
    assert judge("Strategy discussions are not always held when they should be.").polarity == "weakness"
    assert judge("The relationship, engagement and support of schools are a strength.").polarity == "strength"


@pytest.mark.parametrize("sentence,polarity", [
    # a negated positive is a weakness even when the negator is no cue of its own
    ("Management oversight of this work is less well developed.", "weakness"),
    ("Decisions are never timely.", "weakness"),
    # harm done, and records that cannot be relied on
    ("This has had a detrimental impact on the consistency of practice.", "weakness"),
    ("Changes of worker have impacted negatively on the quality of planning.", "weakness"),
    # harm denied is no shortfall
    ("Changes in the senior leadership team have not had a negative impact on the quality of practice.", "strength"),
    ("Strong practice ensures that this does not negatively impact on planning for children.", "strength"),
    ("These reforms have not been adversely impacted by the challenges of the pandemic.", "strength"),
    ("Management information about missing children is unreliable.", "weakness"),
    ("Several pathway plans were out of date.", "weakness"),
    # a shortfall said to be absent is praise; "not enough" is a shortfall whose clause it covers
    ("Referrals are progressed with no unnecessary delay.", "strength"),
    ("The adoption support service has no waiting list.", "strength"),
    ("There are no widespread or serious failures that leave children being harmed.", "strength"),  # "no A or B"
    ("Plans for these children are not timely or effective.", "weakness"),  # "not A or B" negates both
    ("There is an absence of effective scrutiny to support improvement.", "weakness"),  # as "a lack of"
    ("High workloads for personal advisers continue to impact on the quality of help.", "weakness"),
    ("Not enough care leavers are in education, employment or training.", "weakness"),
    ("Not enough attention is paid to making sure there is no delay for children.", "weakness"),
    ("There is no evidence of planning for these children.", "weakness"),
    ("As such, there was little evidence that this was routinely considered.", "weakness"),
    ("Plans are well developed, but as yet there is little evidence of impact.", "weakness"),
    # "no A and B": two shortfalls, not an absent one
    ("The learning from complaints is limited, with no analysis and little evidence of focused efforts.", "weakness"),
    ("Assessments are overly optimistic about parents' capacity to change.", "weakness"),
    # a shortfall reduced is progress ("… and delay": both reduced), but not across a turn
    ("Meetings and interventions are timely, thereby significantly reducing drift and delay for children.", "strength"),
    ("There has also been a reduction in staff turnover.", "strength"),
    ("Actions leaders have taken have reduced the very high caseloads seen at the last inspection.", "strength"),
    ("The waiting times have reduced but more needs to be done to meet the needs of care leavers.", "weakness"),
    ("Leaders have not reduced delays for children.", "weakness"),
    # what limits, hinders or impedes the work is a shortfall; "limits" as a noun and "life-limiting" are not
    ("High turnover of staff in some teams limits opportunities for children to build relationships.", "weakness"),
    ("The lengthy discussions about the future of services created uncertainty and impeded progress.", "weakness"),
    ("In a small number of cases, this has hindered the progress of plans.", "weakness"),
    ("Governance arrangements are effective and extend beyond the City limits.", "strength"),
    ("Children with life-limiting conditions receive timely and effective support.", "strength"),
    # … and so is one minimised, avoided or prevented
    ("Children's profiles are advertised nationally during care proceedings, minimising delay.", "strength"),
    ("Careful monitoring of children subject to pre-proceedings prevents any drift and delay.", "strength"),
    ("Tracking systems are effective in avoiding drift and delay.", "strength"),
    ("Oversight has not prevented drift for some children.", "weakness"),
    # "too X (for Y) to Z": Z is what does not happen, not a strength
    ("Caseloads remain too high for social workers to do effective, purposeful work.", "weakness"),
    # an aim ("before … can deliver good services") is no finding about the present
    ("There is more to do before the partnership can deliver consistently good help.", "weakness"),
    ("Leaders were quick to act, and plans are now clear and timely.", "strength"),
    # what could or would be better is not so yet
    ("However, danger statements could be used more effectively to articulate concerns.", "weakness"),
    ("Pathway plans reflect care leavers' histories, but would be strengthened if actions were clearer.", "weakness"),
    ("Leaders are aware of the need to make more effective use of data in the front door.", "weakness"),
    ("For a small number of staff, supervision could be strengthened with a greater degree of reflection.", "weakness"),
    ("Recording of discussions with concerned professionals could be further improved.", "weakness"),
    # … but how or where it could be improved is the subject of the work, not a shortfall found
    ("Leaders know where practice is strong and areas where it could be further improved.", "strength"),
    # "However, despite/while X, Y" is judged by Y, as "Despite X, Y" is
    ("However, despite increased capacity and improved managerial oversight, a small number of children "
     "experience delay.", "weakness"),
    ("However, whilst it is too early to judge these initiatives, plans are now clear and timely.", "strength"),
    # an opening "However" turns against the sentence before: it tips a close call, not a clear one
    ("However, the quality of these placements varies.", "weakness"),
    ("However, positive matches for brothers and sisters to stay together are evident.", "strength"),
    # plain words of praise and shortfall
    ("Leaders know the service well.", "strength"),  # "well" closing a clause
    ("Child protection conferences and core groups work well.", "strength"),
    ("Children are seen alone by their social workers as well.", None),  # "as well" is "also"
    ("Plans are written well, but actions are not always progressed.", "weakness"),  # too weak to outweigh
    ("Foster carers spoke highly of the support they receive.", "strength"),
    ("Staff feel listened to and valued.", "strength"),
    ("Although these children receive support, such arrangements are unsuitable.", "weakness"),
    ("Care leavers in unsuitable accommodation are visited every week.", None),  # a category, no verdict
    # a bare "but" before a verb phrase turns the sentence as ", but" does
    ("Quality assurance processes have been strengthened but have yet to lead to consistent improvements.", "weakness"),
    ("The timeliness of conferences has fluctuated but is moving on a positive trajectory.", "strength"),
    # praise words in the rest of a negating cue's clause describe what is missing
    ("Effective action has not been taken to ensure timely assessments.", "weakness"),
    ("Plans for babies who will not be able to live safely at home are progressed appropriately.", "strength"),
    ("Some assessments are taking many weeks, with the rationale not being clear.", "weakness"),
])
def test_polarity_of_a_sentence(sentence, polarity):
    assert judge(sentence).polarity == polarity


def _main_findings(tmp_path, *lines):
    """A focused-visit letter whose main findings are `lines`: (document, {first word: (kind, polarity)})."""
    from loaders.extract import load
    from loaders.read import read

    letter = tmp_path / "letter.txt"
    letter.write_text(
        "Focused visit to Knowsley children’s services\n\n"
        "This letter summarises the findings of the focused visit to Knowsley children’s services on 11 and "
        "12 October 2022.\n\nMain findings\n\n" + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    doc, statements = load(read(letter))
    return doc, {s.text.split()[0]: (s.kind, s.polarity) for s in statements}


def test_more_needs_to_be_done_observes_a_shortfall_and_asks_nothing(tmp_path):
    """"More needs to be done" and "the need to …" report a weakness; "should"/"needs to" ask."""
    _, found = _main_findings(
        tmp_path,
        "While positive progress has been made, more needs to be done to strengthen practice.",
        "Leaders are aware of the need to make more effective use of performance data.",
        "Managers recognise the need to strengthen audit practice.",
        "The local authority needs to improve the timeliness of assessments.")
    assert found == {"While": ("finding", "weakness"), "Leaders": ("finding", "weakness"),
                     "Managers": ("finding", "weakness"), "The": ("recommendation", None)}


def test_what_someone_needs_asks_nothing(tmp_path):
    """"The help they need to …" and "know that they need to do more" say what is needed or missing;
    a sentence or clause that opens "They need to …" still asks."""
    _, found = _main_findings(
        tmp_path,
        "Too many young people do not get the support they need to return to education.",
        "Managers know that they need to do more to reduce caseloads.",
        "They need to make sure that plans are reviewed on time.",
        "When a plan changes, they need to tell the family.")
    assert found == {"Too": ("finding", "weakness"), "Managers": ("finding", "weakness"),
                     "They": ("recommendation", None), "When": ("recommendation", None)}


def test_span_is_the_exact_original_text(samples):
    corpus, texts = samples
    for s in corpus.statements:
        assert texts[s.doc][s.span.start:s.span.end] == s.span.quote


def test_jtai_findings_have_polarity_agencies_and_themes(samples):
    corpus, _ = samples
    s = _find(corpus, "A backlog of approximately 200 cases is awaiting a full risk assessment by the police")
    assert (s.kind, s.polarity) == ("finding", "weakness")
    assert "metropolitan-police-service" in s.agencies
    assert "police-backlog" in s.themes
    s = _find(corpus, "The relationship, engagement and support of schools are a strength in Haringey")
    assert (s.kind, s.polarity) == ("finding", "strength")
    assert s.section == "Dear **local partnership**" or s.section


def test_recommendation_with_due_date(samples):
    corpus, _ = samples
    jtai = next(d for d in corpus.documents if d.file.startswith("000"))
    s = next(s for s in corpus.statements if s.doc == jtai.id and "should send the written statement" in s.text)
    assert s.kind == "recommendation" and s.due == "2018-05-11"


def test_focused_visit_what_needs_to_improve_items_are_recommendations(samples):
    corpus, _ = samples
    fv = next(d for d in corpus.documents if d.kind == "focused_visit")
    recs = [s for s in corpus.statements if s.doc == fv.id and s.kind == "recommendation"]
    assert len(recs) >= 3


def test_annual_report_actions_evidence_and_statistics(samples):
    corpus, _ = samples
    ar = next(d for d in corpus.documents if d.kind == "annual_report")
    kinds = {s.kind for s in corpus.statements if s.doc == ar.id}
    assert {"action", "evidence", "statistic"} <= kinds
    s = _find(corpus, "94% of assessments were completed within 45 working days")
    assert s.kind == "statistic" and (s.statistic.value, s.statistic.previous, s.statistic.direction) == (94.0, 90.0, "up")


def test_statistic_comparisons():
    assert _statistic("Re-referrals fell to 18%, down from 23% last year.").direction == "down"
    assert _statistic("63% of residents compared to 58% in London.").direction is None
    assert _statistic("No numbers here.") is None


def test_reference_to_an_earlier_inspection(samples):
    corpus, _ = samples
    refs = [r for d in corpus.documents for r in d.references]
    assert any(r.kind == "jtai_letter" for r in refs)


def test_ids_are_stable_across_runs(samples):
    from kg.pipeline import extract_corpus

    corpus, _ = samples
    again, _ = extract_corpus(None, workers=2)
    assert [s.id for s in corpus.statements] == [s.id for s in again.statements]
    assert [d.id for d in corpus.documents] == [d.id for d in again.documents]
    assert sorted(f.id for f in corpus.followups) == sorted(f.id for f in again.followups)


def test_a_modal_inside_a_comparison_is_no_recommendation(tmp_path):
    """"Not as timely as they should be" reports a shortfall; "should" alone asks for something."""
    doc, found = _main_findings(
        tmp_path,
        "Initial health assessments for children in care are not as timely as they should be.",
        "Some families have waited longer than they should for the right help from early help services.",
        "Caseloads for social workers in the assessment teams are higher than they need to be.",
        "Leaders should improve the quality of management oversight of children’s plans.")
    assert doc.kind == "focused_visit"
    assert found == {"Initial": ("finding", "weakness"), "Some": ("finding", "weakness"),
                     "Caseloads": ("finding", "weakness"), "Leaders": ("recommendation", None)}


@pytest.mark.parametrize("line,junk", [
    ("Inspection findings – the Local Safeguarding Children Board 35 Information about this inspection 39", True),
    ("Recommendations 7 Summary for children and young people 9", True),
    ("However, targets for 2016–17 are unlikely to be achieved, and the number of these carers fell from 88 at "
     "31 March 2016 to 75 at 31 August 2016.", False),
    ("Ensure that all 12 children seen in May 2016 have an up-to-date plan", False),
])
def test_a_contents_line_is_no_statement(line, junk):
    from loaders.extract import _is_table_junk

    assert _is_table_junk(line) is junk


def test_a_directive_is_a_recommendation_wherever_it_is_listed(tmp_path):
    """The older framework lists recommendations under "Areas for improvement" as bare directives;
    a word that also opens a description ("Review of planning …") does not make one."""
    from loaders.extract import load
    from loaders.read import read

    report = tmp_path / "report.txt"
    report.write_text(
        "Inspection of services for children in need of help and protection, children looked after and care leavers\n\n"
        "Inspection date: 29 April 2014 to 22 May 2014\n\nAreas for improvement\n\n"
        "28. Ensure that sufficient checks are undertaken before any unplanned removal of children from their families.\n"
        "29. Improve the quality of referrals to children’s social care by partner agencies.\n"
        "30. Review the arrangements for return home interviews so that every child is offered one.\n\n"
        "Quality of practice\n\n"
        "31. Review of planning is well embedded in practice, and plans are clear and effective.\n", encoding="utf-8")
    _, statements = load(read(report))
    found = {" ".join(s.text.split()[:2]): (s.kind, s.polarity) for s in statements}
    expected = {"Ensure that": ("recommendation", None), "Improve the": ("recommendation", None),
                "Review the": ("recommendation", None), "Review of": ("finding", "strength")}
    assert {k: found.get(k) for k in expected} == expected


def test_a_list_item_is_a_recommendation_and_what_explains_it_is_judged(tmp_path):
    """A focused-visit letter's "What needs to improve" items run on for several sentences: the
    first names what must improve, a sentence that asks for more carries it on, and the rest
    explain it, judged like any finding. ILACS items end with their national-framework tag."""
    from loaders.extract import load
    from loaders.read import read

    letter = tmp_path / "letter.txt"
    letter.write_text(
        "Focused visit to Luton children’s services\n\nThis letter summarises the findings of the focused visit "
        "to Luton children’s services on 5 and 6 June 2018.\n\n"
        "What needs to improve in this area of social work practice\n"
        "• Case recording is too variable. Where case summaries are up to date, they are clear and of good "
        "quality. However, key documents are not being uploaded quickly enough. This should include the "
        "child’s own views.\n"
        "• The timeliness of decisions for children whose plans are not progressing. (Outcome 3, national framework)\n",
        encoding="utf-8")
    _, statements = load(read(letter))
    found = {" ".join(s.text.split()[:3]): (s.kind, s.polarity) for s in statements}
    assert found == {"Case recording is": ("recommendation", None),
                     "Where case summaries": ("finding", "strength"),
                     "However, key documents": ("finding", "weakness"),
                     "This should include": ("recommendation", None),
                     "The timeliness of": ("recommendation", None)}


def test_grade_definitions_and_the_back_page_are_not_statements(tmp_path):
    """Older reports end with "What the inspection judgements mean" (each grade defined, under
    sub-headings for the local authority and the board), the inspection's quality assurance
    manager, and Ofsted's back page, which follows the last section with no heading of its own."""
    from loaders.extract import load
    from loaders.read import read

    body = ("Inspection of services for children in need of help and protection, children looked after and care leavers\n\n"
            "Inspection date: 29 April 2014 to 22 May 2014\n\nLeadership, management and governance\n\n"
            "Managers have significantly improved the quality of supervision.\n\n")
    tail = ("What the inspection judgements mean\n\nThe local authority\n\n"
            "A good local authority leads effective services that help, protect and care for children.\n"
            "In a local authority that requires improvement, there are no widespread or serious failures that leave "
            "children being harmed.\n\nThe LSCB\n\n"
            "An LSCB that is good coordinates the activity of statutory partners well.\n"
            "Multi-agency training in the protection and care of children is effective and evaluated regularly.\n\n"
            "Quality assurance manager: Paul Armitage\n\n"
            "Any complaints about the inspection or the report should be made following the procedures set out.\n\n"
            "The Office for Standards in Education, Children’s Services and Skills (Ofsted) regulates and inspects to "
            "achieve excellence in the care of children. It regulates and inspects childcare and children’s social "
            "care effectively.\n")
    report = tmp_path / "report.txt"
    report.write_text(body + tail, encoding="utf-8")
    _, statements = load(read(report))
    assert [s.text for s in statements] == ["Managers have significantly improved the quality of supervision."]


@pytest.mark.parametrize("line, heading", [
    ("What does the LSCB need to improve?", True),
    ("The experiences and progress of children looked after and achieving permanence", True),
    ("Progress since the last inspection", True),
    ("The experiences and progress of children who need help and protection", True),
    ("Children who need help are seen quickly", False),
    ("The Local Safeguarding Children Board is good", False),  # a judgement with no full stop
    ("Improve the arrangements to reduce the risk to children of sexual exploitation by:", False),
    ("Too many questions allow a tick-box approach, and auditors are not asking ‘is it the right plan?", False),
])
def test_a_heading_taken_for_text_is_no_statement(line, heading):
    from loaders.extract import _is_heading_line
    from loaders.segment import Unit

    assert _is_heading_line(line, Unit("paragraph", 0, len(line), "Summary")) is heading


def test_an_abbreviation_the_document_defines_names_its_agency(tmp_path):
    from loaders.extract import load
    from loaders.read import read

    letter = tmp_path / "letter.txt"
    letter.write_text(
        "Focused visit to Haringey children’s services\n\nThis letter summarises the findings of the focused visit "
        "to Haringey children’s services on 5 and 6 June 2019. The Haringey Safeguarding Children Partnership "
        "(HSCP) oversees multi-agency training.\n\nMain findings\n\n"
        "The HSCP has not yet evaluated the impact of its training on practice.\n", encoding="utf-8")
    _, statements = load(read(letter))
    found = next(s for s in statements if s.text.startswith("The HSCP"))
    assert found.agencies == ["haringey/safeguarding-children-partnership"]


@pytest.mark.parametrize("sentence, method", [
    ("The lead inspector and the director of children’s services agreed arrangements to deliver this visit.", True),
    ("It is Ofsted’s expectation that, as a minimum, all children and young people receive good help.", True),
    ("The areas for improvement have been cross-referenced with the outcomes in the National Framework.", True),
    ("It would be very helpful if you can share an early draft of the action plan with us.", True),
    ("Her Majesty’s Chief Inspector of Education, Children’s Services and Skills is leading Ofsted’s work.", True),
    ("However, the delivery model was adapted to reflect the COVID-19 context.", True),
    ("However, inspectors also used video calls for discussions with local authority staff.", True),
    ("However, this inspection found serious weaknesses in the provision of services to children in need.", False),
    ("The lead professional role is not well understood by partners.", False),
    ("Any complaints about the service are now answered within 20 days.", False),
])
def test_how_the_visit_was_run_is_no_finding(sentence, method):
    from loaders.cues import is_method

    assert is_method(sentence) is method
