"""Read a file of any supported format into its original extracted text.

PDF: pypdf (BSD, pure Python) by default; PyMuPDF (AGPL, ~25x faster) is used
when the optional `fast-pdf` extra is installed. Pages are joined with form
feeds, so a character offset gives its page number.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import LoadError

SUFFIXES = (".txt", ".text", ".md", ".pdf", ".docx", ".html", ".htm")
MAX_BYTES = 200 * 1024 * 1024
MAX_CHARS = 10_000_000  # ~70x the longest real report; beyond, extraction takes minutes and GBs


@dataclass(frozen=True)
class RawText:
    file: str
    sha256: str
    text: str
    media: str

    def page_of(self, offset: int) -> int | None:
        """1-based page number of an offset (documents without form feeds: None)."""
        if "\f" not in self.text:
            return None
        return self.text.count("\f", 0, offset) + 1

    @property
    def pages(self) -> int | None:
        return self.text.count("\f") + 1 if "\f" in self.text else None


def read(path: str | Path) -> RawText:
    """Read one file; raise LoadError naming the file and the reason."""
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LoadError(name, f"file is {size // 2**20} MB, over the {MAX_BYTES // 2**20} MB limit")
        data = path.read_bytes()
    except LoadError:
        raise
    except FileNotFoundError:
        raise LoadError(name, "file disappeared before it could be read") from None
    except OSError as exc:
        raise LoadError(name, f"cannot read file: {exc.strerror or exc}") from None
    if not data.strip():
        raise LoadError(name, "file is empty")
    suffix = path.suffix.lower()
    sniffed = _sniff(data)
    if suffix == ".pdf" and sniffed != "pdf":
        what = "an HTML page" if sniffed == "html" else "not a PDF"
        raise LoadError(name, f"named .pdf but the content is {what}")
    kind = sniffed if suffix not in (".txt", ".text", ".md") or sniffed in ("pdf", "docx") else "txt"
    if kind == "txt" and suffix in (".html", ".htm"):
        kind = "html"
    reader = {"pdf": _pdf, "docx": _docx, "html": _html, "txt": _txt}[kind]
    text = reader(name, data).replace("\x00", "")
    if not text.strip():
        raise LoadError(name, "no text could be extracted")
    if len(text) > MAX_CHARS:
        raise LoadError(name, f"{len(text) // 10**6} million characters of text, over the {MAX_CHARS // 10**6} million limit")
    return RawText(name, hashlib.sha256(data).hexdigest(), text, kind)


def _sniff(data: bytes) -> str:
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    low = head[:200].lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in low:
        return "html"
    return "txt"


def _txt(name: str, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if data.count(b"\x00") > len(data) // 20:
                raise LoadError(name, "binary content, not text") from None
            text = data.decode("cp1252", errors="replace")
    bad = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if bad > max(20, len(text[:20000]) // 50):
        raise LoadError(name, "binary content, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _pdf(name: str, data: bytes) -> str:
    try:
        import fitz  # PyMuPDF, optional
    except ImportError:
        fitz = None
    if fitz is not None:
        try:
            with fitz.open(stream=data, filetype="pdf") as doc:
                if doc.needs_pass and not doc.authenticate(""):
                    raise LoadError(name, "PDF is encrypted with a password")
                pages = [page.get_text() for page in doc]
        except LoadError:
            raise
        except Exception as exc:
            raise LoadError(name, f"damaged PDF ({type(exc).__name__}: {exc})") from None
    else:
        pages = _pypdf_pages(name, data)
    text = "\f".join(p.replace("\r\n", "\n").replace("\r", "\n") for p in pages)
    if not re.search(r"\w{3}", text):
        raise LoadError(name, "PDF has no text layer (a scan?): run OCR on it first")
    return text


def _pypdf_pages(name: str, data: bytes) -> list[str]:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(name, "PDF is encrypted with a password")
        return [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise LoadError(name, f"damaged or truncated PDF ({exc})") from None
    except Exception as exc:  # pypdf raises many kinds on broken files
        if "crypt" in str(exc).lower() or "decrypt" in str(exc).lower():
            raise LoadError(name, f"PDF is encrypted ({exc})") from None
        raise LoadError(name, f"damaged PDF ({type(exc).__name__}: {exc})") from None


def _docx(name: str, data: bytes) -> str:
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = Document(io.BytesIO(data))
    except Exception as exc:
        raise LoadError(name, f"not a readable Word file ({type(exc).__name__})") from None
    blocks: list[str] = []
    for item in doc.iter_inner_content():
        if isinstance(item, Paragraph):
            style = (item.style.name or "").lower() if item.style is not None else ""
            prefix = "• " if "list" in style else ""
            blocks.append(prefix + item.text)
        elif isinstance(item, Table):
            for row in item.rows:
                cells = [c.text.strip() for c in row.cells]
                blocks.append(" | ".join(dict.fromkeys(c for c in cells if c)))
    return "\n\n".join(b for b in blocks if b.strip())


_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "blockquote", "pre", "dt", "dd", "caption"]


def _html(name: str, data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "template", "form"]):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks = []
    for el in root.find_all(_BLOCKS):
        if el.find(_BLOCKS):
            continue  # its inner blocks are taken one by one
        text = " ".join(el.get_text(" ").split())
        if text:
            blocks.append(("• " if el.name == "li" else "") + text)
    if not blocks:
        blocks = [" ".join(root.get_text(" ").split())]
    return "\n\n".join(blocks)
