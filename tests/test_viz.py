"""Fast checks of the maps and the tracker site (no browser): escaping, counts, files, links."""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import unquote

import pytest

from kg.export import finding_rows, tracker_rows
from viz.common import build_model, script_json, slug
from viz.maps import View, national_counts, to_vis

from vizkit import BOLD, PWN, hostile_corpus, hostile_out, sample_out  # noqa: F401  (fixtures)


def test_slug_is_stable_and_safe():
    assert slug("haringey/ccg") == "haringey__ccg"
    assert slug("st-abc") == "st-abc"
    assert "/" not in slug("a/b/c") and slug("a b<") == "a_b_"


def test_script_json_cannot_close_the_script_element():
    text = script_json({"q": PWN + "</SCRIPT>&"})
    assert "<" not in text and ">" not in text and "&" not in text


def test_every_page_escapes_document_text(hostile_out):
    pages = list(hostile_out.rglob("*.html"))
    assert pages
    for p in pages:
        html = p.read_text(encoding="utf-8")
        assert PWN not in html, p
        assert BOLD not in html, p
    trace = (hostile_out / "site" / "finding" / "st-weak.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in trace and "&lt;b&gt;x&lt;/b&gt;" in trace
    doc = (hostile_out / "site" / "document" / "doc-a.html").read_text(encoding="utf-8")
    assert '<mark id="st-weak"' in doc and "&lt;script&gt;window.__pwned" in doc


def test_national_counts_equal_export_rows(samples):
    corpus, _ = samples
    types = {a.id: a.type for a in corpus.agencies}
    expected: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in finding_rows(corpus):
        if r["status"] is None:
            continue
        for t in {types.get(a) or "unknown" for a in r["agencies"]}:
            for th in r["themes"]:
                expected[(t, th)][r["status"]] += 1
    nodes, edges = to_vis(corpus, "national")
    got = {tuple(e["id"].split("|")): Counter({k: v for k, v in e["counts"].items() if v}) for e in edges}
    assert got == dict(expected)
    assert national_counts(build_model(corpus)) == expected
    # per theme, a finding counts once per agency type: with one type per finding the totals match the tracker
    by_theme = Counter(th for r in tracker_rows(corpus) for th in r["themes"].split("; ") if th)
    theme_nodes = {n["theme"] for n in nodes if n["role"] == "theme"}
    assert theme_nodes <= set(by_theme)


def test_node_counts_per_view(samples):
    corpus, _ = samples
    rows = [r for r in finding_rows(corpus) if r["status"] is not None]
    for kind, key in (("area", "area"), ("theme", "themes"), ("agency", "agencies")):
        values = sorted({v for r in rows for v in (r[key] if isinstance(r[key], list) else [r[key]]) if v})
        for v in values[:6]:
            sel = [r for r in rows if (v in r[key] if isinstance(r[key], list) else r[key] == v)]
            ids = {r["id"] for r in sel}
            hubs = {a for r in sel for a in r["agencies"]}
            ev = {f["evidence"] for r in sel for f in r["followups"] if f["reviewed"] != "rejected"} - ids
            nodes, edges = to_vis(corpus, View(kind, v))
            roles = Counter(n["role"] for n in nodes)
            assert roles == Counter({k: n for k, n in (("target", len(ids)), ("agency", len(hubs)),
                                                        ("evidence", len(ev))) if n}), (kind, v)
            assert len({n["id"] for n in nodes}) == len(nodes)
            node_ids = {n["id"] for n in nodes}
            assert all(e["from"] in node_ids and e["to"] in node_ids for e in edges)
            assert all("x" in n and "y" in n for n in nodes)


def test_hostile_views(hostile_out):
    corpus, _ = hostile_corpus()
    nodes, edges = to_vis(corpus, "area:testarea")
    assert {n["id"] for n in nodes} == {"st-weak", "st-rec", "st-ev", "agency:testarea/csc", "agency:police"}
    rel = [e for e in edges if e.get("role") == "followup"]
    assert rel and rel[0]["label"] == "supports" and rel[0]["from"] == "st-ev"
    weak = next(n for n in nodes if n["id"] == "st-weak")
    assert weak["status"] == "progress" and weak["url"] == "../site/finding/st-weak.html"
    assert ["Quote", corpus.statements[0].text] in weak["info"]
    assert next(n for n in to_vis(corpus, "area:testarea", as_of="2018-12-31")[0]
                if n["id"] == "st-weak")["status"] == "no_evidence"


_LINK = re.compile(r'(?:href|src)="([^"]+)"')


@pytest.mark.parametrize("which", ["sample_out", "hostile_out"])
def test_pages_exist_and_relative_links_resolve(which, request):
    out: Path = request.getfixturevalue(which)
    for name in ("maps/index.html", "maps/national.html", "site/index.html", "site/tracker.html", "site/tracker.csv",
                 "maps/lib/vis-network.min.js", "maps/lib/vis-network.css"):
        assert (out / name).exists(), name
    ids_cache: dict[Path, set[str]] = {}
    checked = 0
    for page in list(out.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        for link in _LINK.findall(html):
            assert not re.match(r"^[a-z]+:", link), f"{page}: absolute link {link}"
            path, _, frag = link.partition("#")
            target = (page.parent / unquote(path)).resolve() if path else page
            assert target.exists(), f"{page.relative_to(out)} -> {link}"
            if frag and target.suffix == ".html" and "/document/" in str(target):
                ids = ids_cache.setdefault(target, set(re.findall(r'id="([^"]+)"', target.read_text(encoding="utf-8"))))
                assert frag in ids, f"{page.relative_to(out)} -> {link}"
            checked += 1
    assert checked > 50


def test_site_has_a_page_per_finding_agency_area_document(samples, sample_out):
    corpus, _ = samples
    site = sample_out / "site"
    model = build_model(corpus)
    for r in model.rows:
        assert (site / "finding" / f"{slug(r['id'])}.html").exists()
    for d in corpus.documents:
        assert (site / "document" / f"{slug(d.id)}.html").exists()
    for a in {a for r in model.rows for a in r["agencies"]}:
        assert (site / "agency" / f"{slug(a)}.html").exists()
        assert (sample_out / "maps" / f"agency-{slug(a)}.html").exists()
    for area in {r["area"] for r in model.rows if r["area"]}:
        assert (site / "area" / f"{slug(area)}.html").exists()
        assert (sample_out / "maps" / f"area-{slug(area)}.html").exists()
    tracker = (site / "tracker.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script id="tracker-data" type="application/json">(.*?)</script>', tracker).group(1))
    assert [r[0] for r in data["rows"]] == [slug(r["id"]) for r in tracker_rows(corpus)]


def test_no_page_refers_to_the_network(sample_out):
    for p in sample_out.rglob("*.html"):
        html = p.read_text(encoding="utf-8")
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html), p


@pytest.mark.parametrize("big", [False, True])
def test_a_map_of_many_areas_keeps_each_areas_hubs_together(big, monkeypatch):
    """In a theme or agency map spanning areas, an area's agencies are laid out near each other,
    so links between its findings and evidence stay short (on the national corpus the links
    longer than a tenth of the map went from 12.5% to 4.9%). `big`: laid out as the maps over
    viz.layout.BIG nodes are (fewer iterations), forced on these smaller ones."""
    import itertools
    import math
    import statistics

    from kg.synthetic import generate
    from viz import layout
    from viz.maps import views

    if big:
        monkeypatch.setattr(layout, "BIG", 0)

    corpus = generate(1500)
    model = build_model(corpus, None)
    home = {a.id: a.area for a in corpus.agencies if a.area}
    ratios = []
    for view in [v for v in views(model) if v.kind == "theme"][:4]:
        nodes, _ = to_vis(corpus, view, model=model)
        hubs = [(n["agency"], (n["x"], n["y"])) for n in nodes if n["role"] == "agency" and n["agency"] in home]
        same = [math.dist(p, q) for (a, p), (b, q) in itertools.combinations(hubs, 2) if home[a] == home[b]]
        apart = [math.dist(p, q) for (a, p), (b, q) in itertools.combinations(hubs, 2) if home[a] != home[b]]
        assert same and apart
        ratios.append(statistics.mean(same) / statistics.mean(apart))
    print("same-area / other-area hub distance:", [round(r, 2) for r in ratios])
    assert statistics.mean(ratios) < 0.5


def test_a_redraw_reuses_exactly_the_pages_whose_view_is_unchanged(samples, sample_out, tmp_path, monkeypatch):
    """One finding's text changes. Drawn with the previous maps, the pages of the views that show
    it are laid out again and every other page is the previous file (a hard link); the result is
    byte for byte what a drawing from scratch gives."""
    import dataclasses
    import os

    from conftest import file_digests
    from viz import maps, write

    corpus, texts = samples
    target = next(s for s in corpus.statements if s.kind == "finding" and s.polarity == "weakness"
                  and s.area and s.agencies and s.themes)
    changed = dataclasses.replace(corpus, statements=[
        dataclasses.replace(s, text=s.text + " (amended)", span=dataclasses.replace(s.span, quote=s.span.quote + " (amended)"))
        if s.id == target.id else s for s in corpus.statements])
    placed = []
    place = maps._place
    monkeypatch.setattr(maps, "_place", lambda *a: placed.append(a[0]) or place(*a))
    write(changed, texts, tmp_path / "reused", workers=1, previous=sample_out)
    laid_out = len(placed)
    write(changed, texts, tmp_path / "fresh", workers=1)
    assert file_digests(tmp_path / "reused" / "maps") == file_digests(tmp_path / "fresh" / "maps")
    pages = json.loads((tmp_path / "fresh" / "maps" / maps.PAGES).read_text(encoding="utf-8"))
    showing = {f"area-{slug(target.area)}.html", *(f"agency-{slug(a)}.html" for a in target.agencies),
               *(f"theme-{slug(t)}.html" for t in target.themes)}
    linked = {p for p in pages if os.path.samefile(tmp_path / "reused" / "maps" / p, sample_out / "maps" / p)}
    assert showing <= set(pages) and linked == set(pages) - showing and linked
    assert laid_out == len(showing) < len(placed) - laid_out == len(pages)
    (sample_out / "maps" / maps.PAGES).rename(tmp_path / "pages.json")  # no record: all drawn again
    try:
        write(changed, texts, tmp_path / "unrecorded", workers=1, previous=sample_out)
    finally:
        (tmp_path / "pages.json").rename(sample_out / "maps" / maps.PAGES)
    assert file_digests(tmp_path / "unrecorded" / "maps") == file_digests(tmp_path / "fresh" / "maps")
    assert not any(os.path.samefile(tmp_path / "unrecorded" / "maps" / p, sample_out / "maps" / p) for p in pages)


def test_a_rewrite_links_exactly_the_site_pages_that_come_out_the_same(samples, sample_out, tmp_path):
    """One finding's text changes. Written with the previous site, every page whose bytes are
    the previous page's is that file (a hard link), every other page is new, and the site is
    byte for byte one written from scratch. Without the previous PAGES record nothing is linked."""
    import dataclasses
    import os

    from conftest import file_digests
    from viz import site, write

    corpus, texts = samples
    target = next(s for s in corpus.statements if s.kind == "finding" and s.polarity == "weakness" and s.area)
    changed = dataclasses.replace(corpus, statements=[
        dataclasses.replace(s, text=s.text + " (amended)") if s.id == target.id else s for s in corpus.statements])
    write(changed, texts, tmp_path / "reused", workers=1, previous=sample_out)
    write(changed, texts, tmp_path / "fresh", workers=1)
    new, old = tmp_path / "reused" / "site", sample_out / "site"
    assert file_digests(new) == file_digests(tmp_path / "fresh" / "site")
    pages = json.loads((new / site.PAGES).read_text(encoding="utf-8"))
    same = {p for p in pages if (old / p).read_bytes() == (new / p).read_bytes()}
    linked = {p for p in pages if os.path.samefile(new / p, old / p)}
    assert linked == same and f"finding/{slug(target.id)}.html" not in same and "tracker.html" not in same
    print(f"site pages linked: {len(linked)} of {len(pages)}")
    assert len(linked) > len(pages) / 2
    (old / site.PAGES).rename(tmp_path / "pages.json")
    try:
        write(changed, texts, tmp_path / "unrecorded", workers=1, previous=sample_out)
    finally:
        (tmp_path / "pages.json").rename(old / site.PAGES)
    assert not any(os.path.samefile(tmp_path / "unrecorded" / "site" / p, old / p) for p in pages)


def test_a_parts_digest_depends_on_its_data_not_on_which_of_its_strings_are_one_object():
    """Page reuse compares parts' digests across builds, whose equal strings may or may not be
    the same object (read from a pickle, or made afresh)."""
    from viz.maps import _Part

    one = "".join(["haringey"] * 3)
    shared = _Part({"id": "x", "area": one, "agencies": [one]}, [], [])
    apart = _Part({"id": "x", "area": "".join(["haringey"] * 3), "agencies": ["".join(["haringey"] * 3)]}, [], [])
    assert shared.node["area"] is shared.node["agencies"][0] and apart.node["area"] is not apart.node["agencies"][0]
    assert shared.digest() == apart.digest()
    assert shared.digest() != _Part({"id": "x", "area": one, "agencies": []}, [], []).digest()
