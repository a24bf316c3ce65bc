"""Statements read from original PDFs against those read from the same documents' text, to see
what the PDF path gets wrong (page furniture cut into a sentence, words split at line ends).

    python bench/pdf_text.py --corpus ../shared/national/pdf --text ../shared/national/text [--show 10]

A PDF is paired with the text file of the same name. Statements are compared by their words
(case, punctuation and hyphens ignored, so "care-experienced" and the national text's
"careexperienced" differ only where the text itself lost a letter); "same kind" also needs the
same kind and polarity. Statements of the PDF path that still hold a line-end hyphen followed by
a space ("care- experienced") or a letterhead's contact lines (e-mail, web, telephone) are counted.
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, files_of, machine, parser, timer  # noqa: E402

_WORDS = re.compile(r"[\W_]+")
_SPLIT_WORD = re.compile(r"[A-Za-z]- [a-z]")
_CONTACT = re.compile(r"[\w.+-]@[\w-]+\.\w|\bwww\.|\bTextphone\b|\bTel(?:ephone)?\b\.?:? ?\d")


def _key(text: str) -> str:
    return _WORDS.sub(" ", text.lower().replace("-", "")).strip()


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--text", type=Path, required=True, help="The folder of the same documents as text.")
    p.add_argument("--show", type=int, default=5, help="Statements found only one way to list.")
    a = p.parse_args()
    from kg.pipeline import extract_all

    pdfs = [f for f in files_of(a.corpus) if f.suffix.lower() == ".pdf" and (a.text / f"{f.stem}.txt").is_file()]
    texts = [a.text / f"{f.stem}.txt" for f in pdfs]
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as cache:
        with timer(times, "pdf_s"):
            from_pdf, _ = extract_all(pdfs, cache=Path(cache))
        with timer(times, "text_s"):
            from_text, _ = extract_all(texts, cache=Path(cache))
    by_text = {Path(e.document.file).stem: e for e in from_text}
    n = {"documents": 0, "text": 0, "pdf": 0, "same_words": 0, "same_kind": 0, "split_words": 0, "contact_lines": 0}
    only: list[tuple[str, str, str]] = []
    for e in from_pdf:
        t = by_text.get(Path(e.document.file).stem)
        if t is None:
            continue
        ours = {_key(s.text): s for s in e.statements}
        theirs = {_key(s.text): s for s in t.statements}
        same = ours.keys() & theirs.keys()
        n["documents"] += 1
        n["text"] += len(theirs)
        n["pdf"] += len(ours)
        n["same_words"] += len(same)
        n["same_kind"] += sum((ours[k].kind, ours[k].polarity) == (theirs[k].kind, theirs[k].polarity) for k in same)
        n["split_words"] += sum(bool(_SPLIT_WORD.search(s.text)) for s in e.statements)
        n["contact_lines"] += sum(bool(_CONTACT.search(s.text)) for s in e.statements)
        only += [("pdf only", e.document.file, ours[k].text) for k in sorted(ours.keys() - same)]
        only += [("text only", t.document.file, theirs[k].text) for k in sorted(theirs.keys() - same)]
    rows = [[k, v, f"{v / n['text']:.3f}" if k in ("same_words", "same_kind") and n["text"] else ""] for k, v in n.items()]
    rows += [[k, v, ""] for k, v in times.items()]
    emit({"machine": machine(), "counts": n, "seconds": times, "only": only}, rows,
         ["figure", "value", "of text statements"], a.json, "PDF path against text path")
    if not a.json:
        for what, file, text in only[: a.show]:
            print(f"  {what}: {file}: {text[:140]}")


if __name__ == "__main__":
    main()
