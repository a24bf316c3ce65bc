"""The maps and the tracker as a person uses them, in Debian's chromium driven by Playwright.

Every page is opened from file://; any request to anything else fails the test.  Screenshots go
to a tmp dir, and one map and one tracker screenshot to docs/screenshots/ for the README.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from vizkit import BOLD, PWN, hostile_corpus, hostile_out, sample_out  # noqa: F401  (fixtures)
from viz.maps import to_vis

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"

if not CHROMIUM.exists():
    pytest.skip("Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def out(sample_out):
    return sample_out


@pytest.fixture(scope="module")
def hostile(hostile_out):
    return hostile_out


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("shots")


class Watched:
    """A page that records console errors and refuses every request that is not file://."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, path: Path, wait_map: bool = False):
        self.page.goto(path.as_uri())
        if wait_map:
            self.page.wait_for_selector("body[data-drawn]", timeout=20000)
        return self.page

    def check(self):
        assert self.outside == [], f"requests left the machine: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"
        self.page.close()


def _hover_node(page, node_id: str):
    box = page.locator("#network").bounding_box()
    xy = page.evaluate("""id => { const p = network.getPositions([id])[id]; return network.canvasToDOM(p); }""", node_id)
    page.mouse.move(box["x"] + xy["x"], box["y"] + xy["y"])
    page.wait_for_timeout(50)
    page.mouse.move(box["x"] + xy["x"] + 1, box["y"] + xy["y"])


def test_area_map_draws_offline_with_expected_nodes(browser, out, samples, shots):
    corpus, _ = samples
    area = sorted({s.area for s in corpus.statements if s.area})[-1]
    nodes, edges = to_vis(corpus, f"area:{area}")
    w = Watched(browser)
    t0 = time.perf_counter()
    page = w.open(out / "maps" / f"area-{area}.html", wait_map=True)
    elapsed = time.perf_counter() - t0
    assert page.evaluate("network.body.data.nodes.length") == len(nodes)
    assert page.evaluate("network.body.data.edges.length") == len(edges)
    assert page.evaluate("kg.visibleCount()") == len(nodes)
    assert page.evaluate("typeof network.physics.options.enabled === 'boolean' && !network.physics.options.enabled")
    assert elapsed < 5, f"one-area map took {elapsed:.2f}s to draw"
    page.screenshot(path=str(shots / "map.png"))
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shots / "map.png", DOCS / "map.png")
    w.check()


def test_filters_change_what_is_shown(browser, out, samples):
    corpus, _ = samples
    area = sorted({s.area for s in corpus.statements if s.area})[-1]
    w = Watched(browser)
    page = w.open(out / "maps" / f"area-{area}.html", wait_map=True)
    before = page.evaluate("kg.visibleCount()")
    page.uncheck("input[name=status][value=no_evidence]")
    after_status = page.evaluate("kg.visibleCount()")
    assert 0 < after_status < before
    assert "Showing" in page.inner_text("#count")
    page.click("#reset")
    assert page.evaluate("kg.visibleCount()") == before
    agencies = page.eval_on_selector_all("select[name=agency] option", "os => os.map(o => o.value).filter(Boolean)")
    page.select_option("select[name=agency]", agencies[0])
    assert page.evaluate("kg.visibleCount()") < before
    page.click("#reset")
    page.fill("input[name=date]", "2016-12-31")
    page.dispatch_event("input[name=date]", "change")
    assert page.evaluate("kg.visibleCount()") < before  # later findings did not exist yet
    w.check()


HUB_LABELS = """() => kg.nodes.get({filter: n => n.role === 'agency' && !n.hidden}).map(n => (
    {id: n.id, shown: !!n.label, box: network.body.nodes[n.id].labelModule.size}))"""


def _overlapping(labels: list[dict]) -> list[tuple[str, str]]:
    """Pairs of shown labels whose drawn boxes (vis-network's own label geometry) overlap."""
    shown = [(x["id"], x["box"]) for x in labels if x["shown"]]
    return [(i, j) for k, (i, a) in enumerate(shown) for j, b in shown[k + 1:]
            if a["left"] < b["left"] + b["width"] and b["left"] < a["left"] + a["width"]
            and a["top"] < b["top"] + b["height"] and b["top"] < a["top"] + a["height"]]


def test_hub_labels_never_overlap(browser, out, samples):
    """At any zoom, a hub's label that would overlap a bigger hub's is left out (hover names it);
    zooming in brings labels back. Croydon's map has two hubs whose labels collide at its fit."""
    corpus, _ = samples
    for area in sorted({s.area for s in corpus.statements if s.area}):
        w = Watched(browser)
        page = w.open(out / "maps" / f"area-{area}.html", wait_map=True)
        box = page.locator("#network").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        shown = []
        for wheel in (0, 400, -2500):  # as fitted, zoomed out, zoomed well in
            if wheel:
                page.mouse.wheel(0, wheel)
            page.wait_for_timeout(300)
            labels = page.evaluate(HUB_LABELS)
            assert not _overlapping(labels), (area, wheel, _overlapping(labels))
            shown.append(sum(x["shown"] for x in labels))
        assert shown[0] >= 1 and shown[2] >= shown[0], (area, shown)
        w.check()


RECURS = """() => kg.edges.get({filter: e => e.role === 'recurs'}).map(e => ({
  across: kg.nodes.get(e.from).area !== kg.nodes.get(e.to).area, drawn: !e.hidden
  && !kg.nodes.get(e.from).hidden && !kg.nodes.get(e.to).hidden}))"""


def test_evidence_and_links_between_areas_wait_for_two_areas_at_most(browser, out, tmp_path):
    """Across many areas, recurrence links would cross the whole map and evidence would bury it:
    both wait for an area to be chosen. A map of two areas (the samples' theme maps) draws them."""
    from kg.synthetic import generate
    from viz.maps import write_maps

    corpus = generate(400)
    write_maps(corpus, tmp_path / "maps")
    w = Watched(browser)
    theme = max((t for s in corpus.statements for t in s.themes), key=lambda t: sum(
        1 for r in corpus.recurrences if t in r.themes))
    page = w.open(tmp_path / "maps" / f"theme-{theme}.html", wait_map=True)
    links = page.evaluate(RECURS)
    areas = page.eval_on_selector_all("select[name=area] option", "os => os.map(o => o.value).filter(Boolean)")
    assert len(areas) > 2 and any(x["across"] for x in links)
    assert not any(x["drawn"] for x in links if x["across"])
    assert "choose an area" in page.inner_text("#count")
    evidence = "kg.nodes.get({filter: n => n.role === 'evidence'}).length"
    assert page.evaluate(evidence) == 0  # put on the map only for two areas at most
    page.select_option("select[name=area]", areas[0])
    assert "choose an area" not in page.inner_text("#count")
    nodes, _ = to_vis(corpus, f"theme:{theme}")
    shown = {n["id"] for n in nodes if n["role"] == "target" and n["area"] == areas[0]}
    assert page.evaluate(evidence) == sum(1 for n in nodes if n["role"] == "evidence" and shown & set(n["targets"])) > 0
    w.check()

    w = Watched(browser)
    page = w.open(out / "maps" / "theme-thresholds.html", wait_map=True)  # Croydon and Haringey
    links = page.evaluate(RECURS)
    assert any(x["across"] and x["drawn"] for x in links)
    w.check()


def test_national_view_aggregates_and_filters(browser, out, samples, shots):
    corpus, _ = samples
    nodes, edges = to_vis(corpus, "national")
    w = Watched(browser)
    page = w.open(out / "maps" / "national.html", wait_map=True)
    assert page.evaluate("network.body.data.nodes.length") == len(nodes)
    total = sum(sum(e["counts"].values()) for e in edges)
    cells = page.eval_on_selector_all("#matrix td", "tds => tds.map(t => t.textContent).filter(Boolean)")
    assert sum(int(c.split(" / ")[1]) for c in cells) == total
    page.uncheck("input[name=status][value=no_evidence]")
    cells2 = page.eval_on_selector_all("#matrix td", "tds => tds.map(t => t.textContent).filter(Boolean)")
    assert sum(int(c.split(" / ")[1]) for c in cells2) < total
    page.screenshot(path=str(shots / "national.png"), full_page=True)
    w.check()


def test_tooltip_and_pages_show_markup_as_text(browser, hostile, shots):
    w = Watched(browser)
    page = w.open(hostile / "maps" / "area-testarea.html", wait_map=True)
    _hover_node(page, "st-weak")
    tip = page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
    text = tip.inner_text()
    assert PWN in text and BOLD in text
    assert tip.query_selector("script") is None and tip.query_selector("b:not(.kg-tip b)") is None
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.screenshot(path=str(shots / "tooltip.png"))
    for rel in ("site/finding/st-weak.html", "site/document/doc-a.html", "site/tracker.html", "site/index.html",
                "site/agency/testarea__csc.html", "site/area/testarea.html"):
        page.goto((hostile / rel).as_uri())
        assert page.evaluate("typeof window.__pwned") == "undefined", rel
        assert page.locator("main script:not([type='application/json'])").count() == 0, rel
        if rel == "site/tracker.html":  # rows drawn from JSON show the markup as text
            assert BOLD in page.inner_text("#tracker") and page.locator("#tracker b").count() == 0
    page.goto((hostile / "site/finding/st-weak.html").as_uri())
    body = page.inner_text("main")
    assert PWN in body and BOLD in body
    w.check()


def test_clicking_a_finding_opens_its_trace(browser, hostile):
    w = Watched(browser)
    page = w.open(hostile / "maps" / "area-testarea.html", wait_map=True)
    box = page.locator("#network").bounding_box()
    xy = page.evaluate("""() => network.canvasToDOM(network.getPositions(['st-weak'])['st-weak'])""")
    with page.expect_navigation():
        page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
    assert page.url.endswith("/site/finding/st-weak.html")
    assert "Strategy discussions are late" in page.inner_text("main")
    w.check()


def test_tracker_sorts_filters_and_links_to_the_trace(browser, out, samples, shots):
    from kg.export import tracker_rows
    corpus, _ = samples
    rows = tracker_rows(corpus)
    w = Watched(browser)
    page = w.open(out / "site" / "tracker.html")
    assert page.locator("#tracker tbody tr").count() == len(rows)
    assert page.inner_text("#count") == f"{len(rows)} of {len(rows)} shown"
    page.select_option("select[name=status]", "open")
    page.select_option("select[name=status]", "no_evidence")
    shown = page.locator("#tracker tbody tr:not([hidden])").count()
    assert shown == sum(r["status"] == "no_evidence" for r in rows)
    page.select_option("select[name=status]", "")
    page.click("#tracker th[data-col='7']")  # date, ascending
    dates = page.eval_on_selector_all("#tracker tbody tr td:nth-child(8)", "tds => tds.map(t => t.textContent)")
    assert dates == sorted(dates)
    assert page.locator("a[href='tracker.csv']").count() == 1
    page.click("#tracker th[data-col='5']")  # status: persists first
    page.screenshot(path=str(shots / "tracker.png"))
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shots / "tracker.png", DOCS / "tracker.png")
    target = next(r for r in rows if r["followups"]) if any(r["followups"] for r in rows) else rows[0]
    link = page.locator(f"#tracker a[href='finding/{target['id']}.html']")
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(f"/site/finding/{target['id']}.html")
    assert target["text"][:40] in page.inner_text("p.lead")
    page.click("blockquote.context mark") if page.locator("blockquote.context mark").count() else None
    w.check()


def test_a_big_tracker_draws_a_page_at_a_time(browser, tmp_path):
    """Thousands of rows are filtered and sorted as data; the first page of the matches is drawn
    and "Show more" draws the next."""
    from kg.export import tracker_rows
    from kg.synthetic import generate
    from viz.site import TRACKER_PAGE, write_site

    corpus = generate(1500)
    rows = tracker_rows(corpus)
    assert len(rows) > 2 * TRACKER_PAGE
    write_site(corpus, {}, tmp_path / "site")
    w = Watched(browser)
    page = w.open(tmp_path / "site" / "tracker.html")
    drawn = "#tracker tbody tr"
    assert page.locator(drawn).count() == TRACKER_PAGE
    assert page.inner_text("#count") == f"{len(rows)} of {len(rows)} match (the first {TRACKER_PAGE} shown)"
    page.click("#more")
    assert page.locator(drawn).count() == 2 * TRACKER_PAGE
    page.click("#tracker th[data-col='7']")  # date, ascending: over every row, not the drawn ones
    first = page.eval_on_selector_all(drawn + " td:nth-child(8)", "tds => tds.map(t => t.textContent)")
    assert first == sorted(r["date"] or "" for r in rows)[:TRACKER_PAGE]
    area = rows[-1]["area"]
    page.select_option("select[name=area]", area)
    want = sum(r["area"] == area for r in rows)
    assert page.locator(drawn).count() == min(want, TRACKER_PAGE)
    assert set(page.eval_on_selector_all(drawn, "trs => trs.map(t => t.dataset.area)")) == {area}
    assert page.inner_text("#count").startswith(f"{want} of {len(rows)}")
    w.check()


def test_index_and_document_pages(browser, out, samples, shots):
    corpus, _ = samples
    w = Watched(browser)
    page = w.open(out / "site" / "index.html")
    assert page.locator("table.summary").count() == 3
    assert page.locator(".bar .seg").count() > 0
    page.screenshot(path=str(shots / "index.png"), full_page=False)
    doc = next(d for d in corpus.documents if d.kind == "jtai_letter")
    page.goto((out / "site" / "document" / f"{doc.id}.html").as_uri())
    marks = page.locator("a.hl mark")
    assert marks.count() > 0
    with page.expect_navigation():
        marks.first.click()
    assert "/site/finding/" in page.url
    w.check()
