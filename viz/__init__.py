"""Leaders' views: maps (`viz.maps.write_maps`) and the tracker site (`viz.site.write_site`).

`write(corpus, texts, out)` writes both, as ``out/maps`` and ``out/site``: the two folders link to
each other with relative links, so keep them side by side.  Everything works from file:// with
no network (vis-network is copied from the pyvis package into ``out/maps/lib``).
"""
from __future__ import annotations

from pathlib import Path

from kg.models import Corpus


def write(corpus: Corpus, texts: dict[str, str], out: Path | str, as_of: str | None = None) -> dict[str, list[Path]]:
    """Write ``out/maps`` and ``out/site`` from one build (statuses as of `as_of`, default now)."""
    from viz.common import build_model
    from viz.maps import write_maps
    from viz.site import write_site
    from kg.pipeline import fork_context, worker_pool

    out = Path(out)
    model = build_model(corpus, as_of)
    # Two cores: the maps are written in a forked child, which inherits the model (a global
    # rather than an argument, so it is not pickled), while this process writes the site.
    global _handoff
    if fork_context().get_start_method() != "fork":
        return {"maps": write_maps(corpus, out / "maps", as_of, model=model),
                "site": write_site(corpus, texts, out / "site", as_of, model=model)}
    _handoff = (out / "maps", as_of, model)
    try:
        with worker_pool(1) as pool:
            maps = pool.submit(_write_maps_inherited)
            site = write_site(corpus, texts, out / "site", as_of, model=model)
            return {"maps": maps.result(), "site": site}
    finally:
        _handoff = None


_handoff = None


def _write_maps_inherited() -> list[Path]:
    from viz.maps import write_maps

    folder, as_of, model = _handoff
    return write_maps(model.corpus, folder, as_of, model=model)
