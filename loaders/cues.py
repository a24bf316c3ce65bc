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
    r"outstanding", r"exemplary", r"proactive(?:ly)?", r"skilled", r"skilful(?:ly)?", r"creative(?:ly)?",
    r"confident(?:ly)?", r"consistent(?:ly)?", r"sound", r"purposeful(?:ly)?", r"high[- ]quality", r"child[- ]cent(?:red|ered)",
    r"benefits? from", r"impressive", r"valuable", r"successful(?:ly)?", r"swift(?:ly)?",
    r"prompt(?:ly)?", r"sensitive(?:ly)?", r"ambitious", r"accurate(?:ly)?", r"insightful",
    r"helpful", r"supportive", r"responsive", r"tenacious(?:ly)?", r"diligent(?:ly)?", r"mature", r"rigorous(?:ly)?",
    r"is a strength", r"are a strength", r"significant strength", r"positive development", r"well established",
    r"reduc(?:ed|ing) (?:risk|harm)", r"thoughtful(?:ly)?", r"meaningful", r"careful(?:ly)?", r"knowledgeable",
    r"decisive(?:ly)?", r"respectful(?:ly)?", r"routinely", r"quickly", r"pertinent", r"manageable", r"reflective",
    r"holistic", r"enthused", r"enjoy", r"understood", r"productive", r"relentless(?:ly)?", r"empathy", r"kindness",
    r"high morale", r"morale is high", r"palpable", r"actively", r"traction", r"warmly", r"proud", r"readiness",
    r"systematic(?:ally)?", r"sincere", r"genuine(?:ly)?",
    r"(?:highly )?valued", r"vigilant", r"alert to", r"visible", r"aspirational",
    r"influential", r"impressed", r"(?:speak|spoke|spoken|speaks) highly", r"high regard", r"highly (?:regarded|skilled|effective)",
    r"(?:took|take|takes|taken|taking) immediate action", r"tailored", r"adds? value",
]
WEAK_POSITIVE = [
    r"usually", r"planned", r"regular(?:ly)?", r"informed", r"proportionate", r"ensures?", r"enables?", r"helps?",
    r"safe", r"stable", r"increased", r"better", r"progress", r"culture of", r"focused", r"evident", r"evidenced",
    r"increasingly", r"in place", r"achieved", r"committed", r"determined", r"detailed", r"embedded", r"secure[sd]?",
    r"understand", r"sought", r"invested", r"oversee", r"endeavour", r"beginning to", r"begun to", r"starting to",
    # "Leaders know the service well", "conferences work well" (not "… as well", "safe and well"): enough to
    # make a sentence a finding, too little to outweigh a shortfall in it
    r"(?<!\bas )(?<!safe and )well(?=\s*[.,;:]|\s*$)",
]
NEGATIVE = [
    r"weak(?:ness|nesses|er)?", r"poor(?:ly)?", r"inadequate(?:ly)?", r"ineffective(?:ly)?", r"insufficient(?:ly)?",
    r"inconsistent(?:ly)?", r"variable", r"variability", r"lack(?:s|ing|ed)?", r"limited", r"underdeveloped",
    r"unclear", r"gaps?", r"concerning", r"would benefit from", r"fail(?:s|ed|ing|ure|ures)?", r"delays?", r"delayed", r"drift",
    r"too (?:slow|long|many|few|early|late|variable|much|often|narrow|focused|reliant|high|low)", r"slow", r"backlogs?",
    r"over-reliance", r"overreliance", r"absence of", r"absent", r"missed", r"shortfalls?", r"deficits?",
    r"problems?", r"problematic", r"unable", r"declined?", r"deteriorat\w+", r"worse", r"overdue", r"rarely",
    r"uneven", r"patchy", r"lapsed?", r"wait(?:s|ing)? too long", r"waiting lists?", r"high (?:caseloads?|workloads?)",
    r"not always", r"not consistently", r"not sufficiently", r"not enough", r"not yet", r"yet to", r"not routinely",
    r"not fully", r"not effective", r"not well", r"not been", r"has not", r"have not", r"had not", r"does not",
    r"do not", r"did not", r"is not", r"are not", r"was not", r"were not", r"cannot", r"no (?:evidence|clear|formal|system)", r"little (?:or no )?evidence",
    r"more work is needed", r"further work is (?:needed|required)", r"needs? to (?:improve|strengthen|be improved|be strengthened|do (?:more|better))",
    r"requires? improvement", r"room for improvement", r"too soon", r"remains? (?:a concern|weak|inconsistent|variable|poor|limited)",
    r"(?:is|are) still", r"continues? to be (?:a concern|weak|inconsistent|variable|poor|limited)", r"not all",
    r"few", r"infrequent(?:ly)?", r"ineffectual", r"superficial", r"unsafe", r"vacanc(?:y|ies)",
    r"turnover", r"high numbers? of agency", r"without", r"neither", r"nor",
    r"minimal", r"disproportionate", r"misunderst\w+", r"confus\w+", r"unaware", r"unnecessary", r"unnecessarily",
    r"hamper(?:s|ed|ing)?", r"hinder(?:s|ed|ing)?", r"undermin(?:e|es|ed|ing)", r"limits(?= (?:the|their|its|his|her|our|opportunit\w*|access|capacity|what|how)\b)",
    r"(?<!life-)limiting", r"restricts", r"imped(?:e|es|ed|ing)", r"struggl\w+", r"difficult(?:y|ies)",
    r"more to do", r"too much", r"under-(?:developed|utilised|used)", r"reactive", r"room for", r"remains? (?:a |an )?(?:considerable |significant |key |major )?(?:issue|challenge|concern|priority)",
    r"remains? (?:very )?high", r"remains? low", r"fluctuat\w+", r"not evidenced", r"not in place",
    r"overly \w+", r"over-optimis\w+", r"slower",
    # what could or would be better is not yet so
    r"(?:could|would) (?:be |have been )?(?:\w+ )?(?:more|better) \w+", r"(?:could|would) be (?:further )?(?:strengthened|improved|enhanced)",
    r"(?:more|still) (?:work )?(?:is|needs) to be done", r"need to (?:make )?(?:more|better|further) \w+",
    r"the need to \w+",  # "Leaders recognise the need to strengthen …": a shortfall they know of
    r"(?:is|are|was|were|be|been) unsuitable", r"unsatisfactory", r"unsuccessful", r"too great",
    # harm done and records that cannot be relied on ("adverse childhood experiences" is a domain term)
    r"detrimental(?:ly)?", r"adversely", r"adverse (?:effect|impact)s?", r"negative (?:effect|impact)s?",
    r"negatively (?:affect|impact)\w*", r"(?:affect|impact)\w* negatively", r"unreliable", r"inaccurate(?:ly)?",
    r"incomplete", r"out of date", r"outdated", r"fragmented", r"disjointed", r"compromised",
]
_NEGATORS = r"(?:not|never|no|insufficiently|less|neither|nor|without|lack of|absence of|not always|not consistently|not sufficiently|not yet)"
_POS = re.compile(r"\b(" + "|".join(POSITIVE) + r")\b", re.I)
_WEAK_POS = re.compile(r"\b(" + "|".join(WEAK_POSITIVE) + r")\b", re.I)
_NEG = re.compile(r"\b(" + "|".join(NEGATIVE) + r")\b", re.I)


def _after(negators: str, apart: str | None = None) -> re.Pattern[str]:
    """Text ending in one of `negators` and at most two more words (none of them `apart`), each
    of which may be followed by "or" ("no widespread or serious failures"); searched just before a cue."""
    word = rf"(?!(?:{apart})\b)\w+" if apart else r"\w+"
    return re.compile(rf"\b{negators}\s+(?:{word}\s+(?:or\s+)?){{0,2}}$", re.I)


_NEGATED = _after(_NEGATORS)
_CONCESSIVE = re.compile(r"^(?:however,?\s+|but\s+|yet\s+)?(although|while|whilst|despite|notwithstanding|even though|though)\b"
                         r"[^,;]{3,}[,;]\s*", re.I)
# A sentence that opens with "However" turns against the one before it: in the annotated reports
# 59 of 62 such findings are weaknesses. It tips a close call; cues still decide the rest.
_HOWEVER = re.compile(r"^however\b", re.I)
HOWEVER_WEIGHT = 0.5
_BUT = re.compile(r"[,;]\s*(?:but|however|although|yet)\b,?\s*|"
                  # "… strengthened but have yet to lead …": a bare "but" opening a verb phrase or clause
                  r"\s+but\s+(?=(?:(?:it|this|these|they|there|some|many|most|not|too|still)\s+)?(?:is|are|was|were|has|have|"
                  r"had|do|does|did|remains?|needs?|requires?|lacks?|cannot|can't)\b)", re.I)
# A negative cue that negates ("has not", "yet to", "cannot") reaches to the end of its clause: praise
# words there ("… has not been taken to ensure timely …", "yet to lead to consistent improvements")
# describe what is missing and do not count.
_NEGATING = re.compile(r"\b(?:not|never|yet to|cannot)\b", re.I)
_CLAUSE_END = re.compile(r"[,;:]")
# "There is no delay", "no unnecessary delays", "without drift or delay": the shortfall is absent
_ABSENT = _after("(?:no|without)", apart="and")  # "no analysis and little evidence": two shortfalls
# "reduced drift and delay", "a reduction in the turnover of staff", "fewer vacancies", "minimising
# delay", "avoiding drift": a shortfall lessened or kept away
# (not across a turn: "waiting times have reduced but more needs to be done")
_LESSENED = _after("(?:reduced|reduces|reducing|reductions? in|fewer|minimi[sz](?:e|es|ed|ing)|avoid(?:s|ed|ing)?|"
                   "prevent(?:s|ed|ing)?)", apart="but|yet|however|although|though|while|whilst")
# "does not negatively impact", "did not have a detrimental impact": harm denied, not a shortfall
_HARM_DENIED = _after("(?:(?:does|do|did|has|have|had|is|are|was|were) not)")
_HARM = re.compile(r"detrimental|advers|negative", re.I)
_METHOD = re.compile(
    r"^((?:however,?\s+)?(?:the delivery model was adapted|inspectors also used)|"  # how a visit was run in the pandemic
    r"inspectors? (?:also )?(?:considered|met|spoke|looked|reviewed|evaluated|tracked|sampled|examined|visited|talked|read|"
    r"focused|scrutinised|held|observed|undertook|carried|analysed|gathered|discussed|used)|this (?:letter|report|visit|inspection|joint inspection)|the (?:jtai|visit|inspection) (?:also )?(?:included|focused|considered|evaluated)|"
    r"during (?:the|this) (?:visit|inspection)|in this inspection|we (?:looked|considered|evaluated|met|spoke)|"
    r"a range of evidence|between \d|on \d|the inspectors? (?:considered|met|spoke|looked|reviewed|evaluated)|ofsted|this group of children|it is (?:also )?(?:important|worth)|"
    # how the visit was run, what Ofsted expects of everyone, how the report is laid out or answered
    r"the lead inspector and|her majesty[’']?s chief inspector|it is ofsted[’']?s expectation|"
    r"the areas for improvement have been cross-referenced|it would be (?:very )?helpful if you|any complaints about the (?:inspection|report))",
    re.I,
)
STRONG_POSITIVE = re.compile(
    r"\b(ha(?:s|ve) (?:significantly |considerably |substantially )?improved|(?:significant|substantive|considerable|tangible|notable|marked) improvements?|"
    r"is now|are now|now (?:receive|have|has|benefit)|ha(?:s|ve) been (?:addressed|resolved|strengthened|embedded)|"
    r"is a (?:significant )?strength|no longer)\b", re.I)
HEDGES = re.compile(
    r"\b(not always|not consistently|not yet|yet to|too soon|too early|more work is needed|further work|still (?:to|needs?|requires?)|"
    r"has yet to be (?:fully )?addressed|remains? (?:a concern|an area)|some|most|mostly|generally|beginning to|begun to|"
    r"early (?:stages?|signs)|in the process of|improving|developing|emerging|recent(?:ly)?|new(?:ly)?|"
    r"work is (?:under way|underway|ongoing)|continues? to)\b", re.I)


@dataclass
class Judgement:
    positive: float = 0.0
    negative: float = 0.0
    cues: list[str] = field(default_factory=list)

    @property
    def evaluative(self) -> bool:
        return self.positive + self.negative >= 0.5

    @property
    def polarity(self) -> str | None:
        if not self.evaluative:
            return None
        return "strength" if self.positive > self.negative else "weakness"


_RATHER = re.compile(r"\b(?:rather than|instead of)\b", re.I)


def _score(text: str, weight: float, j: Judgement) -> None:
    m = _RATHER.search(text)
    if m:  # what follows "rather than" is the good practice that is missing
        _score(text[:m.start()], weight, j)
        j.negative += weight
        j.cues.append(f"-{m.group(0).lower()}")
        ideal = Judgement()
        _score(text[m.end():], weight, ideal)
        j.negative += ideal.positive + ideal.negative
        j.cues += [c.replace("+", "-", 1) for c in ideal.cues]
        return
    neg_spans, absent = [], []
    found = list(_NEG.finditer(text))
    absent_at = {}  # a shortfall said to be absent or lessened ("no delay", "reduced drift"): its negator
    for m in found:
        before = max(0, m.start() - 40)
        if n := (_ABSENT.search(text, before, m.start()) or _LESSENED.search(text, before, m.start())
                 or (_HARM.search(m.group(0)) and _HARM_DENIED.search(text, before, m.start()))):
            absent_at[m.start()] = (n.start(), " ".join(n.group(0).lower().split()))
    negators = {at for at, _ in absent_at.values()}
    for m in found:
        if m.start() in negators:
            continue  # "without" in "without delay" says the delay is absent, which is counted below
        if m.start() in absent_at:
            absent.append(m)
            continue
        j.negative += weight
        j.cues.append(f"-{m.group(0).lower()}")
        end = m.end()
        if _NEGATING.search(m.group(0)):  # its scope: the rest of the clause
            stop = _CLAUSE_END.search(text, end)
            end = stop.start() if stop else len(text)
        neg_spans.append((m.start(), end))
    for m in absent:
        if not any(a <= m.start() < b for a, b in neg_spans):
            j.positive += weight
            j.cues.append(f"+{absent_at[m.start()][1]} {m.group(0).lower()}")
    for rx, w in ((_POS, weight), (_WEAK_POS, weight * 0.5)):
        for m in rx.finditer(text):
            if any(a <= m.start() < b for a, b in neg_spans):
                continue
            negated = _NEGATED.search(text[max(0, m.start() - 40):m.start()])
            if negated:
                at = max(0, m.start() - 40) + negated.start()
                if not any(a <= at < b for a, b in neg_spans):  # "less well embedded", "never timely"
                    j.negative += weight
                    j.cues.append(f"-{negated.group(0).split()[0].lower()} {m.group(0).lower()}")
                continue  # "not effective": the negator already counted
            j.positive += w
            j.cues.append(f"+{m.group(0).lower()}")


_DOMAIN = [
    (re.compile(r"\bwithout (?:undue |unnecessary |any )?delay\b", re.I), "promptly"),
    (re.compile(r"\b(child protection|safeguarding|welfare|presenting|initial|parental|emerging) (concerns?|issues?|risks?)\b", re.I), r"\1 matters"),
    (re.compile(r"\b(so that|to ensure that|in order to|to prevent|to avoid|to reduce)\b.*$", re.I), ""),
    # "too high for social workers to do effective work": what follows is what does not happen
    (re.compile(r"\b(too \w+)(?: for [^,;.]{1,80}?)? to \w+[^,;.]*", re.I), r"\1"),
    # "consulted on how the service could be improved", "share learning when the response could be
    # improved": what could be better is the subject of the work, not a shortfall found
    (re.compile(r"\b(how|where|when|what|whether|if)\b([^,;.]{0,80}?)\s(?:could|would) be (?:further )?"
                r"(?:improved|strengthened|enhanced)(?: further)?", re.I), r"\1\2"),
    # "more to do before the local authority can deliver good services": an aim, not a finding
    (re.compile(r"\bbefore\b[^,;.]{1,80}?\b(?:can|could|will|is able to|are able to)\b[^,;.]*", re.I), ""),
]


def _domain(text: str) -> str:
    """Neutralise domain phrases that look evaluative but are not ("child protection concerns")."""
    for rx, repl in _DOMAIN:
        text = rx.sub(repl, text)
    return text


def judge(sentence: str) -> Judgement:
    """Polarity cues of a sentence; "Although X, Y" and "X, but Y" are judged mainly by Y."""
    j = Judgement()
    text = _domain(sentence.strip())
    if _HOWEVER.match(text):
        j.negative += HOWEVER_WEIGHT
        j.cues.append("-however")
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


_CONSEQUENCE = re.compile(
    r"^(this|these|which|that) (?:means?|meant|ensures?|leads?|led|prevents?|hinders?|limits?|results?|includes?|enables?|"
    r"helps?|allows?|supports?|provides?|gives?|has led|has resulted|is because|was reflected)\b|"
    r"^(thus|therefore|consequently|for example|for instance)\b", re.I)


def is_consequence(sentence: str) -> bool:
    """Sentences that only explain or illustrate the judgement before them ("This means that…")."""
    return bool(_CONSEQUENCE.match(sentence.strip().lstrip("•").strip()))


def is_method(sentence: str) -> bool:
    """Descriptive or methodological sentences ("Inspectors considered…")."""
    return bool(_METHOD.match(sentence.strip().lstrip("•").strip()))
