"""Evaluative language: is a sentence a judgement, which way does it point, and why.

Cue lists are plain data; `judge` returns the cues it used so that every
polarity (and later every follow-up status) can be explained.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

POSITIVE = [
    r"good", r"very good", r"strong(?:ly)?", r"strength(?:s|ened)?", r"effective(?:ly)?", r"robust(?:ly)?",
    r"timely", r"well[- ](?:\w+)", r"clear(?:ly)?", r"appropriate(?:ly)?", r"comprehensive(?:ly)?",
    r"thorough(?:ly)?", r"positive(?:ly)?", r"improved", r"improvements?", r"improving", r"excellent",
    r"outstanding", r"exemplary", r"proactive(?:ly)?", r"skilled", r"skilful(?:ly)?", r"skilfully", r"creative(?:ly)?",
    r"confident(?:ly)?", r"consistent(?:ly)?", r"sound", r"purposeful(?:ly)?", r"high[- ]quality", r"child[- ]cent(?:red|ered)",
    r"detailed", r"benefits? from", r"impressive", r"valuable", r"successful(?:ly)?", r"swift(?:ly)?",
    r"prompt(?:ly)?", r"sensitive(?:ly)?", r"committed", r"ambitious", r"accurate(?:ly)?", r"insightful",
    r"helpful", r"supportive", r"responsive", r"tenacious(?:ly)?", r"diligent(?:ly)?", r"embedded", r"stable",
    r"secure[sd]?", r"increased", r"better", r"progress", r"mature", r"rigorous(?:ly)?", r"culture of",
    r"is a strength", r"are a strength", r"significant strength", r"positive development", r"well established",
    r"ensures?", r"enables?", r"helps?", r"safe", r"reduc(?:ed|ing) (?:risk|harm)", r"thoughtful(?:ly)?",
    r"meaningful", r"careful(?:ly)?", r"knowledgeable", r"determined", r"decisive(?:ly)?", r"focused",
]
NEGATIVE = [
    r"weak(?:ness|nesses|er)?", r"poor(?:ly)?", r"inadequate(?:ly)?", r"ineffective(?:ly)?", r"insufficient(?:ly)?",
    r"inconsistent(?:ly)?", r"variable", r"variability", r"lack(?:s|ing|ed)?", r"limited", r"underdeveloped",
    r"unclear", r"gaps?", r"concerns?", r"concerning", r"fail(?:s|ed|ing|ure|ures)?", r"delays?", r"delayed", r"drift",
    r"too (?:slow|long|many|few|early|late|variable|much|often|narrow|focused|reliant|high|low)", r"slow", r"backlogs?",
    r"over-reliance", r"overreliance", r"absence of", r"absent", r"missed", r"shortfalls?", r"deficits?",
    r"problems?", r"problematic", r"unable", r"declined?", r"deteriorat\w+", r"worse", r"overdue", r"rarely",
    r"uneven", r"patchy", r"lapsed?", r"wait(?:s|ing)? too long", r"waiting lists?", r"high caseloads?",
    r"not always", r"not consistently", r"not sufficiently", r"not yet", r"yet to", r"not routinely",
    r"not fully", r"not effective", r"not well", r"not been", r"has not", r"have not", r"had not", r"does not",
    r"do not", r"did not", r"is not", r"are not", r"was not", r"were not", r"cannot", r"no (?:evidence|clear|formal|system)",
    r"more work is needed", r"further work is (?:needed|required)", r"needs? to (?:improve|be improved|be strengthened)",
    r"requires? improvement", r"room for improvement", r"too soon", r"remains? (?:a concern|weak|inconsistent|variable|poor|limited)",
    r"(?:is|are) still", r"continues? to be (?:a concern|weak|inconsistent|variable|poor|limited)", r"not all",
    r"few", r"infrequent(?:ly)?", r"ineffectual", r"superficial", r"unsafe", r"at risk of harm", r"vacanc(?:y|ies)",
    r"turnover", r"high numbers? of agency", r"without", r"neither", r"nor",
    r"minimal", r"disproportionate", r"misunderst\w+", r"confus\w+", r"unaware", r"unnecessary", r"unnecessarily",
    r"hampers?", r"hinders?", r"undermines?", r"struggl\w+", r"difficult(?:y|ies)",
]
_NEGATORS = r"(?:not|never|no|insufficiently|less|neither|nor|without|lack of|not always|not consistently|not sufficiently|not yet)"
_POS = re.compile(r"\b(" + "|".join(POSITIVE) + r")\b", re.I)
_NEG = re.compile(r"\b(" + "|".join(NEGATIVE) + r")\b", re.I)
_NEGATED = re.compile(rf"\b{_NEGATORS}\s+(?:\w+\s+){{0,2}}$", re.I)
_CONCESSIVE = re.compile(r"^(although|while|whilst|despite|notwithstanding|even though|though)\b[^,;]{3,}[,;]\s*", re.I)
_BUT = re.compile(r"[,;]\s*(?:but|however|although|yet)\b,?\s*", re.I)
_METHOD = re.compile(
    r"^(inspectors?|this (?:letter|report|visit|inspection|joint inspection)|the (?:jtai|visit|inspection) (?:also )?(?:included|focused|considered|evaluated)|"
    r"during (?:the|this) (?:visit|inspection)|in this inspection|we (?:looked|considered|evaluated|met|spoke)|"
    r"a range of evidence|between \d|on \d|the inspectors?|ofsted|this group of children|it is (?:also )?(?:important|worth))",
    re.I,
)
STRONG_POSITIVE = re.compile(
    r"\b(ha(?:s|ve) (?:significantly |considerably |substantially )?improved|(?:significant|substantive|considerable|tangible|notable|marked) improvements?|"
    r"is now|are now|now (?:receive|have|has|benefit)|ha(?:s|ve) been (?:addressed|resolved|strengthened|embedded)|"
    r"is a (?:significant )?strength|no longer)\b", re.I)
HEDGES = re.compile(
    r"\b(not always|not consistently|not yet|yet to|too soon|too early|more work is needed|further work|still (?:to|needs?|requires?)|"
    r"has yet to be (?:fully )?addressed|remains? (?:a concern|an area)|some|most|mostly|generally|beginning to|begun to|"
    r"early (?:stages?|signs)|in the process of|work is (?:under way|underway|ongoing)|continues? to)\b", re.I)


@dataclass
class Judgement:
    positive: float = 0.0
    negative: float = 0.0
    cues: list[str] = field(default_factory=list)

    @property
    def evaluative(self) -> bool:
        return self.positive + self.negative >= 1

    @property
    def polarity(self) -> str | None:
        if not self.evaluative:
            return None
        return "strength" if self.positive > self.negative else "weakness"


def _score(text: str, weight: float, j: Judgement) -> None:
    neg_spans = []
    for m in _NEG.finditer(text):
        j.negative += weight
        j.cues.append(f"-{m.group(0).lower()}")
        neg_spans.append((m.start(), m.end()))
    for m in _POS.finditer(text):
        if any(a <= m.start() < b for a, b in neg_spans):
            continue
        if _NEGATED.search(text[max(0, m.start() - 40):m.start()]):
            continue  # "not effective": the negator already counted
        j.positive += weight
        j.cues.append(f"+{m.group(0).lower()}")


def judge(sentence: str) -> Judgement:
    """Polarity cues of a sentence; "Although X, Y" and "X, but Y" are judged mainly by Y."""
    j = Judgement()
    text = sentence.strip()
    m = _CONCESSIVE.match(text)
    if m:
        _score(text[:m.end()], 0.3, j)
        _score(text[m.end():], 1.0, j)
        return j
    m = _BUT.search(text)
    if m and m.start() > 15:
        _score(text[:m.start()], 0.5, j)
        _score(text[m.end():], 1.2, j)
        return j
    _score(text, 1.0, j)
    return j


def is_method(sentence: str) -> bool:
    """Descriptive or methodological sentences ("Inspectors considered…")."""
    return bool(_METHOD.match(sentence.strip().lstrip("•").strip()))
