"""Shared fixtures of the viz tests: a corpus whose text is hostile markup, and built sites."""
from __future__ import annotations

import pytest

from kg.models import Agency, Assessment, Corpus, Document, FollowUp, Span, Statement, Theme
from viz import write

PWN = "<script>window.__pwned=1</script>"
BOLD = "<b>x</b>"


def hostile_corpus() -> tuple[Corpus, dict[str, str]]:
    """Two documents whose text holds markup that must never run or render."""
    weak = f"Strategy discussions are late {PWN} and {BOLD} records are poor."
    later = f"Strategy discussions are now timely {BOLD} in most cases."
    t1 = f"Introduction. {weak} More text follows here."
    t2 = f"Update on progress. {later} End."
    docs = [Document("doc-a", "a <i>.txt", "a" * 64, "jtai_letter", f"Letter {BOLD}", "testarea", "2018-01-30"),
            Document("doc-b", "b.txt", "b" * 64, "monitoring_visit", "Visit", "testarea", "2019-05-01")]
    s1 = Statement("st-weak", "doc-a", "finding", "weakness", "Findings", weak, Span(t1.index(weak), t1.index(weak) + len(weak), weak),
                   "testarea", "2018-01-30", agencies=["testarea/csc", "police"], themes=["strategy-discussions"])
    s2 = Statement("st-rec", "doc-a", "recommendation", None, "Recs", "Improve records.",
                   Span(0, 13, "Introduction."), "testarea", "2018-01-30", agencies=["police"], themes=["neglect"])
    e1 = Statement("st-ev", "doc-b", "evidence", "strength", "Progress", later,
                   Span(t2.index(later), t2.index(later) + len(later), later), "testarea", "2019-05-01",
                   agencies=["testarea/csc"], themes=["strategy-discussions"])
    fus = [FollowUp("fu-1", "st-weak", "st-ev", "supports", 0.8, "test", ["now timely"], "confirmed", f"rev {BOLD}", PWN)]
    ass = [Assessment("st-weak", "no_evidence", 0.7, "none yet", "2018-01-30"),
           Assessment("st-weak", "progress", 0.8, f"better {PWN}", "2019-05-01", "2019-05-01"),
           Assessment("st-rec", "no_evidence", 0.7, "none", "2018-01-30")]
    corpus = Corpus(documents=docs, statements=[s1, s2, e1], followups=fus, assessments=ass,
                    agencies=[Agency("testarea/csc", f"CSC {BOLD}", "local-authority-service", "csc", "testarea"),
                              Agency("police", "Police", "police", "police")],
                    themes=[Theme("strategy-discussions", "Strategy discussions"), Theme("neglect", "Neglect")],
                    areas={"testarea": f"Test {BOLD} Area"})
    return corpus, {"doc-a": t1, "doc-b": t2}


@pytest.fixture(scope="session")
def sample_out(samples, tmp_path_factory):
    corpus, texts = samples
    out = tmp_path_factory.mktemp("viz")
    write(corpus, texts, out)
    return out


@pytest.fixture(scope="session")
def hostile_out(tmp_path_factory):
    corpus, texts = hostile_corpus()
    out = tmp_path_factory.mktemp("hostile")
    write(corpus, texts, out)
    return out
