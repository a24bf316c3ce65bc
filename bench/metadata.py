"""Document metadata against a corpus's own index: kind, area, publication date, fieldwork dates
and judgement grades, as agreement per field, with the disagreements listed.

    python bench/metadata.py --corpus ../shared/national/text [--index ../shared/national/index.csv] [--show 5]

The national index was scraped by a third party and has gaps and errors, so a disagreement
is a pointer to read the document, not a verdict. Fields the index leaves empty or marks
"data_unreadable" are not counted. The index records ILACS's joint judgement on "children in
care and care leavers" under in_care alone, as `loaders.metadata.grades` does.
"""
from __future__ import annotations

import csv
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, machine, parser, timer  # noqa: E402

GRADES = ("overall", "leaders", "help_protection", "in_care", "care_leavers")
KINDS = {"inspection": "inspection_report"}
NO_GRADE = {"not_reported_post_reform", "inspection_pre_dates_judgement"}


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower().replace("&", "and")).strip("-")


def _iso(day: str) -> str:
    d, m, y = day.split("/")
    return f"{y}-{m}-{d}"


def expected(row: dict[str, str]) -> dict[str, str | None]:
    want: dict[str, str | None] = {"kind": KINDS.get(row["kind"], row["kind"]), "area": _slug(row["area"]),
                                   "published": row["published"] or None}
    if re.fullmatch(r"\d\d/\d\d/\d{4}", row.get("inspection_start", "")):
        want["inspection_start"], want["inspection_end"] = _iso(row["inspection_start"]), _iso(row["inspection_end"])
    for key in GRADES:
        value = row.get(key, "")
        if value and value != "data_unreadable":
            want[f"grade:{key}"] = None if value in NO_GRADE else value.replace("_", " ")
    return want


def got(d) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    out = {"kind": d.kind, "area": _slug(d.area or ""), "published": d.published,
           "inspection_start": d.inspection_start, "inspection_end": d.inspection_end}
    out.update({f"grade:{k}": d.grades.get(k) for k in GRADES})
    return out


def main() -> None:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--index", type=Path, help="The index CSV (default: index.csv beside the first corpus folder).")
    p.add_argument("--show", type=int, default=5, help="Disagreements to list per field.")
    a = p.parse_args()
    from loaders.clean import clean
    from loaders.metadata import describe
    from loaders.read import read

    index = a.index or a.corpus[0].parent / "index.csv"
    rows = {r["file"]: r for r in csv.DictReader(index.open(encoding="utf-8"))}
    agree, total, wrong = Counter(), Counter(), defaultdict(list)
    files = [f for c in a.corpus for f in sorted(c.iterdir()) if f.stem in rows]
    seconds: dict[str, float] = {}
    with timer(seconds, "describe"):
        for f in files:
            try:
                d = describe(clean(read(f).text).text)  # as loaders.extract.load does
            except Exception as exc:  # a file the loaders cannot read is its own row
                wrong["unreadable"].append((f.stem, type(exc).__name__, str(exc)[:60]))
                continue
            have = got(d)
            for key, want in expected(rows[f.stem]).items():
                total[key] += 1
                agree[key] += have.get(key) == want
                if have.get(key) != want:
                    wrong[key].append((f.stem, have.get(key), want))
    rows_out = [[k, agree[k], total[k], round(agree[k] / total[k], 3)] for k in sorted(total)]
    result = {"corpus": [str(c) for c in a.corpus], "documents": len(files), "seconds": seconds,
              "unreadable": len(wrong["unreadable"]), "machine": machine(),
              "fields": {k: {"agree": agree[k], "of": total[k]} for k in sorted(total)}}
    emit(result, rows_out, ["field", "agree", "of", "share"], a.json,
         title=f"metadata against {index}: {len(files)} documents ({len(wrong['unreadable'])} unreadable)")
    if not a.json:
        for key, items in sorted(wrong.items()):
            print(f"\n{key}: {len(items)} disagreements (got, index)")
            for item in items[: a.show]:
                print("  ", *item)


if __name__ == "__main__":
    main()
