"""Tests for kg.resolve over the real reference data in ontology/*.ttl."""
from __future__ import annotations

import re
from importlib.resources import files

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SKOS

from kg import resolve as r


def ids(mentions: list[r.Mention]) -> list[str]:
    return [m.agency_id for m in mentions]


# ------------------------------------------------------------ reference data

@pytest.mark.parametrize("name", ["themes.ttl", "areas.ttl", "agencies.ttl"])
def test_turtle_parses(name: str) -> None:
    g = Graph().parse(data=files("ontology").joinpath(name).read_text(encoding="utf-8"), format="turtle")
    assert len(g) > 100


def test_theme_ids_are_exactly_the_fixed_vocabulary() -> None:
    vocab = files("ontology").joinpath("VOCAB_IDS.md").read_text(encoding="utf-8")
    block = vocab.split("## Theme ids")[1].split("##")[0].split("\n", 1)[1]
    fixed = set(re.findall(r"[a-z][a-z-]+", block))
    assert set(r.themes()) == fixed
    g = Graph().parse(data=files("ontology").joinpath("themes.ttl").read_text(encoding="utf-8"), format="turtle")
    for concept in g.subjects(RDF.type, SKOS.Concept):
        assert g.value(concept, SKOS.definition) is not None
        assert len(list(g.objects(concept, SKOS.altLabel))) >= 2


def test_theme_hierarchy_and_labels() -> None:
    assert r.theme_label("front-door") == "Front door"
    assert r._themes()["cse"].broader == ("exploitation",)
    with pytest.raises(KeyError):
        r.theme_label("no-such-theme")


def test_areas_and_forces() -> None:
    all_areas = r.areas()
    former = {"cumbria", "northamptonshire", "bournemouth", "poole"}
    assert len(set(all_areas) - former) == 153
    assert all_areas["bournemouth-christchurch-and-poole"] == "Bournemouth, Christchurch and Poole"
    forces = {r.police_force(a) for a in all_areas}
    assert len(forces) == 39
    for force in forces:
        assert r.agency(force).role == "police"
    assert r.police_force("haringey") == "metropolitan-police-service"
    assert r.police_force("city-of-london") == "city-of-london-police"
    assert r.police_force("york") == "north-yorkshire-police"
    assert r.police_force("westmorland-and-furness") == "cumbria-constabulary"
    with pytest.raises(r.UnknownIdError):
        r.police_force("atlantis")


# ------------------------------------------------------------ areas in text

def test_find_areas_longest_match() -> None:
    text = ("The London Borough of Croydon, South Gloucestershire, Bristol, North Yorkshire, York, "
            "Durham County Council and Bournemouth, Christchurch and Poole.")
    found = r.find_areas(text)
    assert [a for a, _, _ in found] == ["croydon", "south-gloucestershire", "bristol", "north-yorkshire", "york",
                                        "durham", "bournemouth-christchurch-and-poole"]
    a, s, e = found[0]
    assert text[s:e] == "London Borough of Croydon"


def test_find_areas_ignores_common_words() -> None:
    # single-word names match by case, so the verb is not the town (a sentence-initial "Reading" still is)
    assert r.find_areas("When reading the records, inspectors saw children bury their feelings.") == []
    assert r.find_areas("Services in Reading and Bury") == [("reading", 12, 19), ("bury", 24, 28)]
    assert [a for a, _, _ in r.find_areas("West Northamptonshire and Northamptonshire")] == \
        ["west-northamptonshire", "northamptonshire"]


# ------------------------------------------------------------ agencies

def test_the_police_resolves_to_the_area_force() -> None:
    text = "There is a strategy discussion between the police and children's social care."
    ms = r.tag_agencies(text, "haringey", "2018-01-30")
    assert ids(ms) == ["metropolitan-police-service", "haringey/children-social-care"]
    assert all(text[m.start:m.end] == m.text for m in ms)
    assert ids(r.tag_agencies(text, "kent")) == ["kent-police", "kent/children-social-care"]


def test_generic_aliases_need_an_area() -> None:
    assert ids(r.tag_agencies("the police and the LSCB met Ofsted", None)) == ["ofsted"]


def test_lscb_succession() -> None:
    lscb = r.agency("haringey/lscb")
    assert lscb.role == "partnership"
    assert lscb.succeeded_by == "haringey/safeguarding-children-partnership"
    assert lscb.succession_date == "2019-09-29"
    assert "Haringey LSCB" in lscb.aliases
    text = "The LSCB and the partnership agreed the plan."
    assert ids(r.tag_agencies(text, "haringey", "2018-06-01")) == ["haringey/lscb", "haringey/lscb"]
    # an explicit "LSCB" stays the LSCB; the neutral "the partnership" follows the succession
    assert ids(r.tag_agencies(text, "haringey", "2020-02-10")) == \
        ["haringey/lscb", "haringey/safeguarding-children-partnership"]


def test_ccg_to_icb_and_probation_unification() -> None:
    assert r.agency("croydon/ccg").succeeded_by == "croydon/icb"
    assert r.agency("croydon/ccg").succession_date == "2022-07-01"
    text = "Health commissioners and probation attended."
    assert ids(r.tag_agencies(text, "croydon", "2016-06-29")) == ["croydon/ccg", "national-probation-service"]
    assert ids(r.tag_agencies(text, "croydon", "2023-01-01")) == ["croydon/icb", "probation-service"]
    assert r.agency("community-rehabilitation-companies").succeeded_by == "probation-service"


def test_named_agencies_and_longest_match() -> None:
    text = ("Senior leaders in the Metropolitan Police Service (MPS), HMI Probation, Haringey CCG, "
            "the London Community Rehabilitation Company and the London Borough of Haringey.")
    assert ids(r.tag_agencies(text, "haringey", "2018-01-30")) == [
        "haringey/local-authority", "metropolitan-police-service", "metropolitan-police-service", "hmi-probation",
        "haringey/ccg", "london-crc", "haringey/local-authority"]
    # a named area in another area's document resolves to that area
    assert ids(r.tag_agencies("Croydon LSCB", "haringey")) == ["croydon/lscb"]


def test_police_sub_units() -> None:
    cait = r.agency("metropolitan-police-service/cait")
    assert cait.parent == "metropolitan-police-service"
    text = "A specialist police officer from the child abuse investigation team (CAIT) attended."
    assert ids(r.tag_agencies(text, "haringey")) == ["metropolitan-police-service"] + \
        ["metropolitan-police-service/cait"] * 2
    assert ids(r.tag_agencies(text, "kent")) == ["kent-police"] * 3


def test_agencies_for_area_is_deterministic() -> None:
    agencies = r.agencies_for_area("haringey")
    got = [a.id for a in agencies]
    assert got == sorted(got) == [a.id for a in r.agencies_for_area("haringey")]
    for expected in ("haringey/children-social-care", "haringey/lscb", "haringey/safeguarding-children-partnership",
                     "haringey/ccg", "haringey/icb", "haringey/mash", "metropolitan-police-service"):
        assert expected in got
    assert r.agency("haringey/children-social-care").label == "Haringey children's social care"
    assert r.agency("haringey/children-social-care").parent == "haringey/local-authority"
    with pytest.raises(r.UnknownIdError):
        r.agency("haringey/no-such-role")


def test_curly_apostrophes_and_line_breaks() -> None:
    text = "Children\u2019s social care and the\npolice"
    ms = r.tag_agencies(text, "haringey")
    assert ids(ms) == ["haringey/children-social-care", "metropolitan-police-service"]
    assert ms[1].text == "the\npolice"


def test_tokens_possessives_and_hyphens() -> None:
    # "'s" is one token: where two names overlap the one with more tokens wins, so counting
    # "children's" as three would let "Greenwich children's services" beat the council's name
    ms = r.tag_agencies("the Royal Borough of Greenwich children\u2019s services", "greenwich")
    assert ids(ms) == ["greenwich/local-authority", "greenwich/children-social-care"]
    assert [m.text for m in ms] == ["Royal Borough of Greenwich", "children\u2019s services"]
    # a hyphen is a token of its own, so a hyphenated word cut after its hyphen still matches
    assert "permanence" in r.tag_themes("some children in pre- proceedings")
    assert "permanence" in r.tag_themes("some children in pre-proceedings")


# ------------------------------------------------------------ glossary

GLOSSARY = """GLOSSARY

CRC \u2013 Community Rehabilitation Company

HSCP \u2013 Haringey Safeguarding Children Partnership

MASH: multi-agency safeguarding hub

NCL - North Central London (Haringey/Enfield/Barnet/Camden/Islington)

WT 2018 \u2013 Working Together To Safeguard Children 2018
"""


def test_learn_glossary() -> None:
    g = r.learn_glossary(GLOSSARY)
    assert g["CRC"] == "Community Rehabilitation Company"
    assert g["HSCP"] == "Haringey Safeguarding Children Partnership"
    assert g["MASH"] == "multi-agency safeguarding hub"
    assert "NCL" not in g and "WT" not in g
    g2 = r.learn_glossary("a specialist police officer from the child abuse investigation team (CAIT) is involved")
    assert g2 == {"CAIT": "child abuse investigation team"}


def test_extra_aliases_resolve_through_the_glossary() -> None:
    text = "The HSCP reviewed the MASH."
    assert ids(r.tag_agencies(text, "haringey", "2020-02-10")) == ["haringey/mash"]
    ms = r.tag_agencies(text, "haringey", "2020-02-10", extra_aliases=r.learn_glossary(GLOSSARY))
    assert ids(ms) == ["haringey/safeguarding-children-partnership", "haringey/mash"]
    assert ms[0].text == "HSCP"


# ------------------------------------------------------------ themes (sentences from the sample corpus)

@pytest.mark.parametrize("sentence, expected", [
    ("Health practitioners are not routinely invited to strategy discussions.", {"strategy-discussions"}),
    ("A backlog of approximately 200 cases is awaiting a full risk assessment by the police in the MASH due to "
     "issues of capacity.", {"police-backlog"}),
    ("Thresholds are not consistently understood and applied across all agencies.", {"thresholds"}),
    ("Pathways to early help are not well understood among agencies, which leads to low numbers of contacts, "
     "referrals and assessments that progress to early help support.", {"early-help"}),
    ("The voice of the child is not consistently evident in referrals.", {"voice-of-child"}),
    ("There is insufficient capacity in the school nursing service, which impacts negatively on the older "
     "children living with neglect.", {"school-nursing", "neglect", "workforce"}),
    ("Inspectors saw children living with neglect spending significant overnight periods in custody.",
     {"neglect", "custody"}),
    ("The risk of child sexual exploitation for children who go missing is well understood.",
     {"cse", "missing-children"}),
])
def test_tag_themes_on_sample_sentences(sentence: str, expected: set[str]) -> None:
    got = r.tag_themes(sentence)
    assert got == sorted(got)
    assert expected <= set(got), got


def test_tag_themes_precision() -> None:
    assert r.tag_themes("Ofsted is the Office for Standards in Education, Children's Services and Skills.") == []
    assert r.tag_themes("The plan was agreed at the meeting.") == []
    # longest phrase wins: CSE is not also tagged as the broader exploitation
    assert r.tag_themes("child sexual exploitation") == ["cse"]


def test_tagging_is_fast() -> None:
    import time

    sentences = ["The police and children's social care hold strategy discussions in the MASH."] * 2000
    r.tag_themes("warm up")
    r.tag_agencies("warm up", "haringey")
    t = time.perf_counter()
    for s in sentences:
        r.tag_themes(s)
        r.tag_agencies(s, "haringey", "2018-01-30")
    assert time.perf_counter() - t < 5
