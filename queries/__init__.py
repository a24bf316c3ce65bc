"""The query library: each question once per language, loaded by name.

`sparql/NAME.rq` and `cypher/NAME.cypher` start with comment lines
`NAME — what it answers` and `params: a, b` (`# ` in SPARQL, `// ` in Cypher).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files

from kg.errors import QueryError

LANGUAGES = {"sparql": (".rq", "#"), "cypher": (".cypher", "//")}


@dataclass(frozen=True)
class Query:
    name: str
    text: str
    description: str
    params: tuple[str, ...]
    lang: str = "sparql"


def _lang(lang: str) -> tuple[str, str]:
    try:
        return LANGUAGES[lang]
    except KeyError:
        raise QueryError(f"unknown query language {lang!r}; use one of: {', '.join(LANGUAGES)}") from None


def names(lang: str = "sparql") -> list[str]:
    """The names of the queries written in `lang`, sorted."""
    ext, _ = _lang(lang)
    return sorted(f.name[: -len(ext)] for f in files("queries").joinpath(lang).iterdir()
                  if f.name.endswith(ext))


def _header(text: str, comment: str) -> tuple[str, tuple[str, ...]]:
    description, params = "", ()
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith(comment):
            break
        body = line[len(comment):].strip()
        if body.lower().startswith("params:"):
            value = body.split(":", 1)[1].strip()
            params = tuple(p for p in re.split(r"[,\s]+", value) if p and p not in ("—", "-", "none"))
        elif not description and "—" in body:
            description = body.split("—", 1)[1].strip()
    return description, params


def load(lang: str, name: str) -> Query:
    """The named query; an unknown name raises QueryError listing the valid ones."""
    ext, comment = _lang(lang)
    valid = names(lang)
    if name not in valid:
        raise QueryError(f"unknown {lang} query {name!r}; valid names: {', '.join(valid)}")
    text = files("queries").joinpath(lang, name + ext).read_text("utf-8")
    description, params = _header(text, comment)
    return Query(name, text, description, params, lang)


def all_queries(lang: str = "sparql") -> list[Query]:
    return [load(lang, n) for n in names(lang)]


def describe(lang: str = "sparql") -> str:
    """One line per query: `name(params) — description`."""
    return "\n".join(f"{q.name}({', '.join(q.params)}) — {q.description}" for q in all_queries(lang))
