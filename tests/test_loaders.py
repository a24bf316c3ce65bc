"""Reading every format, repairing text without losing offsets, segmenting, and document metadata."""
from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_pdf
from kg.errors import LoadError
from loaders.clean import clean
from loaders.dates import find_range
from loaders.metadata import describe
from loaders.read import read
from loaders.segment import segment, sentences


def test_pdf_text_and_pages(tmp_path):
    p = tmp_path / "letter.pdf"
    p.write_bytes(make_pdf(["Dear colleague\nThe front door is effective.", "Children are seen quickly."]))
    raw = read(p)
    assert raw.media == "pdf" and raw.pages == 2
    at = raw.text.index("Children")
    assert raw.page_of(at) == 2 and raw.page_of(0) == 1


def test_docx_paragraphs_and_tables(tmp_path):
    from docx import Document

    d = Document()
    d.add_paragraph("Written statement of action")
    d.add_paragraph("Strategy meetings are now held promptly.", style="List Bullet")
    t = d.add_table(rows=1, cols=2)
    t.rows[0].cells[0].text, t.rows[0].cells[1].text = "Action", "Done"
    p = tmp_path / "plan.docx"
    d.save(p)
    raw = read(p)
    assert "• Strategy meetings are now held promptly." in raw.text
    assert "Action | Done" in raw.text


def test_html_drops_scripts_and_marks_list_items(tmp_path):
    p = tmp_path / "page.html"
    p.write_text("<html><head><script>alert(1)</script></head><body><nav>menu</nav><main><h1>Report</h1>"
                 "<ul><li>Plans are clear.</li></ul></main></body></html>")
    raw = read(p)
    assert "alert" not in raw.text and "menu" not in raw.text
    assert "• Plans are clear." in raw.text


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", "utf-8-sig"])
def test_text_encodings(tmp_path, encoding):
    p = tmp_path / "t.txt"
    p.write_bytes("Children’s social care — café".encode(encoding) if encoding != "cp1252"
                  else "Children's social care – café".encode(encoding))
    assert "social care" in read(p).text and "café" in read(p).text


@pytest.mark.parametrize("name,data,reason", [
    ("empty.txt", b"", "empty"),
    ("page.pdf", b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML page"),
    ("noise.txt", bytes(range(256)) * 40, "binary"),
    ("cut.pdf", make_pdf(["Some text here."])[:150], "PDF"),
])
def test_bad_inputs_name_the_reason(tmp_path, name, data, reason):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(LoadError) as exc:
        read(p)
    assert exc.value.file == name and reason.lower() in exc.value.reason.lower()


def test_encrypted_pdf(tmp_path):
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    w.append(PdfReader(io.BytesIO(make_pdf(["Secret findings."]))))
    w.encrypt("hunter2")
    p = tmp_path / "locked.pdf"
    with open(p, "wb") as fh:
        w.write(fh)
    with pytest.raises(LoadError, match="encrypted"):
        read(p)


def test_clean_repairs_and_maps_back():
    text = ("Inspection of Testshire\f"
            "The response to neglect is too\n\n¹ A footnote.\n\nvariable in some teams.\n"
            "Inspection of Testshire\n2\f"
            "■ Plans are clear.\n\uf06e Visits are timely.\n◼ Managers are visible and support-\nive of staff; supportive managers.\n"
            "Inspection of Testshire\n3\f"
            "End.")
    c = clean(text)
    assert "too variable in some teams." in c.text
    assert "footnote" not in c.text and "\n2\n" not in c.text
    assert "• Plans are clear." in c.text and "• Visits are timely." in c.text
    assert "supportive of staff" in c.text
    i = c.text.index("variable")
    a, b = c.to_original(i, i + len("variable"))
    assert text[a:b] == "variable"


def test_a_contact_block_at_a_page_foot_does_not_cut_the_sentence_it_interrupts():
    """Letters print the sender's address, telephone, e-mail and web address at the foot of the
    first page; a sentence running on to page 2 must come back whole, without them. A page
    whose last line is running text that names an e-mail address keeps that line."""
    text = ("Dear Ms Smith\n\nInspectors found sound practice in the front door and\n"
            "Inspectorate House\nHigh Street\nLeeds\nLS1 4AB\n\nT 0300 000 0000\nTextphone 0161 000 0000\n"
            "enquiries@inspectorate.example\nwww.example.gov.uk/inspectorate\n\n\f\n2\n\n"
            "assessment service. Leaders are visible.\n"
            "Families can ask for help by writing to the team at help@council.example, which replies the same day\n"
            "\f3\nand within a week. Plans are clear.\n")
    cleaned = clean(text).text
    assert "sound practice in the front door and assessment service. Leaders are visible." in cleaned
    assert not any(w in cleaned for w in ("Inspectorate House", "High Street", "Leeds", "LS1", "0300", "Textphone", "www."))
    assert "help@council.example, which replies the same day and within a week." in cleaned


def test_a_word_broken_at_a_line_end_hyphen_keeps_it_unless_the_document_spells_it_whole():
    text = ("Most care-\nexperienced young people have a personal adviser who is well-\nbeing focused.\n"
            "Their wellbeing is good and plans are outcome-\nfocused.\n")
    cleaned = clean(text).text
    assert "Most care-experienced young people" in cleaned
    assert "who is wellbeing focused." in cleaned  # "wellbeing" is how this document spells it
    assert "outcome-focused." in cleaned
    i = cleaned.index("care-experienced")
    a, b = clean(text).to_original(i, i + len("care-experienced"))
    assert text[a:b] == "care-\nexperienced"


def test_a_number_that_ends_a_line_s_sentence_is_not_a_paragraph_number():
    """"… when they turn / 21. A significant number …" (Knowsley 2025): a line opening with a number
    below the paragraphs already numbered, after a sentence left unfinished, is that sentence's age
    or key stage; the next paragraph's number, a list starting at 1, or a finished sentence before
    still open a paragraph."""
    filler = "The experiences and progress of care leavers have been evaluated by inspectors here."
    text = (f"{filler}\n40. Since the inspection, support has deteriorated, and it is now inadequate. There\n"
            f"are serious failures in keeping in touch with young people when they turn\n"
            f"21. A significant number of young people have been closed to the service too early.\n"
            f"41. Leaders know this, and the plans they have made for the service are not yet\n"
            f"42. Personal advisers visit young people regularly and know them well, which they value.\n"
            f"This local authority requires improvement to be good and is not yet good because\n"
            f"1. Too many children wait too long for an assessment of their needs by a social worker.\n")
    paragraphs = clean(text).text.split("\n")
    assert "when they turn 21. A significant number" in paragraphs[1]
    assert [p.split(".")[0] for p in paragraphs[2:]] == ["41", "42", "1"]
    assert paragraphs[3].endswith("is not yet good because")


def test_a_heading_before_a_numbered_paragraph_stays_a_heading():
    """Reports of the older framework put a section heading straight above paragraph "117." (on
    the same line as its text, or alone): the heading must not run into the paragraph, or the
    section before it (the board's recommendations) goes on over the board's findings."""
    filler = "The board has set out a business plan for the year that identifies key priorities."  # 82 wide
    for number in ("117. ", "117.\n\n"):
        text = (f"{filler}\n{filler}\n{filler}\n{filler}\n\nRecommendations\n116. Ensure that training is evaluated for its impact.\n\n"
                f"Inspection findings – the Local Safeguarding Children Board\n{number}Governance arrangements "
                f"between the board and the local authority are effective\nand help the board to carry out "
                f"its statutory responsibilities, and the share of adoptions\nwithin a year rose from 63% in "
                f"2015–16 to 68% in 2016–17 and then to 70% in 2016–\n17. The figure for 2017–18 to date is 73%.\n")
        cleaned = clean(text).text
        units = segment(cleaned)
        assert [u.section for u in units if u.kind == "heading"] == [
            "Recommendations", "Inspection findings – the Local Safeguarding Children Board"], number
        last = units[-1]  # a line broken off after a dash carries on: "17." is no paragraph number
        assert last.section.startswith("Inspection findings") and cleaned[last.start:last.end].startswith(
            "Governance") and cleaned[last.start:last.end].endswith("is 73%.")


def test_a_judgement_heading_after_a_list_ends_the_list():
    """ILACS reports put the first judgement heading straight under the "What needs to improve?" list;
    the heading (as long as a line of text) must not join the last item, or the whole judgement's
    findings are read as things to improve. A paragraph that merely begins like a heading is none."""
    line = "Children and their families receive a very strong early help offer in this area, well"
    text = (f"{line}\nsupported by family hubs.\n\nWhat needs to improve?\n"
            "◼ The uptake of return home interviews and how the information from these\n"
            "informs actions to mitigate risks. (Outcome three)\n"
            "◼ The workloads of personal advisers in the Next Steps service. (Enabler two)\n"
            "The experiences and progress of children who need help and protection:\noutstanding\n1.\n\n"
            f"{line}\nsupported by family hubs. The impact of leaders is strong. Leaders know their services well.\n\n"
            "The impact of the pandemic on children with disabilities has meant that more children have\n"
            "come into care. These decisions are appropriate and well made by managers.\n")
    cleaned = clean(text).text
    units = segment(cleaned)
    assert [u.section for u in units if u.kind == "heading"] == [
        "What needs to improve?", "The experiences and progress of children who need help and protection: outstanding"]
    assert [u.section for u in units if u.kind == "bullet"] == ["What needs to improve?"] * 2
    assert units[-1].kind == "paragraph" and cleaned[units[-1].start:units[-1].end].startswith("The impact of the")


def test_a_bullet_on_a_line_of_its_own_starts_the_item_below_it():
    """PDF-to-text tools often put a list's bullet on its own line, a blank line above its item
    (72 of the 807 national texts). The item is a list item of the section; the bullet is neither
    a heading nor glued to the line before ("Immediately:  ensure all elected members …")."""
    text = ("What needs to improve in this area of social work practice\n\n\uf0a7\n\n"
            "Management oversight is not consistent or sufficiently robust.\n\n◼\n\n"
            "The 0–25 team does not respond effectively\nenough to referrals.\n\nImmediately:\n\uf0a7\n\n"
            "ensure all elected members understand their corporate\nparenting duties.\n")
    c = clean(text)
    units = segment(c.text)
    items = [c.text[u.start:u.end] for u in units if u.kind == "bullet"]
    assert items == ["• Management oversight is not consistent or sufficiently robust.",
                     "• The 0–25 team does not respond effectively enough to referrals.",
                     "• ensure all elected members understand their corporate parenting duties."]
    assert [u.section for u in units if u.kind == "bullet"] == [
        "What needs to improve in this area of social work practice"] * 2 + ["Immediately"]
    bullet = c.text.index("• The 0–25")
    assert text[c.offsets[bullet]] == "◼"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "The MASH is effective.", "Children¹ wait too long", "• Plans are clear.", "- Strategy meetings are timely.",
    "\uf06e Health visitors attend.", "\n", "\n\n", "\f", "Page 3", "2", "well-", "being is good.", "Key strengths",
    "  indented text  ", "◼ Backlog of 200 cases.", "café — “quoted”", "\uf0a7", " ◼ ",
]), min_size=1, max_size=40))
def test_every_clean_span_maps_back_to_its_quote(parts):
    text = "\n".join(parts)
    c = clean(text)
    assert len(c.offsets) == len(c.text) + 1
    for unit in segment(c.text):
        for s, e in unit.sentences or [(unit.start, unit.end)]:
            a, b = c.to_original(s, e)
            assert 0 <= a <= b <= len(text)
            for k in range(s, e):
                ch = c.text[k]
                if ch not in " •\n":
                    assert text[c.offsets[k]] == ch


def test_sentences_keep_abbreviations_together():
    t = "Partners, e.g. the police, attend. Dr. Smith chairs it. The MASH is effective."
    got = [t[a:b] for a, b in sentences(t)]
    assert got == ["Partners, e.g. the police, attend.", "Dr. Smith chairs it.", "The MASH is effective."]


def test_numbered_paragraphs_and_headings():
    t = "What needs to improve?\n\n• The response to neglect.\n\n12.\n\nAssessments are timely.\n\n8.2 a. Plans are clear."
    units = segment(t)
    assert units[0].kind == "heading" and units[1].kind == "bullet"
    assert units[2].number == "12" and units[2].section.startswith("What needs")
    assert units[3].number == "8.2 a"


@pytest.mark.parametrize("text,expected", [
    ("Between 4 and 8 December 2017, Ofsted undertook", ("2017-12-04", "2017-12-08")),
    ("Inspection dates: 7 to 18 November 2022", ("2022-11-07", "2022-11-18")),
    ("Between 16 May and 20 May 2016, Ofsted", ("2016-05-16", "2016-05-20")),
    ("from 28 November to 2 December 2016", ("2016-11-28", "2016-12-02")),
    ("12 December 2016 – 5 January 2017", ("2016-12-12", "2017-01-05")),
])
def test_date_ranges(text, expected):
    assert find_range(text) == expected


@pytest.mark.parametrize("text,expected", [
    (  # inspectors each followed by their title
        "Ofsted\nPiccadilly Gate\n\n3 March 2021\n\nJo Bloggs\nDirector of Children's Services\nLeeds City Council\n\n"
        "Dear Jo\n\nFocused visit to Leeds City Council children's services\n\n"
        "This letter summarises the findings of the focused visit to Leeds children's services on 2 and 3 "
        "February 2021. Inspectors were Ann Example, Her Majesty's Inspector, and Bo Sample, Her Majesty's Inspector.\n",
        {"kind": "focused_visit", "area": "leeds", "published": "2021-03-03", "inspection_start": "2021-02-02",
         "inspection_end": "2021-02-03", "inspectors": ["Ann Example", "Bo Sample"]}),
    (  # "Inspectors for this visit were A\nB and C": a name wrapped across lines
        "Ofsted\n\n20 March 2025\n\nDear Ms Bloggs\nFocused visit to Anyshire children's services\n"
        "This letter summarises the findings of the focused visit to Anyshire children's services\n"
        "on 18 and 19 February 2025. His Majesty's Inspectors for this visit were Sophie\n"
        "Wales and Margaret Burke.\nInspectors looked at the front door.\n",
        {"kind": "focused_visit", "framework": "ILACS", "inspectors": ["Sophie Wales", "Margaret Burke"]}),
])
def test_metadata_of_focused_visit_letters(text, expected):
    d = describe(clean(text).text)
    assert {k: getattr(d, k) for k in expected} == expected


ILACS_HEAD = """Inspection of Anyshire local authority
children's services
Inspection dates: 2 to 13 March 2020
Lead inspector: Jo Bloggs
Her Majesty's Inspector
Judgement

Grade

The impact of leaders on social work
practice with children and families

Good

The experiences and progress of children who need help and
protection

Requires improvement to
be good

The experiences and progress of children in care and care
leavers

Good

Overall effectiveness

Good

Services have improved since the last inspection, when the overall effectiveness judgement
was 'inadequate'. Care
leavers are very well supported and they achieve good outcomes as adults.
"""


def test_grades_of_a_report_whose_judgement_names_wrap():
    d = describe(clean(ILACS_HEAD).text)
    # names and grades across line breaks; the joint judgement is in_care alone; neither the last
    # inspection's grade nor "good outcomes" in the narrative is a grade
    assert d.grades == {"leaders": "good", "help_protection": "requires improvement", "in_care": "good",
                        "overall": "good"}
    assert d.inspectors == ["Jo Bloggs"]


def test_grades_of_an_older_framework_report():
    text = ("Anyshire County Council\nInspection of services for children in need of help and\n"
            "protection, children looked after and care leavers\nand\n"
            "Review of the effectiveness of the Local Safeguarding Children\nBoard1\n"
            "Inspection date: 6 July 2015 – 30 July 2015\nReport published: 19 October 2015\n"
            "Children's services in Anyshire require improvement to\nbe good\n"
            "1. Children who need help and protection\n\nInadequate\n\n"
            "2. Children looked after and achieving\npermanence\n\nRequires improvement\n\n"
            "2.1 Adoption performance\n\nGood\n\n2.2 Experiences and progress of care leavers\n\nNot Judged\n\n"
            "3. Leadership, management and governance\n\nRequires improvement\n\n" +
            "Social workers know their children well and visit them regularly, and managers oversee the\n" * 90 +
            "The Local Safeguarding Children Board (LSCB)\n\nThe Local Safeguarding Children Board is good\n"
            "Team inspectors: Al Smale, Tara Geere, Fiona\nParker and Ed Jones (Contracted Inspector)\n")
    d = describe(clean(text).text)
    assert d.framework == "SIF"
    assert d.grades == {"overall": "requires improvement", "help_protection": "inadequate",
                        "in_care": "requires improvement", "adoption": "good", "care_leavers": "not judged",
                        "leaders": "requires improvement", "lscb": "good"}
    assert d.inspectors == ["Al Smale", "Tara Geere", "Fiona Parker", "Ed Jones"]


def test_sample_documents_are_recognised(samples):
    corpus, _ = samples
    got = {d.file[:3]: (d.kind, d.area, d.published) for d in corpus.documents}
    assert got == {
        "000": ("jtai_letter", "haringey", "2018-01-30"),
        "001": ("news", "haringey", "2018-01-30"),
        "002": ("annual_report", "haringey", "2020-02-10"),
        "003": ("jtai_letter", "croydon", "2016-06-29"),
        "004": ("focused_visit", "haringey", "2020-01-21"),
    }
    jtai = next(d for d in corpus.documents if d.file.startswith("000"))
    assert jtai.inspection.deadline == "2018-05-11"
    assert jtai.inspection.deep_dive == "neglect"
    assert set(jtai.inspection.inspectorates) == {"ofsted", "cqc", "hmicfrs", "hmi-probation"}
    roles = {a.role for a in jtai.addressees}
    assert len(jtai.addressees) >= 8 and "Geraldine Gavin" in {a.name for a in jtai.addressees}
    assert roles
