"""The pipeline: files → records → links and statuses → outputs.

Each stage is a plain function; `build` calls them in order. A bad file is
reported by name and reason and the rest of the corpus is still processed.
"""
from __future__ import annotations

import functools
import gc
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kg.errors import KGError, LoadError
from kg.ids import files_digest
from kg.models import Agency, BuildError, Corpus, Document, Statement, Theme

ROOT = Path(__file__).resolve().parents[1]


def _extractor_version() -> str:
    """A digest of the code and reference data extraction depends on, so that the extraction
    cache never serves a document extracted by other code (a changed rule re-extracts)."""
    import hashlib

    sources = [*(ROOT / "loaders").glob("*.py"), *(ROOT / "kg" / n for n in ("resolve.py", "models.py", "ids.py")),
               *(ROOT / "ontology").glob("*.ttl")]
    return files_digest(hashlib.sha256(), sorted(sources)).hexdigest()[:12]


EXTRACTOR_VERSION = _extractor_version()
DOC_SUFFIXES = (".txt", ".text", ".pdf", ".docx", ".html", ".htm")
Progress = Callable[[str, int, int], None]


def sample_corpus() -> Path:
    """The five bundled sample documents (a package resource)."""
    return Path(str(resources.files("kg") / "samples"))


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[BuildError]]:
    """Expand folders into the documents they hold, sorted by name; report what cannot be used."""
    files, errors = [], []
    for p in map(Path, paths):
        if p.is_dir():
            files += [f for f in sorted(p.rglob("*")) if f.is_file() and f.suffix.lower() in DOC_SUFFIXES]
        elif p.is_file():
            if p.suffix.lower() in DOC_SUFFIXES:
                files.append(p)
            else:
                errors.append(BuildError(p.name, f"unsupported file type '{p.suffix}' (use {', '.join(DOC_SUFFIXES)})", "read"))
        else:
            errors.append(BuildError(p.name, "no such file or folder", "read"))
    unique = sorted(dict.fromkeys(f.resolve() for f in files), key=lambda f: (f.name, str(f)))
    return unique, errors


@dataclass
class Extracted:
    document: Document
    statements: list[Statement]
    text: str


def extract_file(path: Path) -> Extracted:
    """Read and extract one file (raises LoadError with the file's name and the reason)."""
    from loaders.extract import load
    from loaders.read import read

    raw = read(path)
    try:
        doc, statements = load(raw)
    except KGError:
        raise
    except Exception as exc:  # a bug or a pathological input must not stop the corpus
        raise LoadError(path.name, f"extraction failed ({type(exc).__name__}: {exc})") from exc
    return Extracted(doc, statements, raw.text)


def _cache_file(path: Path, cache: Path | None) -> Path | None:
    """Where the file's extraction is cached: keyed by its content and the extraction code."""
    import hashlib

    return cache / f"{hashlib.sha256(path.read_bytes()).hexdigest()}-{EXTRACTOR_VERSION}.pickle" if cache else None


def _cached(path: Path, cache: Path | None) -> Extracted | None:
    """The file's extraction from the cache, or None if it is not there."""
    hit = _cache_file(path, cache)
    if hit is None or not hit.exists():
        return None
    ex: Extracted = pickle.loads(hit.read_bytes())
    ex.document.file = path.name
    return ex


def _extract_and_cache(path: Path, cache: Path | None) -> Extracted:
    ex = extract_file(path)
    if (where := _cache_file(path, cache)) is not None:
        cache_put(where, ex)
    return ex


def cache_put(where: Path, value: object) -> None:
    """Pickle `value` into the cache file `where` atomically: a reader sees all of it or none."""
    where.parent.mkdir(parents=True, exist_ok=True)
    tmp = where.with_name(f".{where.stem}.{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(value))
    tmp.replace(where)


def _reported(fn: Callable, path: Path, *args):  # type: ignore[no-untyped-def]
    """fn(path, *args), with a file that cannot be read or extracted returned as a BuildError."""
    try:
        return fn(path, *args)
    except LoadError as exc:
        return BuildError(exc.file, exc.reason, "read")
    except FileNotFoundError:
        return BuildError(path.name, "file disappeared during the build", "read")
    except OSError as exc:
        return BuildError(path.name, f"cannot read file: {exc.strerror or exc}", "read")


def _extract_job(job: tuple[Path, Path | None]) -> Extracted | BuildError:
    return _reported(_extract_and_cache, *job)


def extract_all(files: list[Path], workers: int | None = None, cache: Path | None = None,
                progress: Progress | None = None) -> tuple[list[Extracted], list[BuildError]]:
    """Extract every file, in parallel when there are many; results in file order. Files whose
    extraction is cached are read here; only the others go to worker processes (which are then
    started, with the matchers built first so that they inherit them)."""
    import contextlib

    workers = workers if workers is not None else default_workers()
    results: list[Extracted | BuildError | None] = [_reported(_cached, f, cache) for f in files]
    todo = [i for i, r in enumerate(results) if r is None]
    done = len(files) - len(todo)
    if progress and done:
        progress("extract", done, len(files))
    jobs = [(files[i], cache) for i in todo]
    with contextlib.ExitStack() as stack:
        if workers <= 1 or len(jobs) < 2:
            extracted = map(_extract_job, jobs)
        else:
            from kg import resolve

            resolve.warm_up()  # forked workers inherit the loaded registry and matchers
            # a few files each per message to a worker, but never so many that one worker is
            # left with most of a small corpus (5 files in chunks of 4: 4 to one, 1 to the other)
            chunk = max(1, min(4, len(jobs) // (4 * workers)))
            extracted = stack.enter_context(worker_pool(workers)).map(_extract_job, jobs, chunksize=chunk)
        for n, (i, r) in enumerate(zip(todo, extracted), done + 1):
            results[i] = r
            if progress:
                progress("extract", n, len(files))
    ok, errors, seen = [], [], {}
    for r in results:
        if isinstance(r, BuildError):
            errors.append(r)
        elif r.document.sha256 in seen:
            errors.append(BuildError(r.document.file, f"same content as {seen[r.document.sha256]}; skipped", "dedupe"))
        else:
            seen[r.document.sha256] = r.document.file
            ok.append(r)
    return ok, errors


def default_workers() -> int:
    """Worker processes when none are asked for: the cores, at most 4."""
    return min(os.cpu_count() or 1, 4)


def fork_context():
    """Fork where the platform has it: children inherit what is loaded, and scripts need no main guard."""
    import multiprocessing

    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Forked worker processes that die with this one (a build killed mid-way leaves none behind)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=fork_context(), initializer=die_with_parent)


_INHERITED: dict[int, tuple] = {}


def _call_inherited(key: int):
    fn, args = _INHERITED[key]
    return fn(*args)


def forked(fn: Callable, *args) -> Future:
    """`fn(*args)` in a forked process that inherits `args` (they are never pickled, so a big
    corpus costs nothing to hand over); only the result comes back, pickled. Where processes
    cannot be forked, it runs here and now."""
    if fork_context().get_start_method() != "fork":
        done: Future = Future()
        done.set_result(fn(*args))
        return done

    key = len(_INHERITED)
    _INHERITED[key] = (fn, args)
    pool = worker_pool(1)
    release_free_memory()
    frozen = gc.get_freeze_count()  # a build freezes its corpus (`fewer_collections`): leave it so
    gc.freeze()  # the child's collections then skip every inherited object instead of writing to it
    try:
        return pool.submit(_call_inherited, key)  # the worker is forked here, holding _INHERITED
    finally:
        if not frozen:
            gc.unfreeze()
        pool.shutdown(wait=False)
        del _INHERITED[key]


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc `malloc_trim`; elsewhere nothing).
    Freed Python objects otherwise keep their pages, and a forked child would share them."""
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _prctl():
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).prctl  # resolved here, in the parent
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


def die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this process when its parent dies.

    Used as a Popen preexec_fn, it runs in the child between fork and exec, where loading a
    library can deadlock on a lock another thread of the parent held at the fork (RocksDB keeps
    threads): so it only calls the prctl looked up at import."""
    if _PRCTL is not None:
        _PRCTL(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


def assemble(extracted: list[Extracted], errors: list[BuildError]) -> Corpus:
    """Put the extracted documents together with their agencies, themes and areas."""
    from kg import resolve

    corpus = Corpus(errors=list(errors))
    corpus.documents = sorted((e.document for e in extracted), key=lambda d: (d.published or "", d.id))
    corpus.statements = [s for e in sorted(extracted, key=lambda e: e.document.id) for s in e.statements]
    resolve_references(corpus)
    used = {a for s in corpus.statements for a in s.agencies + s.mentioned}
    used |= {i for d in corpus.documents if d.inspection for i in d.inspection.inspectorates}
    used |= {ad.agency for d in corpus.documents for ad in d.addressees if ad.agency}
    areas = {d.area for d in corpus.documents if d.area}
    corpus.agencies = agency_records(used, areas)
    corpus.themes = theme_records()
    all_areas = resolve.areas()
    corpus.areas = {a: all_areas.get(a, a) for a in sorted(areas)}
    return corpus


def agency_records(used: set[str], areas: set[str]) -> list[Agency]:
    """The agencies used, every agency of the corpus's areas, and their parents and successors."""
    from kg import resolve

    out: dict[str, Agency] = {}
    todo = sorted(used) + sorted(a.id for area in areas for a in resolve.agencies_for_area(area))
    while todo:
        i = todo.pop()
        if i in out:
            continue
        try:
            a = resolve.agency(i)
        except KeyError:
            continue
        out[i] = a
        todo += [x for x in (a.parent, a.succeeded_by) if x]
    return sorted(out.values(), key=lambda a: a.id)


def theme_records() -> list[Theme]:
    from kg import resolve

    return [Theme(i, label, tuple(resolve.theme_broader(i))) for i, label in sorted(resolve.themes().items())]


def resolve_references(corpus: Corpus) -> None:
    """Point each "since the inspection in …" at the document in the corpus it means, if any."""
    by_area: dict[str | None, list[Document]] = {}
    for d in corpus.documents:
        by_area.setdefault(d.area, []).append(d)
    for d in corpus.documents:
        for ref in d.references:
            for other in by_area.get(ref.area, []):
                when = other.published or (other.inspection.end if other.inspection else None) or ""
                if other.id != d.id and other.kind == ref.kind and ref.date and when.startswith(ref.date[:4]):
                    inspected = other.inspection.start if other.inspection and other.inspection.start else when
                    if len(ref.date) == 4 or inspected.startswith(ref.date) or when.startswith(ref.date):
                        ref.resolved = other.id
                        break


PARALLEL_LINK_MIN = 20_000  # statements: below this, forking costs more than it saves


def link_and_assess(corpus: Corpus, reviews: Path | None = None, workers: int = 1,
                    cache: Path | None = None) -> Corpus:
    """Follow-ups, recurrences, reviews applied, statuses. `cache`: a folder where each area's
    links are kept (`kg.link.link`)."""
    start_link_and_assess(corpus, reviews, workers, cache)()
    return corpus


def start_link_and_assess(corpus: Corpus, reviews: Path | None = None, workers: int = 1,
                          cache: Path | None = None) -> Callable[..., Corpus | None]:
    """`link_and_assess`, except that with `workers` > 1 and a big corpus the recurrences are
    found in a forked process, which may still be at work on return: call the function
    returned to have them in `corpus` (the follow-ups and statuses are there already, so work
    that does not need the recurrences can go on meanwhile); called with `block=False`, it
    returns None instead of waiting when they are still being found."""
    from kg import link, review

    background = forked(link.recur, corpus) if workers > 1 and len(corpus.statements) >= PARALLEL_LINK_MIN else None
    assessed: dict[str, list] = {}  # from the cache, with the links
    corpus.followups, corpus.recurrences = link.link(corpus, recurrences=background is None, cache=cache,
                                                     assessed=assessed)
    decisions = review.load(reviews) if reviews else []
    corpus.followups, unknown = review.apply_to_links(corpus.followups, decisions)
    for f in corpus.followups:
        if f.reviewed:  # judged again from the reviewed links
            assessed.pop(f.finding, None)
    corpus.assessments = link.assess(corpus, known=assessed)
    corpus.assessments, unknown_status = review.apply_to_status(corpus, decisions)
    corpus.errors += [BuildError(str(reviews.name if reviews else "reviews"), msg, "review") for msg in unknown + unknown_status]

    def finish(block: bool = True) -> Corpus | None:
        if background is not None:
            if not block and not background.done():
                return None
            corpus.recurrences = background.result()
        return corpus
    return finish


def extract_corpus(paths: Iterable[str | Path] | None = None, workers: int | None = None,
                   cache: Path | None = None, progress: Progress | None = None,
                   reviews: Path | None = None) -> tuple[Corpus, dict[str, str]]:
    """Files to a linked, assessed corpus, plus the original text of each document by id."""
    return corpus_of(*discover(paths or [sample_corpus()]), workers, cache, progress, reviews)


def corpus_of(files: list[Path], errors: list[BuildError], workers: int | None = None, cache: Path | None = None,
              progress: Progress | None = None, reviews: Path | None = None) -> tuple[Corpus, dict[str, str]]:
    """`extract_corpus` of files already discovered (`errors`: what discovery reported)."""
    corpus, texts, finish = _start_corpus(files, errors, workers, cache, progress, reviews)
    return finish(), texts


def _start_corpus(files: list[Path], errors: list[BuildError], workers: int | None, cache: Path | None,
                  progress: Progress | None, reviews: Path | None) -> tuple[Corpus, dict[str, str], Callable[[], Corpus]]:
    """`corpus_of`, with the recurrences perhaps still being found (`start_link_and_assess`)."""
    extracted, more = extract_all(files, workers, cache, progress)
    corpus = assemble(extracted, errors + more)
    finish = start_link_and_assess(corpus, reviews, workers if workers is not None else default_workers(), cache)
    return corpus, {e.document.id: e.text for e in extracted}, finish


@dataclass
class BuildResult:
    corpus: Corpus
    out: Path
    reused: bool = False  # nothing had changed: the previous build was kept as it was

    @property
    def exit_code(self) -> int:
        """0 all built, 1 some files failed (or the graph broke a SHACL shape), 2 nothing could be built."""
        if not self.corpus.documents:
            return 2
        return 1 if any(e.stage in ("read", "validate") for e in self.corpus.errors) else 0


def build(paths: Iterable[str | Path] | None, out: str | Path, workers: int | None = None,
          progress: Progress | None = None, reviews: Path | None = None,
          graph: bool = True, site: bool = True, validate: bool = True, force: bool = False) -> BuildResult:
    """Build everything into `out`, atomically: the previous output stays until the new one is complete.

    When the files, the reviews, the options and this program are all as they were for the
    build already in `out`, that build is kept and returned as it is (`force` rebuilds anyway).
    Otherwise the RDF store is the previous build's with the graphs that changed replaced, and
    a map page whose view is unchanged is the previous build's page (`force`: loaded in full and
    all drawn)."""
    from kg import export

    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    cache = out.parent / f".{out.name}-cache"
    cache.mkdir(exist_ok=True)
    if reviews is None and (out.parent / "reviews.jsonl").exists():
        reviews = out.parent / "reviews.jsonl"
    files, problems = discover(paths or [sample_corpus()])
    key = build_key(files, problems, reviews, graph=graph, site=site, validate=validate)
    if key and not force and _built_with(out) == key:
        with open(out / "corpus.pickle", "rb") as fh:
            return BuildResult(pickle.load(fh), out, reused=True)
    with fewer_collections():
        corpus, texts, finish = _start_corpus(files, problems, workers, cache, progress, reviews)
        gc.freeze()  # it lives to the end: collections stop scanning its millions of objects
        _remove_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-building-{os.getpid()}-", dir=out.parent))
        try:
            export.write_all(corpus, texts, tmp, graph=graph, site=site, validate=validate, progress=progress,
                             previous=None if force or not out.is_dir() else out, pending=finish)
            if key:
                (tmp / "build-key").write_text(key + "\n", encoding="utf-8")
            _swap(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return BuildResult(corpus, out)


@contextmanager
def fewer_collections(young: int = 100_000):
    """Python's cycle collector less often while a build runs (forked workers inherit it): a
    collection starts after `young` new objects instead of 700. A build makes millions of
    objects that live to its end, and the default thresholds have the collector scan them all
    again and again (nationally: 16.3 s -> 12.6 s for the property graph's nodes, 3.0 s -> 1.1 s
    for reading the cached links). The build also freezes its corpus once read (`gc.freeze`), so
    that no collection scans it at all; this unfreezes it."""
    old = gc.get_threshold()
    gc.set_threshold(young, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def build_key(files: list[Path], problems: list[BuildError], reviews: Path | None, **options: bool) -> str | None:
    """A digest of everything a build depends on: each file's name and content, the reviews,
    the options, and the program's own source (package and ontology files). None if a file
    cannot be read now (the build will report it)."""
    import hashlib

    h = hashlib.sha256(f"{program_digest()} {sorted(options.items())} {problems}".encode())
    try:
        return files_digest(h, [*files, *([reviews] if reviews and reviews.exists() else [])]).hexdigest()
    except OSError:
        return None


@functools.cache
def program_digest() -> str:
    """A digest of this program as it was when first asked (the code running): its package,
    ontology and query files."""
    import hashlib

    own = sorted(p for pkg in ("kg", "loaders", "ontology", "queries", "viz") for p in (ROOT / pkg).rglob("*")
                 if p.is_file() and p.suffix in (".py", ".ttl", ".jsonld", ".rq", ".cypher", ".css", ".js", ".json"))
    return files_digest(hashlib.sha256(EXTRACTOR_VERSION.encode()), own).hexdigest()


def _built_with(out: Path) -> str | None:
    """The build key of the complete build in `out`, if there is one."""
    try:
        if (out / "corpus.pickle").is_file():
            return (out / "build-key").read_text(encoding="utf-8").strip()
    except OSError:
        pass
    return None


def _remove_stale(out: Path) -> None:
    """Temporary folders left by builds that were killed (their process is gone), and what is
    left of the builds replaced earlier (`_swap`)."""
    for old in out.parent.glob(f".{out.name}-previous*"):
        shutil.rmtree(old, ignore_errors=True)
    for tmp in out.parent.glob(f".{out.name}-building-*"):
        pid = tmp.name[len(f".{out.name}-building-"):].split("-", 1)[0]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap(new: Path, out: Path) -> None:
    """`new` becomes `out`; the build it replaces is deleted by a process of its own, which
    may outlive this one (nationally 56,000 files: 10 s); whatever it leaves is
    removed by the next build (`_remove_stale`)."""
    import subprocess
    import sys

    old = out.parent / f".{out.name}-previous-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    new.rename(out)
    _deleting[:] = [p for p in _deleting if p.poll() is None]  # reaps those that are done
    if old.exists():
        remove = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"
        _deleting.append(subprocess.Popen([sys.executable, "-c", remove, str(old)], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))


_deleting: list = []  # the processes deleting replaced builds (`_swap`)
