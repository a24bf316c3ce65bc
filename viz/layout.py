"""Positions for a map, computed before the page is written (the page runs with physics off).

A force layout over every node is what made vis.js stall, and networkx's spring layout over
thousands of nodes is slow too.  So the force layout runs only over a small graph: agency hubs
plus one node per *group* (the set of agencies a finding concerns), with igraph's
Fruchterman-Reingold (C; networkx's, in numpy, took 4x as long on the national theme maps).
Findings are then packed around their group in a sunflower spiral (a finding concerning one
agency sits around that agency's hub), and the evidence of each finding in a small ring around
it.  Cost: a force layout over tens of nodes plus O(n) placement, so a 5,000-finding view lays
out in well under a second.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict

import igraph
import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

GOLDEN = math.pi * (3 - math.sqrt(5))
# Above this many hubs and groups (country-wide theme maps) the force layout runs 20 iterations,
# not 100: the 44 national theme layouts took 18.9 s against 46.5 s, with 9.9% of links longer
# than a tenth of the map against 9.2%, and same-area hubs about as close (0.25 of the distance to
# other areas' hubs, against 0.23) (measured with networkx's layout, before igraph's).
BIG = 300


def force_layout(g: nx.Graph, seed: int, iterations: int) -> dict[str, np.ndarray]:
    """Fruchterman-Reingold positions of g's nodes (edge attribute "weight" multiplies the
    attraction), from seeded random starting points; the same graph gives the same positions."""
    nodes = list(g)
    index = {n: i for i, n in enumerate(nodes)}
    ig = igraph.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b in g.edges()])
    start = np.random.default_rng(seed).random((len(nodes), 2)).tolist()
    state = random.getstate()  # igraph draws from Python's random module (for coinciding nodes)
    random.seed(seed)
    try:
        xy = np.array(ig.layout_fruchterman_reingold(weights=[w for *_, w in g.edges(data="weight", default=1.0)],
                                                     niter=iterations, seed=start, grid=False).coords)
    finally:
        random.setstate(state)
    xy -= xy.mean(axis=0)
    xy /= max(float(np.abs(xy).max()), 1e-9)
    return {n: xy[i] for i, n in enumerate(nodes)}


def hub_layout(hubs: dict[str, float], targets: dict[str, tuple[str, ...]],
               satellites: dict[str, list[str]], hub_radius: dict[str, float] | None = None,
               seed: int = 7, clusters: dict[str, str] | None = None) -> dict[str, tuple[float, float]]:
    """hubs: hub id -> weight; targets: target id -> hub ids it concerns (may be empty);
    satellites: target id -> ids placed in a ring around it; clusters: hub id -> a cluster (its
    area) whose hubs are drawn together, so that links inside an area stay short in a view of
    many areas.  Returns id -> (x, y) in pixels."""
    hub_radius = hub_radius or {}
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for t in sorted(targets):
        key = tuple(sorted(h for h in targets[t] if h in hubs))
        groups[key if len(key) != 1 else key].append(t)
    has_sat = any(satellites.get(t) for t in targets)
    spacing = 44.0 if has_sat else 28.0

    # The small graph the force layout runs over: hubs and multi-hub groups.
    g = nx.Graph()
    centre_of: dict[tuple[str, ...], str] = {}
    for h in sorted(hubs):
        g.add_node(h)
    for key, members in groups.items():
        if len(key) == 1:
            centre_of[key] = key[0]
            continue
        node = "group:" + "|".join(key) if key else "group:"
        centre_of[key] = node
        g.add_node(node)
        for h in key:
            g.add_edge(node, h, weight=1.0 + math.log1p(len(members)))
    members_of: dict[str, list[str]] = defaultdict(list)
    for h, c in sorted((clusters or {}).items()):
        if h in hubs:
            members_of[c].append(h)
    layout_graph = g.copy()
    for c, hs in members_of.items() if len(members_of) > 1 else ():
        # pulls the cluster's hubs together; not drawn, no disc
        layout_graph.add_edges_from((("cluster:" + c), h, {"weight": 3.0}) for h in hs)
    if len(g) == 1:
        raw = {n: np.zeros(2) for n in g}
    elif len(g) == 2:
        raw = {n: np.array([i * 2.0 - 1.0, 0.0]) for i, n in enumerate(sorted(g))}
    else:
        raw = force_layout(layout_graph, seed, 100 if len(g) <= BIG else 20)

    # Disc radius each centre needs for its members (plus the hub itself).
    count: dict[str, int] = defaultdict(int)
    for key, members in groups.items():
        count[centre_of[key]] += len(members)
    inner: dict[str, float] = {n: (hub_radius.get(n, 0.0) + 16.0) for n in g}
    radius = {n: math.sqrt((inner[n] / spacing) ** 2 + count[n]) * spacing + (18 if has_sat else 6) for n in g}

    names = sorted(g)
    pos = np.array([raw[n] for n in names], dtype=float)
    rad = np.array([radius[n] for n in names])
    pos *= max(rad.sum() / max(len(names), 1), 60.0) * math.sqrt(len(names))
    reach = 2 * rad.max() + 30.0
    for _ in range(80):  # push overlapping discs apart (only pairs near enough to overlap)
        i, j = cKDTree(pos).query_pairs(reach, output_type="ndarray").T
        d = pos[i] - pos[j]
        dist = np.maximum(np.sqrt((d ** 2).sum(-1)), 1e-9)
        overlap = np.clip(rad[i] + rad[j] + 30.0 - dist, 0, None)
        if not len(overlap) or overlap.max() < 2.0:
            break
        push = d / dist[:, None] * (overlap[:, None] / 2)
        delta = np.zeros_like(pos)
        np.add.at(delta, i, push)
        np.add.at(delta, j, -push)
        pos += delta
    centre = {n: pos[i] for i, n in enumerate(names)}

    out: dict[str, tuple[float, float]] = {h: (float(centre[h][0]), float(centre[h][1])) for h in hubs}
    for key, members in sorted(groups.items()):
        c = centre[centre_of[key]]
        i0 = (inner[centre_of[key]] / spacing) ** 2
        for i, t in enumerate(members):
            r = spacing * math.sqrt(i + i0 + 0.5)
            a = (i + i0) * GOLDEN
            x, y = c[0] + r * math.cos(a), c[1] + r * math.sin(a)
            out[t] = (round(x, 1), round(y, 1))
    for t, sats in satellites.items():
        if t not in out:
            continue
        x, y = out[t]
        free = [s for s in sats if s not in out]
        for j, s in enumerate(free):
            a = 2 * math.pi * j / max(len(free), 1) + 0.4
            out[s] = (round(x + 17 * math.cos(a), 1), round(y + 17 * math.sin(a), 1))
    return out
