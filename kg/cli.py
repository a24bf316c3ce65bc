"""`kg`: a thin command line over the library. Each command parses, calls, prints."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from kg.errors import KGError

app = typer.Typer(
    help="safeguarding-kg: inspection findings, the evidence that follows them, and which remain open.\n\n"
         "Start with `kg build` (the bundled sample corpus) or `kg build FOLDER --out out`, then "
         "`kg findings --status open`, `kg trace ID`, `kg query sparql open_findings_by_agency`, "
         "and open out/site/index.html.",
    no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False)
review_app = typer.Typer(help="Record a person's decision on a link or a status (kept in reviews.jsonl, survives rebuilds).",
                         no_args_is_help=True)
query_app = typer.Typer(help="Run a named question (see `kg queries`) or a query file.", no_args_is_help=True)
serve_app = typer.Typer(help="Serve the graph.", no_args_is_help=True)
push_app = typer.Typer(help="Load the graph into a server you run.", no_args_is_help=True)
app.add_typer(review_app, name="review")
app.add_typer(query_app, name="query")
app.add_typer(serve_app, name="serve")
app.add_typer(push_app, name="push")
out_ = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

OUT = typer.Option(Path("out"), "--out", "-o", help="The build folder.")


def _fail(exc: Exception, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(code)


def _corpus(out: Path):
    from kg.api import load_build

    try:
        return load_build(out)
    except KGError as exc:
        _fail(exc)


def _reviews_path(out: Path) -> Path:
    return out.resolve().parent / "reviews.jsonl"


@app.command()
def build(
    paths: list[Path] = typer.Argument(None, help="Files or folders (.txt .pdf .docx .html). Default: the bundled sample corpus."),
    out: Path = OUT,
    workers: Optional[int] = typer.Option(None, help="Worker processes for extraction (default: cores, at most 4)."),
    graph: bool = typer.Option(True, help="Write the RDF store, the graph exports and the property graph."),
    site: bool = typer.Option(True, help="Write the maps and the tracker site."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if nothing has changed since the last build."),
) -> None:
    """Read documents, extract findings and evidence, link and judge them, and write every output.

    The previous build stays in place until the new one is complete. If the files, reviews, options
    and program are the same as for the build already in --out, that build is kept (use --force to
    rebuild). Exit code: 0 all files built, 1 some files could not be read (listed), 2 nothing could be built.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kg.pipeline import build as run

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=not err.is_terminal, disable=not err.is_terminal) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            result = run(paths or None, out, workers=workers, progress=progress, reviews=None, graph=graph, site=site,
                         force=force)
        except KGError as exc:
            _fail(exc)
    c = result.corpus
    for e in c.errors:
        err.print(f"[yellow]{e.stage}[/yellow] {e.file}: {e.reason}")
    from kg.link import current

    statuses = {}
    for a in current(c.assessments).values():
        statuses[a.status] = statuses.get(a.status, 0) + 1
    out_.print(f"{len(c.documents)} documents, {len(c.statements)} statements, {len(c.followups)} follow-up links, "
               f"{len(c.errors)} problems")
    out_.print("status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    if result.reused:
        out_.print("nothing has changed since the last build: kept it as it was (--force rebuilds)")
    out_.print(f"outputs in {result.out}:")
    for name in ("findings.jsonl", "documents.jsonl", "tracker.csv", "graph.nq", "site/index.html", "maps/index.html"):
        if (result.out / name).exists():
            out_.print(f"  {result.out / name}")
    raise typer.Exit(result.exit_code)


@app.command()
def findings(
    out: Path = OUT,
    area: Optional[str] = typer.Option(None, help="Area id, e.g. haringey."),
    agency: Optional[str] = typer.Option(None, help="Agency id or part of its name, e.g. 'police'."),
    theme: Optional[str] = typer.Option(None, help="Theme id, e.g. front-door."),
    polarity: Optional[str] = typer.Option(None, help="strength or weakness."),
    kind: Optional[str] = typer.Option(None, help="finding, recommendation, action, evidence or statistic."),
    status: Optional[str] = typer.Option(None, help="addressed, progress, persists, no_evidence, or 'open' (not addressed)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Status as of this date (YYYY-MM-DD)."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    limit: int = typer.Option(50, help="At most this many rows in a table (0: all)."),
) -> None:
    """List findings and other statements with filters."""
    from kg.export import finding_rows
    from kg.api import filter_rows

    rows = filter_rows(finding_rows(_corpus(out), as_of), area=area, agency=agency, theme=theme,
                       polarity=polarity, kind=kind, status=status)
    cols = ["id", "area", "date", "kind", "polarity", "status", "agency_labels", "themes", "text"]
    _print_rows(cols, [[r[c] for c in cols] for r in rows], fmt, limit)


def _print_rows(cols: list[str], rows: list[list], fmt: str, limit: int = 0) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps([dict(zip(cols, r)) for r in rows], ensure_ascii=False, indent=1) + "\n")
    elif fmt == "csv":
        import csv

        w = csv.writer(sys.stdout)
        w.writerow(cols)
        w.writerows([[("; ".join(v) if isinstance(v, list) else v) for v in r] for r in rows])
    elif fmt == "table":
        t = Table(*cols, show_lines=False)
        for r in rows[: limit or None]:
            t.add_row(*[("; ".join(map(str, v)) if isinstance(v, list) else "" if v is None else str(v)) for v in r])
        out_.print(t)
        if limit and len(rows) > limit:
            out_.print(f"… {len(rows) - limit} more rows (use --limit 0 or --format csv)")
    else:
        _fail(KGError(f"unknown format {fmt!r}: use table, csv or json"))


@app.command()
def trace(finding: str = typer.Argument(..., help="A finding id (st-…), from `kg findings`."), out: Path = OUT) -> None:
    """The whole chain for one finding: its quote, the later evidence, the status and why."""
    from kg.api import trace_text

    try:
        out_.print(trace_text(_corpus(out), finding), highlight=False, markup=False)
    except KGError as exc:
        _fail(exc)


@review_app.command("confirm")
def review_confirm(link: str = typer.Argument(..., help="A follow-up link id (fu-…), from `kg trace`."),
                   reviewer: str = typer.Option(..., help="Your name."), note: str = typer.Option("", help="Why."),
                   out: Path = OUT) -> None:
    """Confirm a link between a finding and its evidence."""
    _review(out, link, "confirm", reviewer, note)


@review_app.command("reject")
def review_reject(link: str = typer.Argument(..., help="A follow-up link id (fu-…)."),
                  reviewer: str = typer.Option(..., help="Your name."), note: str = typer.Option("", help="Why."),
                  out: Path = OUT) -> None:
    """Reject a link: it is ignored from the next build on."""
    _review(out, link, "reject", reviewer, note)


@review_app.command("status")
def review_status(finding: str = typer.Argument(..., help="A finding id (st-…)."),
                  status: str = typer.Argument(..., help="addressed, progress, persists or no_evidence."),
                  reviewer: str = typer.Option(..., help="Your name."), note: str = typer.Option("", help="Why."),
                  out: Path = OUT) -> None:
    """Set a finding's status by hand; it overrides the software's from the next build on."""
    _review(out, finding, "status", reviewer, note, status)


def _review(out: Path, target: str, action: str, reviewer: str, note: str, status: str | None = None) -> None:
    from kg.review import Decision, record

    try:
        d = record(_reviews_path(out), Decision(target, action, reviewer, note, status))  # type: ignore[arg-type]
    except KGError as exc:
        _fail(exc)
    out_.print(f"recorded in {_reviews_path(out)}: {d.action} {d.target} by {d.reviewer}. "
               "Run `kg build` again to apply it.")


@app.command("eval")
def evaluate(gold: Optional[Path] = typer.Option(None, help="Gold folder (default: the project's tests/gold)."),
             workers: int = typer.Option(2, help="Worker processes.")) -> None:
    """Precision, recall and F1 of findings, polarity, agencies and themes; follow-up link and status accuracy."""
    from kg.api import run_eval

    try:
        out_.print(run_eval(gold, workers), highlight=False, markup=False)
    except KGError as exc:
        _fail(exc)


def _params(param: list[str]) -> dict[str, str]:
    out = {}
    for p in param or []:
        key, sep, value = p.partition("=")
        if not sep or not key:
            _fail(KGError(f"--param takes key=value, not {p!r}"))
        out[key.strip()] = value
    return out


def _query_text(name_or_file: str) -> str:
    path = Path(name_or_file)
    return path.read_text(encoding="utf-8") if path.suffix in (".rq", ".sparql", ".cypher", ".cql") and path.is_file() \
        else name_or_file


FORMAT = typer.Option("table", "--format", help="table, csv or json.")
PARAM = typer.Option(None, "--param", "-p", help="A parameter as key=value (repeatable), e.g. -p area=haringey.")


@app.command()
def queries(lang: str = typer.Option("sparql", help="sparql or cypher.")) -> None:
    """The named questions, with what each answers and its parameters."""
    import queries as library

    try:
        out_.print(library.describe(lang), highlight=False, markup=False)
    except KGError as exc:
        _fail(exc)


@query_app.command("sparql")
def query_sparql(name: str = typer.Argument(..., help="A query name from `kg queries`, or a .rq file."),
                 param: list[str] = PARAM, fmt: str = FORMAT, out: Path = OUT) -> None:
    """Ask the RDF store (embedded Oxigraph in OUT/rdf) a named question or a SPARQL file."""
    from kg.rdf import RDFStore

    try:
        with RDFStore.open(out / "rdf", read_only=True) as store:
            cols, rows = store.query(_query_text(name), _params(param))
    except KGError as exc:
        _fail(exc)
    _print_rows(cols, [list(r) for r in rows], fmt)


@query_app.command("cypher")
def query_cypher(name: str = typer.Argument(..., help="A query name from `kg queries --lang cypher`, or a .cypher file."),
                 param: list[str] = PARAM, fmt: str = FORMAT, out: Path = OUT,
                 neo4j: Optional[str] = typer.Option(None, help="Ask this Neo4j server (bolt://…) instead of the local graph."),
                 user: str = typer.Option("neo4j", help="Neo4j user; the password is read from NEO4J_PASSWORD."),
                 database: Optional[str] = typer.Option(None, help="Neo4j database name.")) -> None:
    """Ask the property graph (FalkorDB, started and stopped for you) or a Neo4j server."""
    try:
        if neo4j:
            from kg.neo4j_push import query_neo4j

            cols, rows = query_neo4j(neo4j, user, _neo4j_password(), _query_text(name), _params(param), database)
        else:
            from kg.falkor import FalkorEngine

            if not (out / "graph").is_dir():
                raise KGError(f"no property graph in {out}: run `kg build --out {out}` first")
            with FalkorEngine.open(out / "graph") as engine:
                cols, rows = engine.query(_query_text(name), _params(param))
    except KGError as exc:
        _fail(exc)
    _print_rows(cols, [list(r) for r in rows], fmt)


def _neo4j_password() -> str:
    password = os.environ.get("NEO4J_PASSWORD")
    if password is None:
        _fail(KGError("set NEO4J_PASSWORD in the environment (it is never taken on the command line)"))
    return password


@serve_app.command("sparql")
def serve_sparql(out: Path = OUT, port: int = typer.Option(7878, help="Port on 127.0.0.1."),
                 memory: bool = typer.Option(False, "--memory", help=(
                     "Hold the graph in memory (loaded from OUT/graph.nq): queries answer several times faster, "
                     "for the graph's size in RAM (2.7 GB and about 30 s of loading for the national corpus); "
                     "the copy in memory is writable, the build is never changed."))) -> None:
    """A SPARQL 1.1 endpoint on http://127.0.0.1:PORT/query over the union of all graphs (Ctrl-C stops it).
    Read-only from the store on disk; with --memory, from a copy in memory."""
    from kg.sparql_server import serve, start, start_in_memory

    try:
        if memory:
            out_.print(f"loading {out / 'graph.nq'} into memory…")
            process = start_in_memory(out / "graph.nq", port=port)
        else:
            process = start(out / "rdf", port=port)
        out_.print(f"serving {out / ('graph.nq' if memory else 'rdf')} at http://127.0.0.1:{port}/query "
                   "(Ctrl-C to stop)")
        raise typer.Exit(serve(process))
    except KGError as exc:
        _fail(exc)


@push_app.command("sparql")
def push_sparql(endpoint: str = typer.Option(..., help="Graph Store Protocol URL, e.g. http://127.0.0.1:7878/store."),
                out: Path = OUT) -> None:
    """Load the graph into a SPARQL 1.1 server, one named graph per document (a second push replaces)."""
    from kg.rdf import RDFStore
    from kg.sparql_server import push

    try:
        with RDFStore.open(out / "rdf", read_only=True) as store:
            sent = push(store, endpoint)
    except KGError as exc:
        _fail(exc)
    out_.print(f"pushed {len(sent)} named graphs ({sum(sent.values()) // 1024} KB) to {endpoint}")


@push_app.command("neo4j")
def push_neo4j_cmd(uri: str = typer.Option(..., help="bolt://host:7687 or neo4j+s://… (Aura)."),
                   user: str = typer.Option("neo4j", help="The password is read from NEO4J_PASSWORD."),
                   database: Optional[str] = typer.Option(None, help="Database name (default: the server's)."),
                   batch_size: int = typer.Option(1000, help="Rows per UNWIND batch."), out: Path = OUT) -> None:
    """Upsert the graph into Neo4j: constraints if missing, batched MERGE, idempotent."""
    from rich.progress import Progress

    from kg.neo4j_push import push_neo4j

    corpus = _corpus(out)
    with Progress(console=err, disable=not err.is_terminal) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            tasks.setdefault(stage, bar.add_task(stage, total=total))
            bar.update(tasks[stage], completed=done, total=total)

        try:
            counts = push_neo4j(corpus, uri, user, _neo4j_password(), batch_size, database, progress)
        except KGError as exc:
            _fail(exc)
    out_.print(f"pushed to {uri}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


EXPORTS = ("turtle", "ntriples", "trig", "nquads", "jsonld", "neo4j-csv", "graphml")


@app.command()
def export(fmt: str = typer.Argument(..., help=f"One of: {', '.join(EXPORTS)}."),
           to: Path = typer.Option(..., "--to", help="Output file (a folder for neo4j-csv)."), out: Path = OUT) -> None:
    """Export the graph: RDF serialisations, CSVs for `neo4j-admin database import`, or GraphML (networkx)."""
    try:
        if fmt == "neo4j-csv":
            from kg.neo4j_push import export_neo4j_csv

            files = export_neo4j_csv(_corpus(out), to)
            out_.print(f"wrote {len(files)} files to {to}")
            return
        if fmt == "graphml":
            import networkx as nx

            from kg.pg import to_networkx

            g = to_networkx(_corpus(out))
            for _, data in g.nodes(data=True):
                for k, v in list(data.items()):
                    if isinstance(v, (list, tuple, dict)):
                        data[k] = json.dumps(v)
            for *_, data in g.edges(data=True, keys=True):
                for k, v in list(data.items()):
                    if isinstance(v, (list, tuple, dict)):
                        data[k] = json.dumps(v)
            nx.write_graphml(g, to)
        elif fmt in EXPORTS:
            from kg.rdf import RDFStore

            with RDFStore.open(out / "rdf", read_only=True) as store:
                store.export(to, fmt)
        else:
            raise KGError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORTS)}")
    except KGError as exc:
        _fail(exc)
    out_.print(f"wrote {to}")


@app.command()
def site(out: Path = OUT, as_of: Optional[str] = typer.Option(None, "--as-of", help="Statuses as of this date."),
         to: Optional[Path] = typer.Option(None, "--to", help="Write here instead of OUT (site/ and maps/).")) -> None:
    """Write the maps and the tracker site again, e.g. as of another date."""
    import viz
    from kg.api import load_texts

    corpus = _corpus(out)
    target = to or out
    viz.write(corpus, load_texts(out), target, as_of)
    out_.print(f"open {target / 'site' / 'index.html'} and {target / 'maps' / 'index.html'}")


@app.command()
def analyse(out: Path = OUT, top: int = typer.Option(10, help="How many agencies.")) -> None:
    """Graph analytics: the agencies most central to open findings, and themes that cluster together."""
    from kg.pg import central_agencies, theme_clusters, to_networkx

    g = to_networkx(_corpus(out))
    _print_rows(["agency", "label", "open", "pagerank"], [list(r) for r in central_agencies(g, top)], "table")
    for i, cluster in enumerate(theme_clusters(g, open_only=True), 1):
        out_.print(f"theme cluster {i}: {', '.join(cluster)}")


def main() -> None:
    """The `kg` command: the app, then an exit that skips tearing down the 1,800 modules a build
    imports (0.4 s). Output is flushed and exit handlers run first; every file and server is
    closed by then."""
    import atexit

    try:
        app()
        code: object = 0
    except SystemExit as done:
        code = done.code
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
