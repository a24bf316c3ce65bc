"""The tracker site: plain static HTML (+ a little CSS and JS) that works from file://.

    out/site/index.html              status by agency and by theme at a glance, links to the maps
    out/site/tracker.html            every weakness and recommendation: sortable, filterable table
    out/site/tracker.csv             the same rows (kg.export.write_tracker_csv)
    out/site/finding/<id>.html       the trace: quote in context, evidence chain, status history, review
    out/site/agency/<id>.html        per agency ('/' in ids becomes '__')
    out/site/area/<id>.html          per area
    out/site/document/<id>.html      the original text, findings highlighted with <mark>
    out/site/pages.json              each page's SHA-256: a rebuild links the pages it writes the same

Maps go beside it at out/maps (`viz.maps.write_maps`); links between the two are relative.
Every piece of document text is HTML-escaped.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter, defaultdict
from html import escape
from pathlib import Path

from kg.export import tracker_rows, write_tracker_csv
from kg.models import Corpus
from viz.common import (OPEN_STATUSES, PAGES, STATUS_LABELS, STATUS_ORDER, Model, build_model, page_digests, reuse_page,
                         script_json, slug)

ASSETS = Path(__file__).parent / "assets"
CONTEXT = 300
MAPS = "../maps"


def e(x) -> str:
    return escape("" if x is None else str(x), quote=True)


def _page(title: str, body: str, depth: int, scripts: tuple[str, ...] = ()) -> str:
    up = "../" * depth
    js = "".join(f'<script src="{up}assets/{s}"></script>' for s in scripts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{e(title)} · safeguarding tracker</title><link rel="stylesheet" href="{up}assets/site.css"></head>'
            f'<body><nav class="top"><a href="{up}index.html">Overview</a><a href="{up}tracker.html">Tracker</a>'
            f'<a href="{up}{MAPS}/index.html">Maps</a></nav><main><h1>{e(title)}</h1>{body}</main>{js}</body></html>\n')


def _badge(status: str | None) -> str:
    if not status:
        return ""
    return f'<span class="badge st-{e(status)}">{e(STATUS_LABELS.get(status, status))}</span>'


def _bar(c: Counter) -> str:
    total = sum(c[s] for s in STATUS_ORDER) or 1
    parts = "".join(f'<span class="seg st-{s}" style="width:{100 * c[s] / total:.2f}%" title="{e(STATUS_LABELS[s])}: {c[s]}">'
                    f'</span>' for s in STATUS_ORDER if c[s])
    return f'<div class="bar">{parts}</div>'


def _status_table(counts: dict[str, Counter], names: dict[str, str], links: dict[str, str], extra: dict[str, str],
                  first: str) -> str:
    head = "".join(f"<th>{e(STATUS_LABELS[s])}</th>" for s in STATUS_ORDER)
    rows = []
    for k in sorted(counts, key=lambda k: (-sum(counts[k][s] for s in OPEN_STATUSES), names.get(k, k))):
        c = counts[k]
        cells = "".join(f'<td class="num">{c[s]}</td>' for s in STATUS_ORDER)
        rows.append(f'<tr><td><a href="{e(links[k])}">{e(names.get(k, k))}</a>{extra.get(k, "")}</td>{cells}'
                    f'<td class="num">{sum(c[s] for s in OPEN_STATUSES)}</td><td class="barcell">{_bar(c)}</td></tr>')
    return (f'<table class="summary"><thead><tr><th>{e(first)}</th>{head}<th>Open</th><th>Status</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _legend() -> str:
    return '<p class="legend">' + "".join(f'<span><span class="sw st-{s}"></span>{e(STATUS_LABELS[s])}</span>'
                                          for s in STATUS_ORDER) + "</p>"


def _findings_table(model: Model, rows: list[dict], depth: int) -> str:
    up = "../" * depth
    out = []
    for r in sorted(rows, key=lambda r: (STATUS_ORDER.index(r["status"]), r["date"] or "", r["id"])):
        out.append(f'<tr><td>{_badge(r["status"])}</td><td><a href="{up}finding/{slug(r["id"])}.html">{e(_short(r["text"]))}</a>'
                   f'</td><td>{e(model.area_label(r["area"]))}</td><td>{e(r["date"])}</td>'
                   f'<td>{e("; ".join(r["agency_labels"]))}</td></tr>')
    return ('<table class="list"><thead><tr><th>Status</th><th>Finding</th><th>Area</th><th>Date</th><th>Agencies</th>'
            f'</tr></thead><tbody>{"".join(out)}</tbody></table>') if out else "<p>None.</p>"


def _short(text: str, n: int = 180) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _index(model: Model) -> str:
    by_agency: dict[str, Counter] = defaultdict(Counter)
    by_theme: dict[str, Counter] = defaultdict(Counter)
    by_area: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    for r in model.rows:
        total[r["status"]] += 1
        by_area[r["area"] or ""][r["status"]] += 1
        for a in r["agencies"]:
            by_agency[a][r["status"]] += 1
        for t in r["themes"]:
            by_theme[t][r["status"]] += 1
    cards = "".join(f'<div class="card st-{s}"><b>{total[s]}</b>{e(STATUS_LABELS[s])}</div>' for s in STATUS_ORDER)
    as_of = f"<p>Statuses as of {e(model.as_of)}.</p>" if model.as_of else ""
    areas = _status_table(by_area, {a: model.area_label(a) for a in by_area}, {a: f"area/{slug(a)}.html" for a in by_area},
                          {a: f' · <a class="small" href="{MAPS}/area-{slug(a)}.html">map</a>' for a in by_area}, "Area")
    agencies = _status_table(by_agency, {a: model.agency_label(a) for a in by_agency},
                             {a: f"agency/{slug(a)}.html" for a in by_agency},
                             {a: f' · <a class="small" href="{MAPS}/agency-{slug(a)}.html">map</a>' for a in by_agency},
                             "Agency")
    themes = _status_table(by_theme, {t: model.theme_label(t) for t in by_theme},
                           {t: f"tracker.html#theme={e(t)}" for t in by_theme},
                           {t: f' · <a class="small" href="{MAPS}/theme-{slug(t)}.html">map</a>' for t in by_theme}, "Theme")
    docs = "".join(f'<li><a href="document/{slug(d.id)}.html">{e(d.title)}</a> <span class="muted">{e(d.kind)}, '
                   f'{e(d.published)}, {e(model.area_label(d.area))}</span></li>'
                   for d in sorted(model.corpus.documents, key=lambda d: (d.published or "", d.id)))
    body = (f'{as_of}<div class="cards">{cards}</div>'
            f'<p><a class="button" href="tracker.html">Open the tracker table</a> <a class="button" href="tracker.csv">'
            f'Download tracker.csv</a> <a class="button" href="{MAPS}/national.html">National map</a> '
            f'<a class="button" href="{MAPS}/index.html">All maps</a></p>{_legend()}'
            f'<h2>By area</h2>{areas}<h2>By agency</h2>{agencies}<h2>By theme</h2>{themes}'
            f'<h2>Documents</h2><ul class="docs">{docs}</ul>')
    return _page("Safeguarding findings: where things stand", body, 0)


TRACKER_PAGE = 500  # rows drawn at a time: the national tracker has 54,000, which take 20 s as HTML


def _tracker(model: Model) -> str:
    """The table's rows travel as JSON and `tracker.js` draws the matching ones, a page at a time
    (sorting and filtering the data, not the DOM); without JavaScript, tracker.csv has them all."""
    rows = tracker_rows(model.corpus, model.as_of, model.rows)
    by_id = {r["id"]: r for r in model.rows}
    data = []
    for r in rows:
        full = by_id[r["id"]]
        data.append([slug(r["id"]), _short(r["text"]), "recommendation" if r["kind"] == "recommendation" else "weakness",
                     r["area"] or "", model.area_label(r["area"]), " ".join(full["agencies"]), r["agencies"],
                     " ".join(full["themes"]), "; ".join(model.theme_label(t) for t in full["themes"]), r["status"],
                     "" if r["confidence"] is None else f"{r['confidence']:.2f}", r["date"] or "",
                     full["last_evidence"] or "", r["followups"]])
    labels = {s: STATUS_LABELS[s] for s in STATUS_ORDER}  # in status order: the sort rank

    def options(pairs) -> str:
        return '<option value="">all</option>' + "".join(f'<option value="{e(k)}">{e(v)}</option>' for k, v in pairs)
    areas = sorted({r["area"] for r in model.rows if r["area"]})
    themes = sorted({t for r in model.rows for t in r["themes"]})
    agencies = sorted({a for r in model.rows for a in r["agencies"]}, key=model.agency_label)
    filters = (
        '<form id="filters" class="filters" onsubmit="return false">'
        '<label>Search <input type="search" name="q" placeholder="words in the finding"></label>'
        f'<label>Area <select name="area">{options((a, model.area_label(a)) for a in areas)}</select></label>'
        f'<label>Agency <select name="agency">{options((a, model.agency_label(a)) for a in agencies)}</select></label>'
        f'<label>Theme <select name="theme">{options((t, model.theme_label(t)) for t in themes)}</select></label>'
        f'<label>Status <select name="status">{options((s, STATUS_LABELS[s]) for s in STATUS_ORDER)}'
        '<option value="open">any open status</option></select></label>'
        '<span id="count" aria-live="polite"></span></form>')
    head = "".join(f'<th data-col="{i}" data-type="{t}" tabindex="0">{e(n)}</th>' for i, (n, t) in enumerate(
        [("Finding / recommendation", "text"), ("Kind", "text"), ("Area", "text"), ("Agencies", "text"),
         ("Themes", "text"), ("Status", "num"), ("Confidence", "num"), ("Date", "text"), ("Last evidence", "text"),
         ("Follow-ups", "num")]))
    as_of = f" Statuses as of {e(model.as_of)}." if model.as_of else ""
    body = (f'<p>Every weakness and recommendation with its current status.{as_of} Click a column to sort; '
            f'<a href="tracker.csv" download>download as CSV</a>.</p>{_legend()}{filters}'
            f'<table id="tracker" class="list sortable"><thead><tr>{head}</tr></thead><tbody></tbody></table>'
            f'<p><button type="button" id="more" hidden>Show more</button></p>'
            '<noscript><p>The table needs JavaScript; <a href="tracker.csv">tracker.csv</a> has every row.</p></noscript>'
            f'<script id="tracker-data" type="application/json">'
            f'{script_json({"rows": data, "labels": labels, "page": TRACKER_PAGE})}'
            '</script>')
    return _page("Tracker", body, 0, ("tracker.js",))


def _context(text: str | None, start: int, end: int, quote: str) -> str:
    if text is None or text[start:end] != quote:
        return f'<blockquote class="context"><mark>{e(quote)}</mark></blockquote>'
    a, b = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
    return (f'<blockquote class="context">{"…" if a else ""}{e(text[a:start])}<mark>{e(quote)}</mark>'
            f'{e(text[end:b])}{"…" if b < len(text) else ""}</blockquote>')


def _finding(model: Model, r: dict, texts: dict[str, str], recurs: dict[str, list[tuple[str, float]]]) -> str:
    d = model.docs[r["document"]]
    fus = model.followups
    agencies = ", ".join(f'<a href="../agency/{slug(a)}.html">{e(model.agency_label(a))}</a>' for a in r["agencies"]) or "none named"
    themes = ", ".join(f'<a href="../tracker.html#theme={e(t)}">{e(model.theme_label(t))}</a>' for t in r["themes"]) or "none"
    conf = "" if r["confidence"] is None else f"{r['confidence']:.2f}"
    meta = (f'<dl class="meta"><dt>Status</dt><dd>{_badge(r["status"])} confidence {conf}</dd>'
            f'<dt>Why</dt><dd>{e(r["explanation"])}</dd>'
            f'<dt>Kind</dt><dd>{e("recommendation" if r["kind"] == "recommendation" else "weakness")}'
            f'{" · due " + e(r["due"]) if r["due"] else ""}</dd>'
            f'<dt>Document</dt><dd><a href="../document/{slug(d.id)}.html#{slug(r["id"])}">{e(d.title)}</a> '
            f'<span class="muted">({e(d.kind)}, {e(d.published)}, {e(d.file)}{", page " + e(r["page"]) if r["page"] else ""})'
            f'</span></dd><dt>Section</dt><dd>{e(r["section"])}</dd>'
            f'<dt>Area</dt><dd><a href="../area/{slug(r["area"] or "")}.html">{e(model.area_label(r["area"]))}</a> · '
            f'<a href="../{MAPS}/area-{slug(r["area"] or "")}.html">map</a></dd>'
            f'<dt>Agencies</dt><dd>{agencies}</dd><dt>Themes</dt><dd>{themes}</dd>'
            f'<dt>Last evidence</dt><dd>{e(r["last_evidence"]) or "none"}</dd></dl>')
    chain = []
    for f in r["followups"]:
        ev = model.stmts[f["evidence"]]
        fu = fus.get(f["id"])
        review = ""
        if f["reviewed"]:
            review = f'{e(f["reviewed"])} by {e(f["reviewer"] or "a reviewer")}' + (f': {e(fu.note)}' if fu and fu.note else "")
        chain.append(f'<tr class="{"rejected" if f["reviewed"] == "rejected" else ""}"><td>{e(f["date"])}</td>'
                     f'<td><span class="rel rel-{e(f["relation"])}">{e(f["relation"])}</span></td>'
                     f'<td class="num">{float(f["score"]):.2f}</td><td>{e(f["kind"])}</td>'
                     f'<td><q>{e(f["quote"])}</q><br><a class="small" href="../document/{slug(ev.doc)}.html#{slug(ev.id)}">'
                     f'{e(model.docs[ev.doc].title)}</a></td><td>{e(", ".join(f["cues"]))}</td><td>{review}</td></tr>')
    chain_html = ('<table class="list"><thead><tr><th>Date</th><th>Relation</th><th>Score</th><th>Kind</th><th>Quote</th>'
                  f'<th>Cues</th><th>Review</th></tr></thead><tbody>{"".join(chain)}</tbody></table>') if chain else \
        "<p>No later statement has been linked to it.</p>"
    hist = "".join(f'<tr><td>{e(a.as_of)}</td><td>{_badge(a.status)}</td><td class="num">{a.confidence:.2f}</td>'
                   f'<td>{e(a.set_by)}</td><td>{e(a.explanation)}</td></tr>'
                   for a in sorted(model.assessments.get(r["id"], []), key=lambda a: (a.as_of or "", a.set_by != "software")))
    rec = "".join(f'<li><a href="{slug(o)}.html">{e(_short(model.stmts[o].text, 140))}</a> '
                  f'<span class="muted">({e(model.area_label(model.stmts[o].area))}, {e(model.stmts[o].date)}, similarity {s:.2f})</span></li>'
                  for o, s in recurs.get(r["id"], []) if o in model.stmts)
    body = (f'<p class="lead"><q>{e(r["text"])}</q></p>{meta}<h2>In context</h2>'
            f'{_context(texts.get(r["document"]), r["start"], r["end"], r["quote"])}'
            f'<h2>What later documents said</h2>{chain_html}'
            f'<h2>Status history</h2><table class="list"><thead><tr><th>As of</th><th>Status</th><th>Confidence</th>'
            f'<th>Set by</th><th>Explanation</th></tr></thead><tbody>{hist}</tbody></table>'
            + (f'<h2>The same weakness elsewhere</h2><ul>{rec}</ul>' if rec else ""))
    return _page(("Recommendation" if r["kind"] == "recommendation" else "Weakness") + f": {_short(r['text'], 90)}", body, 1)


def _agency(model: Model, aid: str, rows: list[dict]) -> str:
    a = model.agencies.get(aid)
    facts = []
    if a:
        facts += [("Type", e(a.type)), ("Role", e(a.role))]
        if a.area:
            facts.append(("Area", f'<a href="../area/{slug(a.area)}.html">{e(model.area_label(a.area))}</a>'))
        if a.parent:
            facts.append(("Part of", f'<a href="{slug(a.parent)}.html">{e(model.agency_label(a.parent))}</a>'))
        if a.succeeded_by:
            facts.append(("Succeeded by", f'<a href="{slug(a.succeeded_by)}.html">{e(model.agency_label(a.succeeded_by))}</a>'
                          f' on {e(a.succession_date)}'))
        if a.aliases:
            facts.append(("Also written as", e("; ".join(a.aliases))))
    c = Counter(r["status"] for r in rows)
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    maplink = f'<p><a class="button" href="../{MAPS}/agency-{slug(aid)}.html">Map of this agency across areas</a></p>' if rows else ""
    body = f'<dl class="meta">{dl}</dl>{maplink}<div class="barwide">{_bar(c)}</div>{_findings_table(model, rows, 1)}'
    return _page(f"Agency: {model.agency_label(aid)}", body, 1)


def _area(model: Model, area: str, rows: list[dict]) -> str:
    docs = "".join(f'<li><a href="../document/{slug(d.id)}.html">{e(d.title)}</a> <span class="muted">{e(d.kind)}, '
                   f'{e(d.published)}</span></li>' for d in sorted(model.corpus.documents, key=lambda d: (d.published or "", d.id))
                   if d.area == area)
    c = Counter(r["status"] for r in rows)
    maplink = f'<p><a class="button" href="../{MAPS}/area-{slug(area)}.html">Map of this area</a></p>' if rows else ""
    body = (f'{maplink}<h2>Documents</h2><ul>{docs}</ul><h2>Weaknesses and recommendations</h2>'
            f'<div class="barwide">{_bar(c)}</div>{_findings_table(model, rows, 1)}')
    return _page(f"Area: {model.area_label(area)}", body, 1)


def _document(model: Model, doc_id: str, text: str | None, evidence_for: dict[str, str], stmts: list,
              status: dict[str, str]) -> str:
    d = model.docs[doc_id]
    stmts = sorted(stmts, key=lambda s: (s.span.start, -s.span.end))
    insp = d.inspection
    facts = [("Kind", e(d.kind)), ("Published", e(d.published)), ("File", e(d.file)),
             ("Area", f'<a href="../area/{slug(d.area or "")}.html">{e(model.area_label(d.area))}</a>')]
    if insp:
        facts.append(("Inspection", e(f"{insp.kind}, {insp.start or '?'} to {insp.end or '?'}"
                                       + (f", deep dive: {insp.deep_dive}" if insp.deep_dive else ""))))
        if insp.deadline:
            facts.append(("Written statement of action due", e(insp.deadline)))
    if d.addressees:
        facts.append(("Addressed to", e("; ".join(f"{a.name}, {a.role}, {a.organisation}" for a in d.addressees))))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)

    def open_tag(s) -> str:
        sid = slug(s.id)
        if s.id in status:
            return (f'<a class="hl" href="../finding/{sid}.html" title="{e(STATUS_LABELS[status[s.id]])}">'
                    f'<mark id="{sid}" class="st-{status[s.id]}">', "</mark></a>")
        if s.id in evidence_for:
            return (f'<a class="hl" href="../finding/{slug(evidence_for[s.id])}.html" title="later evidence ({e(s.kind)})">'
                    f'<mark id="{sid}" class="ev">', "</mark></a>")
        return f'<mark id="{sid}" class="other" title="{e(s.kind)}">', "</mark>"

    if text is None:
        items = "".join(f'<li>{open_tag(s)[0]}{e(s.span.quote)}{open_tag(s)[1]}</li>' for s in stmts)
        body = f'<dl class="meta">{dl}</dl><p class="muted">The original text is not stored with this build.</p><ul>{items}</ul>'
        return _page(d.title, body, 1)
    parts, pos, pending = [], 0, []
    for s in stmts:
        if s.span.start < pos or s.span.end > len(text) or text[s.span.start:s.span.end] != s.span.quote:
            pending.append(f'<span id="{slug(s.id)}"></span>')  # overlapping: keep the anchor, skip the mark
            continue
        o, c = open_tag(s)
        parts.append(e(text[pos:s.span.start]))
        parts.extend(pending)
        pending = []
        parts.append(o + e(text[s.span.start:s.span.end]) + c)
        pos = s.span.end
    parts.append(e(text[pos:]))
    parts.extend(pending)
    key = ('<p class="legend"><span><span class="sw ev"></span>later evidence</span>'
           + "".join(f'<span><span class="sw st-{s}"></span>{e(STATUS_LABELS[s])}</span>' for s in STATUS_ORDER) + "</p>")
    body = f'<dl class="meta">{dl}</dl>{key}<div class="doctext">{"".join(parts)}</div>'
    return _page(d.title, body, 1)


def write_site(corpus: Corpus, texts: dict[str, str], out_dir: Path | str, as_of: str | None = None,
               model: Model | None = None, previous: Path | str | None = None) -> list[Path]:
    """Write the tracker site into `out_dir` (put it at ``out/site`` beside ``out/maps``).
    `previous`: the site folder of an earlier build. A page that comes out byte for byte as it
    was there (by the SHA-256 recorded in its PAGES) is a hard link to that file: after one new
    document most of the national site's 54,000 pages are, and linking is 5x faster than writing."""
    out = Path(out_dir)
    model = model or build_model(corpus, as_of)
    before = (Path(previous), page_digests(Path(previous))) if previous is not None else None
    for sub in ("assets", "finding", "agency", "area", "document"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for name in ("site.css", "tracker.js"):
        shutil.copyfile(ASSETS / name, out / "assets" / name)
    written: list[Path] = []
    digests: dict[str, str] = {}

    def put(rel: str, html: str) -> None:
        data = html.encode("utf-8")
        digests[rel] = hashlib.sha256(data).hexdigest()
        if not reuse_page(before, rel, digests[rel], out / rel):
            (out / rel).write_bytes(data)
        written.append(out / rel)

    put("index.html", _index(model))
    put("tracker.html", _tracker(model))
    write_tracker_csv(out / "tracker.csv", corpus, as_of, model.rows)
    written.append(out / "tracker.csv")
    recurs: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for rc in corpus.recurrences:
        recurs[rc.a].append((rc.b, rc.score))
        recurs[rc.b].append((rc.a, rc.score))
    for r in model.rows:
        put(f"finding/{slug(r['id'])}.html", _finding(model, r, texts, recurs))
    by_agency: dict[str, list[dict]] = defaultdict(list)
    by_area: dict[str, list[dict]] = defaultdict(list)
    for r in model.rows:
        for a in r["agencies"]:
            by_agency[a].append(r)
        by_area[r["area"] or ""].append(r)
    for aid in sorted(set(model.agencies) | set(by_agency) | {a.parent for a in corpus.agencies if a.parent}
                      | {a.succeeded_by for a in corpus.agencies if a.succeeded_by}):
        put(f"agency/{slug(aid)}.html", _agency(model, aid, by_agency.get(aid, [])))
    for area in sorted(set(by_area) | set(corpus.areas) | {d.area or "" for d in corpus.documents}
                       | {a.area for a in corpus.agencies if a.area}):
        put(f"area/{slug(area)}.html", _area(model, area, by_area.get(area, [])))
    evidence_for: dict[str, str] = {}
    for f in sorted(corpus.followups, key=lambda f: (-float(f.score), f.id)):
        if f.reviewed != "rejected":
            evidence_for.setdefault(f.evidence, f.finding)
    by_doc: dict[str, list] = defaultdict(list)
    for s in corpus.statements:
        by_doc[s.doc].append(s)
    status = {r["id"]: r["status"] for r in model.rows}
    for d in corpus.documents:
        put(f"document/{slug(d.id)}.html", _document(model, d.id, texts.get(d.id), evidence_for, by_doc[d.id], status))
    (out / PAGES).write_text(json.dumps(digests, sort_keys=True, indent=0), encoding="utf-8")
    return written
