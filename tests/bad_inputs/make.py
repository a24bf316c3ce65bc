"""Regenerate the small committed bad-input fixtures (deterministic): `python tests/bad_inputs/make.py`.

Files made at test time instead (too big, or they depend on the run): a 50 MB text file, a
copy of a sample under another name, a file deleted between discovery and extraction, and
one that cannot be read. See tests/test_robustness.py and expected.json. Every file is
byte-identical on regeneration except encrypted.pdf (pypdf draws a random file id).
"""
from __future__ import annotations

import io
import random
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

LETTER = """Joint targeted area inspection of the multi-agency response to abuse and neglect in Exampleshire

Dear Director of Children’s Services,

Between 4 and 8 December 2017, Ofsted, the Care Quality Commission and HMI Constabulary carried out a joint inspection.

Key strengths

The multi-agency safeguarding hub (MASH) is effective: decisions are timely and well recorded.
Health visitors share information promptly with children’s social care.

Areas for improvement

Health practitioners are not part of strategy discussions, so decisions are made without their knowledge of the child.
The police have a backlog of checks in the MASH, which delays decisions for some children.
Supervision of social workers is not regular enough and does not challenge drift.

Next steps

The director of children’s services should prepare a written statement of proposed action by 30 April 2018.
Café budgets of £2,000 were reviewed — “as agreed”.
"""

UNKNOWN = """Minutes of the Exampleshire Allotment Society annual general meeting

Present: the chair, the treasurer and twelve members.

1. The treasurer reported that the water bill rose by 4% this year.
2. Members agreed to repaint the shed in the spring and to hold a seed swap in March.
3. The chair thanked volunteers for clearing the paths after the storm.
"""


def pdf(pages: list[bytes], resources: str = "", extra: list[bytes] | None = None) -> bytes:
    """A minimal PDF: one content stream per page, shared resources, optional extra objects (numbered after)."""
    objs: list[bytes | None] = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
                                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    extra_start = 4
    objs += extra or []
    kids = []
    for content in pages:
        stream = zlib.compress(content)
        objs.append(f"<< /Length {len(stream)} /Filter /FlateDecode >>stream\n".encode() + stream + b"\nendstream")
        c = len(objs)
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {c} 0 R "
                    f"/Resources << /Font << /F1 3 0 R >> {resources} >> >>".encode())
        kids.append(len(objs))
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer << /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    assert extra_start == 4
    return bytes(out)


def text_page(text: str) -> bytes:
    lines = []
    for line in text.split("\n"):
        esc = line.encode("cp1252", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        lines.append(b"(" + esc + b") Tj 0 -14 Td")
    return b"BT /F1 9 Tf 40 760 Td " + b" ".join(lines) + b" ET"


def main() -> None:
    rnd = random.Random(20240601)
    files: dict[str, bytes] = {}
    files["empty.txt"] = b""
    files["blank.txt"] = b" \n\n\t \n"
    files["html_page.pdf"] = (b"<!DOCTYPE html>\n<html><head><title>Ofsted</title></head><body><h1>Sorry, the page "
                              b"you requested could not be found</h1><p>Try the search.</p></body></html>\n")
    files["random_binary.txt"] = rnd.randbytes(8192)
    files["random_binary.pdf"] = rnd.randbytes(8192)
    full = pdf([text_page(LETTER[i:i + 900]) for i in range(0, len(LETTER), 900)])
    files["truncated.pdf"] = full[: len(full) // 3]
    files["truncated_no_trailer.pdf"] = full[: len(full) * 9 // 10]
    files["scan.pdf"] = pdf([b"q 500 0 0 700 50 50 cm /Im1 Do Q"], "/XObject << /Im1 4 0 R >>", [
        b"<< /Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Length 256 >>stream\n" + bytes(rnd.randrange(256) for _ in range(256)) + b"\nendstream"])
    files["encrypted.pdf"] = encrypted(full)
    files["utf16_letter.txt"] = LETTER.replace("Exampleshire", "Sampleton").encode("utf-16")
    files["cp1252_letter.txt"] = LETTER.replace("Exampleshire", "Testbury").encode("cp1252")
    files["nul_bytes_letter.txt"] = LETTER.replace("Exampleshire", "Nulton").replace(
        "Health practitioners", "Health\x00 practitioners").encode("utf-8")
    files["allotment_minutes.txt"] = UNKNOWN.encode("utf-8")
    for name, data in files.items():
        assert len(data) < 50_000, name
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


def encrypted(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    w.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


if __name__ == "__main__":
    main()
