"""Leaders' views: maps (`viz.maps.write_maps`) and the tracker site (`viz.site.write_site`).

`write(corpus, texts, out)` writes both, as ``out/maps`` and ``out/site``: the two folders link to
each other with relative links, so keep them side by side.  Everything works from file:// with
no network (vis-network is copied from the pyvis package into ``out/maps/lib``).
"""
from __future__ import annotations

from pathlib import Path

from kg.models import Corpus


def write(corpus: Corpus, texts: dict[str, str], out: Path | str, as_of: str | None = None,
          rows: list[dict] | None = None, workers: int = 2, previous: Path | str | None = None) -> dict[str, list[Path]]:
    """Write ``out/maps`` and ``out/site`` from one build (statuses as of `as_of`, default now;
    `rows`: the corpus's `kg.export.finding_rows` for that date, if already made). With
    `workers` > 1, forked workers write the map pages while this process writes the site.
    `previous`: an earlier such folder, whose map pages are reused where their view is unchanged,
    and whose site pages are linked where they come out the same."""
    from viz.common import build_model
    from viz.maps import write_maps
    from viz.site import write_site
    out, previous = Path(out), Path(previous) if previous is not None else None
    model = build_model(corpus, as_of, rows)
    site: list[Path] = []
    maps = write_maps(corpus, out / "maps", as_of, model=model, workers=workers,
                      meanwhile=lambda: site.extend(write_site(corpus, texts, out / "site", as_of, model=model,
                                                               previous=previous and previous / "site")),
                      previous=previous and previous / "maps")
    return {"maps": maps, "site": site}
