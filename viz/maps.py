"""Maps of findings, agencies and evidence for leaders: offline vis-network pages.

Layout: ``out/maps`` (these pages) beside ``out/site`` (the tracker, `viz.site.write_site`); a
finding node links to ``../site/finding/<id>.html``.  Each page is a small HTML file written from
`viz/assets/map.html`; the data go in a ``<script type="application/json">`` element (every
``<``, ``>`` and ``&`` escaped, so document text cannot end it), and ``lib/map.js`` builds the
network with physics off from positions computed here (`viz.layout`).  vis-network's JS and CSS
are copied from the pyvis package into ``maps/lib/``: nothing loads from the network.

Views: one area, one agency across areas, one theme, and a national overview that aggregates
(agency type x theme, with counts by status) instead of drawing every finding.
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import pickle
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Callable, Literal

from kg.ids import files_digest
from kg.models import Corpus
from viz.common import (OPEN_STATUSES, PAGES, RELATION_COLOURS, STATUS_COLOURS, STATUS_LABELS, STATUS_ORDER,
                        Model, build_model, page_digests, reuse_page, script_json, slug)
from viz.layout import hub_layout

HERE = Path(__file__).parent
TEMPLATES = HERE / "assets"
SITE = "../site"
HUB_COLOUR = "#1f3a5f"
EVIDENCE_COLOURS = {"evidence": "#6baed6", "statistic": "#9ecae1", "action": "#8e6bbf",
                    "finding": "#6baed6", "recommendation": "#6baed6"}
ViewKind = Literal["area", "agency", "theme", "national"]


@dataclass(frozen=True)
class View:
    kind: ViewKind
    id: str | None = None

    @classmethod
    def parse(cls, view: "View | str") -> "View":
        """`View`, or a string: 'national', 'area:haringey', 'agency:haringey/ccg', 'theme:neglect'."""
        if isinstance(view, View):
            return view
        kind, _, id = view.partition(":")
        if kind not in ("area", "agency", "theme", "national"):
            raise ValueError(f"unknown view {view!r}: use national, area:ID, agency:ID or theme:ID")
        return cls(kind, id or None)  # type: ignore[arg-type]

    @property
    def file(self) -> str:
        return "national.html" if self.kind == "national" else f"{self.kind}-{slug(self.id or '')}.html"


def vis_lib_dir() -> Path:
    """vis-network 9.1.2 as shipped inside the pyvis package (no download needed)."""
    try:
        import pyvis
    except ImportError as e:  # pragma: no cover
        raise ImportError("maps need the vis-network files shipped with pyvis: pip install pyvis") from e
    base = Path(pyvis.__file__).parent
    for cand in (base / "lib" / "vis-9.1.2", base / "templates" / "lib" / "vis-9.1.2"):
        if (cand / "vis-network.min.js").exists():
            return cand
    raise FileNotFoundError(f"vis-network.min.js not found under {base}")


def _in_view(model: Model, view: View) -> list[dict]:
    return list(model.rows) if view.kind == "national" else model.in_view(view.kind, view.id)


def _doc_info(model: Model, doc_id: str) -> str:
    d = model.docs.get(doc_id)
    return f"{d.title} ({d.file})" if d else doc_id


def to_vis(corpus: Corpus, view: View | str, as_of: str | None = None,
           model: Model | None = None) -> tuple[list[dict], list[dict]]:
    """The vis-network nodes and edges of one view (positions included), as plain dicts.

    Built from `kg.export.finding_rows` (statuses from `kg.link.current`).  `kg.pg.to_networkx`
    is not used: it builds the whole property graph (documents, references, assessments…) on
    every call, while a view needs only a few hundred rows of it."""
    view = View.parse(view)
    model = model or build_model(corpus, as_of)
    if view.kind == "national":
        return _national(model)
    return _place(*_unplaced(model, view))


@dataclass(frozen=True)
class _Part:
    """What one row brings to every view it is in."""
    node: dict         # the row's own node
    edges: list[dict]  # 'concerns' from each of its agencies, then one per follow-up from its evidence
    evidence: list[tuple[str, str, dict]]  # (evidence id, "relation (score)", its node: targets set per view)

    def digest(self) -> str:
        """SHA-256 of the part's pickle made without a memo, so equal parts give equal bytes
        whichever of their strings are one object (4x faster than hashing their JSON)."""
        buf = io.BytesIO()
        pickler = pickle.Pickler(buf, protocol=5)
        pickler.fast = True
        pickler.dump((self.node, self.edges, self.evidence))
        return hashlib.sha256(buf.getvalue()).hexdigest()


def _part_digest(model: Model, r: dict) -> str:
    """The digest of a row's part, made once per build (the parts themselves are not kept:
    nationally they would hold 0.2 GB through the drawing)."""
    if (done := model.part_digests.get(r["id"])) is None:
        done = model.part_digests[r["id"]] = _part(model, r).digest()
    return done


def _part(model: Model, r: dict) -> _Part:
    kind, st = r["kind"], r["status"]
    node = {"id": r["id"], "role": "target", "kind": kind, "status": st, "shape": "dot" if kind == "finding" else "triangle",
            "size": 11, "color": STATUS_COLOURS[st], "url": f"{SITE}/finding/{slug(r['id'])}.html",
            "area": r["area"], "agencies": r["agencies"], "themes": r["themes"], "date": r["date"],
            "hist": model.history.get(r["id"], []),
            "info": [["Kind", "recommendation" if kind == "recommendation" else "weakness"], ["Quote", r["quote"]],
                     ["Document", _doc_info(model, r["document"])], ["Date", r["date"] or "?"],
                     ["Status", STATUS_LABELS[st]], ["Confidence", f"{r['confidence']:.2f}"],
                     ["Agencies", "; ".join(r["agency_labels"]) or "none named"],
                     ["Themes", "; ".join(model.theme_label(t) for t in r["themes"]) or "none"],
                     ["", "Click to open the trace"]]}
    edges = [{"from": "agency:" + a, "to": r["id"], "label": "concerns", "role": "concerns"} for a in r["agencies"]]
    evidence = []
    for f in r["followups"]:
        if f["reviewed"] == "rejected":
            continue
        e, s = f["evidence"], model.stmts[f["evidence"]]
        edges.append({"from": e, "to": r["id"], "label": f["relation"], "role": "followup",
                      "relation": f["relation"], "arrows": "to", "dashes": f["relation"] == "mentions",
                      "color": RELATION_COLOURS.get(f["relation"], "#999"), "width": 1 + 2 * float(f["score"])})
        evidence.append((e, f"{f['relation']} ({float(f['score']):.2f})", {
            "id": e, "role": "evidence", "kind": s.kind, "shape": "square" if s.kind == "action" else "diamond",
            "size": 6, "color": EVIDENCE_COLOURS.get(s.kind, "#6baed6"), "date": s.date,
            "targets": None, "url": f"{SITE}/document/{slug(s.doc)}.html#{slug(e)}",
            "info": [["Kind", s.kind], ["Quote", s.span.quote], ["Document", _doc_info(model, s.doc)],
                     ["Date", s.date or "?"]]}))
    return _Part(node, edges, evidence)


def _recurs(model: Model, rows: list[dict]) -> list[dict]:
    """'recurs' edges between the rows of a view."""
    ids = {r["id"] for r in rows}
    return [{"from": rc.a, "to": rc.b, "label": "recurs", "role": "recurs", "dashes": True, "color": "#7b3294"}
            for t in sorted(ids) for rc in model.recurrences.get(t, ()) if rc.b in ids]


def _unplaced(model: Model, view: View) -> tuple[list[dict], list[dict], dict]:
    """A view's nodes and edges before layout, and what the layout is computed from: its rows'
    parts (`_part`), with the agencies as hubs and each piece of evidence as one node for all
    the rows it follows up."""
    rows = _in_view(model, view)
    parts = [_part(model, r) for r in rows]
    targets = {r["id"] for r in rows}
    open_by_agency: Counter = Counter()
    all_by_agency: Counter = Counter()
    area_of: dict[str, Counter] = defaultdict(Counter)  # a hub sits with the area most of its findings are in
    for r in rows:
        for a in r["agencies"]:
            open_by_agency[a] += r["status"] in OPEN_STATUSES
            all_by_agency[a] += 1
            area_of[a][r["area"] or ""] += 1
    hub_ids = sorted(all_by_agency)
    hub_size = {a: min(14 + 4 * open_by_agency[a] ** 0.5, 60) for a in hub_ids}
    nodes: list[dict] = [
        {"id": "agency:" + a, "role": "agency", "agency": a, "label": model.agency_label(a),
         "shape": "dot", "size": round(hub_size[a], 1), "color": HUB_COLOUR,
         "font": {"size": 20, "strokeWidth": 5, "strokeColor": "#ffffff", "face": "system-ui, sans-serif"},
         "url": f"{SITE}/agency/{slug(a)}.html",
         "info": [["Agency", model.agency_label(a)], ["Type", model.agency_type(a)],
                  ["Open findings here", str(open_by_agency[a])], ["All findings here", str(all_by_agency[a])]]}
        for a in hub_ids]
    nodes += [p.node for p in parts]
    satellites: dict[str, list[str]] = {}
    evidence: dict[str, dict] = {}
    relations: dict[str, list[str]] = defaultdict(list)
    for r, p in zip(rows, parts):
        satellites[r["id"]] = [e for e, _, _ in p.evidence if e not in targets]
        for e, relation, node in p.evidence:
            if e not in targets:
                evidence.setdefault(e, {**node, "targets": []})["targets"].append(r["id"])
                relations[e].append(relation)
    for e, ev in evidence.items():
        ev["info"] = [*ev["info"], ["Relation", "; ".join(relations[e])]]
    nodes += evidence.values()
    edges = [e for p in parts for e in p.edges] + _recurs(model, rows)
    for i, e in enumerate(edges):
        e["id"] = f"e{i}"
    layout = {"hubs": {"agency:" + a: open_by_agency[a] for a in hub_ids},
              "targets": {r["id"]: tuple("agency:" + a for a in r["agencies"]) for r in rows},
              "satellites": satellites, "hub_radius": {"agency:" + a: hub_size[a] for a in hub_ids},
              "clusters": {"agency:" + a: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]
                           for a, c in area_of.items()}}
    return nodes, edges, layout


def _place(nodes: list[dict], edges: list[dict], layout: dict) -> tuple[list[dict], list[dict]]:
    pos = hub_layout(**layout)
    for n in nodes:
        n["x"], n["y"] = pos.get(n["id"], (0.0, 0.0))
    return nodes, edges


def national_counts(model: Model) -> dict[tuple[str, str], Counter]:
    """(agency type, theme) -> Counter of statuses; a finding counts once per distinct type."""
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in model.rows:
        for t in sorted({model.agency_type(a) for a in r["agencies"]}):
            for th in r["themes"]:
                out[(t, th)][r["status"]] += 1
    return out


def _national(model: Model) -> tuple[list[dict], list[dict]]:
    counts = national_counts(model)
    types = sorted({t for t, _ in counts})
    themes = sorted({th for _, th in counts})
    by_type: dict[str, Counter] = defaultdict(Counter)
    by_theme: dict[str, Counter] = defaultdict(Counter)
    for (t, th), c in counts.items():
        by_type[t].update(c)
        by_theme[th].update(c)

    def size(c: Counter) -> float:
        return round(min(10 + 1.2 * sum(c[s] for s in OPEN_STATUSES) ** 0.5, 34), 1)

    def info(name: str, c: Counter) -> list[list[str]]:
        return [["", name]] + [[STATUS_LABELS[s], str(c[s])] for s in STATUS_ORDER] + \
            [["Note", "links count finding × type × theme pairs"]]
    nodes = []
    gap = 70
    for i, t in enumerate(types):
        nodes.append({"id": "type:" + t, "role": "type", "agencyType": t, "label": t, "shape": "dot", "size": size(by_type[t]),
                      "color": HUB_COLOUR, "x": -450, "y": (i - (len(types) - 1) / 2) * gap * max(1.6, len(themes) * 0.75 / max(len(types), 1)),
                      "font": {"size": 16, "strokeWidth": 4, "strokeColor": "#ffffff"},
                      "info": info(f"Agency type: {t}", by_type[t])})
    for i, th in enumerate(themes):
        nodes.append({"id": "theme:" + th, "role": "theme", "theme": th, "label": model.theme_label(th), "shape": "box",
                      "color": "#fff4d6", "x": 450, "y": (i - (len(themes) - 1) / 2) * gap * 0.75,
                      "url": f"theme-{slug(th)}.html", "info": info(f"Theme: {model.theme_label(th)}", by_theme[th])})
    edges = []
    for (t, th), c in sorted(counts.items()):
        open_ = sum(c[s] for s in OPEN_STATUSES)
        edges.append({"id": f"{t}|{th}", "from": "type:" + t, "to": "theme:" + th, "role": "count",
                      "counts": {s: c[s] for s in STATUS_ORDER},
                      "value": open_, "width": round(1 + 1.5 * open_ ** 0.5, 1),
                      "color": STATUS_COLOURS["persists"] if c["persists"] else "#888888"})
    if len(edges) <= 30:  # beyond that the labels pile up in the middle: counts show on hover and in the table
        for ed in edges:
            ed["label"] = f"{sum(ed['counts'][s] for s in OPEN_STATUSES)} open / {sum(ed['counts'].values())}"
    return nodes, edges


def _records(model: Model) -> list[dict]:
    """What the national page re-aggregates when a filter changes."""
    return [{"id": r["id"], "area": r["area"], "agencies": r["agencies"], "themes": r["themes"],
             "types": sorted({model.agency_type(a) for a in r["agencies"]}), "date": r["date"],
             "status": r["status"], "hist": model.history.get(r["id"], [])} for r in model.rows]


def _options(model: Model, view: View) -> dict:
    rows = _in_view(model, view)
    areas = sorted({r["area"] for r in rows if r["area"]})
    agencies = sorted({a for r in rows for a in r["agencies"]})
    themes = sorted({t for r in rows for t in r["themes"]})
    return {"area": [[a, model.area_label(a)] for a in areas],
            "agency": [[a, model.agency_label(a)] for a in agencies],
            "theme": [[t, model.theme_label(t)] for t in themes]}


def _title(model: Model, view: View) -> str:
    if view.kind == "area":
        return f"Area: {model.area_label(view.id)}"
    if view.kind == "agency":
        return f"Agency: {model.agency_label(view.id or '')}"
    if view.kind == "theme":
        return f"Theme: {model.theme_label(view.id or '')}"
    return "National overview: agency type × theme"


def render(model: Model, view: View) -> str:
    return _page(model, view, *to_vis(model.corpus, view, model=model))


def _page(model: Model, view: View, nodes: list[dict], edges: list[dict]) -> str:
    data = {"view": {"kind": view.kind, "id": view.id}, "asOf": model.as_of, "nodes": nodes, "edges": edges,
            "statuses": [[s, STATUS_LABELS[s], STATUS_COLOURS[s]] for s in STATUS_ORDER],
            "options": _options(model, view), "site": SITE}
    if view.kind == "national":
        data["records"] = _records(model)
    legend = "".join(f'<label class="st"><input type="checkbox" name="status" value="{s}" checked>'
                     f'<span class="sw" style="background:{STATUS_COLOURS[s]}"></span>{escape(STATUS_LABELS[s])}</label>'
                     for s in STATUS_ORDER)
    shapes = ('<span class="key"><span class="sh dot"></span>weakness</span>'
              '<span class="key"><span class="sh tri"></span>recommendation</span>'
              '<span class="key"><span class="sh hub"></span>agency (size: open findings)</span>'
              '<span class="key"><span class="sh dia"></span>evidence</span>'
              '<span class="key"><span class="sh sq"></span>action</span>'
              '<span class="key"><span class="ln sup"></span>supports</span>'
              '<span class="key"><span class="ln con"></span>contradicts</span>'
              '<span class="key"><span class="ln men"></span>mentions</span>'
              '<span class="key"><span class="ln rec"></span>recurs (across areas: when two at most are shown)</span>') if view.kind != "national" else (
              '<span class="key"><span class="sh hub"></span>agency type</span>'
              '<span class="key"><span class="sh box"></span>theme (click: theme map)</span>'
              '<span class="key">link label: open / all findings; width: open</span>')
    page = (TEMPLATES / "map.html").read_text(encoding="utf-8")
    as_of = f" · statuses as of {escape(model.as_of)}" if model.as_of else ""
    return (page.replace("{{title}}", escape(_title(model, view)))
            .replace("{{subtitle}}", as_of).replace("{{bodyclass}}", view.kind)
            .replace("{{legend}}", legend).replace("{{shapes}}", shapes)
            .replace("{{matrix}}", '<section id="matrix" aria-label="counts by theme and agency type"></section>'
                     if view.kind == "national" else "")
            .replace("{{data}}", script_json(data)))


def views(model: Model) -> list[View]:
    """Every view written: each area, each agency with findings, each theme, the national overview."""
    out = [View("area", a) for a in sorted({r["area"] for r in model.rows if r["area"]})]
    out += [View("agency", a) for a in sorted({a for r in model.rows for a in r["agencies"]})]
    out += [View("theme", t) for t in sorted({t for r in model.rows for t in r["themes"]})]
    return out + [View("national")]


def write_maps(corpus: Corpus, out_dir: Path | str, as_of: str | None = None,
               model: Model | None = None, workers: int = 1,
               meanwhile: Callable[[], object] | None = None, previous: Path | str | None = None) -> list[Path]:
    """Write maps/index.html and one page per view into `out_dir` (put it at ``out/maps`` beside
    ``out/site`` so finding links resolve).  Returns the pages written.

    `previous`: the maps folder of an earlier build. A page whose view digest (`_digest`: its
    rows' parts, hubs, recurrences, title and filters, and the drawing code) is the one recorded
    there in PAGES is linked from there, without its nodes being built or laid out again.
    With `workers` > 1 (and fork available) the views are shared among forked worker processes,
    which inherit the model; `meanwhile`, if given, runs in this process while they work."""
    from kg.pipeline import fork_context, worker_pool

    global _shared
    out = Path(out_dir)
    (out / "lib").mkdir(parents=True, exist_ok=True)
    model = model or build_model(corpus, as_of)
    before = (Path(previous), page_digests(Path(previous))) if previous is not None else None
    lib = vis_lib_dir()
    shutil.copyfile(lib / "vis-network.min.js", out / "lib" / "vis-network.min.js")
    shutil.copyfile(lib / "vis-network.css", out / "lib" / "vis-network.css")
    for name in ("map.js", "map.css"):
        shutil.copyfile(TEMPLATES / name, out / "lib" / name)
    todo = views(model)
    if workers > 1 and fork_context().get_start_method() == "fork":
        _shared = (model, out, todo, before)  # inherited by the forked workers, never pickled
        try:
            with worker_pool(workers) as pool:
                # biggest views first, dealt round the workers
                order = sorted(range(len(todo)), key=lambda i: -len(_in_view(model, todo[i])))
                parts = [pool.submit(_write_views, order[k::workers]) for k in range(workers)]
                if meanwhile:
                    meanwhile()
                done = dict(page for part in parts for page in part.result())
        finally:
            _shared = None
    else:
        done = dict(_write_view(model, out, v, before) for v in todo)
        if meanwhile:
            meanwhile()
    written = [out / v.file for v in todo if out / v.file in done]
    (out / PAGES).write_text(json.dumps({p.name: done[p] for p in written if done[p]}, sort_keys=True, indent=0),
                             encoding="utf-8")
    sections: dict[str, list[str]] = defaultdict(list)
    for v in todo:
        label = _title(model, v).split(": ", 1)[-1]
        sections[v.kind].append(f'<li><a href="{escape(v.file)}">{escape(label)}</a> <span class="n">'
                                f'{len(_in_view(model, v))} findings</span></li>')
    names = {"national": "National overview", "area": "Areas", "agency": "Agencies (across areas)", "theme": "Themes"}
    body = "".join(f"<h2>{names[k]}</h2><ul>{''.join(sections[k])}</ul>" for k in ("national", "area", "agency", "theme")
                   if sections[k])
    index = (TEMPLATES / "maps_index.html").read_text(encoding="utf-8").replace("{{body}}", body).replace(
        "{{subtitle}}", f" · statuses as of {escape(as_of)}" if as_of else "")
    (out / "index.html").write_text(index, encoding="utf-8")
    return [out / "index.html", *written]


_shared: tuple[Model, Path, list[View], tuple[Path, dict[str, str]] | None] | None = None


@functools.cache
def _code_digest() -> str:
    """The drawing code, its page templates and the libraries the layout runs on."""
    import igraph
    import numpy
    import scipy

    h = hashlib.sha256(f"{igraph.__version__} {numpy.__version__} {scipy.__version__}".encode())
    files = sorted(f for f in [HERE / "maps.py", HERE / "layout.py", HERE / "common.py", *TEMPLATES.iterdir()]
                   if f.is_file())
    return files_digest(h, files).hexdigest()


def _digest(model: Model, view: View) -> str:
    """What a view's page is made from, positions aside (the layout is computed from these too):
    the digests of its rows' parts, its hubs' names and types, the recurrences among its rows,
    its title, filters and date, and the drawing code."""
    rows = _in_view(model, view)
    hubs = sorted({a for r in rows for a in r["agencies"]})
    h = hashlib.sha256(_code_digest().encode())
    h.update(script_json([_title(model, view), model.as_of, _options(model, view),
                          [[a, model.agency_label(a), model.agency_type(a)] for a in hubs],
                          [_part_digest(model, r) for r in rows], _recurs(model, rows)]).encode())
    return h.hexdigest()


def _write_view(model: Model, out: Path, v: View,
                before: tuple[Path, dict[str, str]] | None) -> tuple[Path, str | None]:
    """Write one view's page, or link it from `before` (the previous maps folder and its PAGES)
    when its digest is the one recorded there; (page, its digest), the national overview (drawn
    from every row, always drawn) without one."""
    page = out / v.file
    if v.kind == "national":
        page.write_text(render(model, v), encoding="utf-8")
        return page, None
    digest = _digest(model, v)
    if not reuse_page(before, v.file, digest, page):  # a page gone or not linkable is drawn again
        page.write_text(render(model, v), encoding="utf-8")
    return page, digest


def _write_views(indices: list[int]) -> list[tuple[Path, str | None]]:
    model, out, todo, before = _shared
    return [_write_view(model, out, todo[i], before) for i in indices]
