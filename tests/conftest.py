"""Shared fixtures: the sample corpus, built once per test session, and small files made on the fly."""
from __future__ import annotations

import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "gold"


@pytest.fixture(scope="session")
def samples():
    """(corpus, texts) of the five bundled sample documents, linked and assessed."""
    from kg.pipeline import extract_corpus

    return extract_corpus(None, workers=1)


def file_digests(folder: Path) -> dict[str, str]:
    """{path under folder: SHA-256} of every file in it: equal only if every byte is."""
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one text line per page (no external tools)."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        lines = " ".join(f"({line}) Tj 0 -14 Td" for line in esc.split("\n"))
        stream = zlib.compress(f"BT /F1 11 Tf 72 720 Td {lines} ET".encode("latin-1"))
        objs.append(f"<< /Length {len(stream)} /Filter /FlateDecode >>stream\n".encode("latin-1") + stream + b"\nendstream")
        content = len(objs)
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content} 0 R "
                    f"/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(len(objs))
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        body = obj if isinstance(obj, bytes) else obj.encode("latin-1")
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer << /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def three_changes(src: Path, out: Path, rebuild) -> None:  # type: ignore[no-untyped-def]
    """The changes a rebuild that reuses the previous build is tested on, `rebuild(step)` called
    after each: the fifth sample added to a corpus of the first four (`src`), a reviewer's status
    on a finding of the build in `out`, then the first sample removed."""
    import json
    import shutil

    from kg import review
    from kg.pipeline import sample_corpus

    samples = sorted(sample_corpus().glob("*.txt"))
    shutil.copy(samples[4], src / samples[4].name)
    rebuild("a new document")
    finding = next(json.loads(x) for x in (out / "findings.jsonl").read_text().splitlines() if json.loads(x)["status"])
    review.record(out.parent / "reviews.jsonl", review.Decision(finding["id"], "status", "A Scrutineer", status="persists"))
    rebuild("a review")
    (src / samples[0].name).unlink()
    rebuild("a removed document")
