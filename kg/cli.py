"""`kg`: a thin command line over the library. Each command parses, calls, prints."""
from __future__ import annotations

import json
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
) -> None:
    """Read documents, extract findings and evidence, link and judge them, and write every output.

    The previous build stays in place until the new one is complete. Exit code: 0 all files built,
    1 some files could not be read (listed), 2 nothing could be built.
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
            result = run(paths or None, out, workers=workers, progress=progress, reviews=None, graph=graph, site=site)
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
    out_.print(f"outputs in {result.out}:")
    for name in ("findings.jsonl", "documents.jsonl", "tracker.csv", "graph.trig", "site/index.html", "maps/index.html"):
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


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
