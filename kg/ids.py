"""Stable identifiers derived from content, never from run order."""
from __future__ import annotations

import hashlib
import re

_SPACE = re.compile(r"\s+")


def digest(*parts: str) -> str:
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8"))
    return h.hexdigest()


def files_digest(h, paths):  # type: ignore[no-untyped-def]
    """`h` (a hashlib object) updated with each file's name and content digest, and returned:
    the digest of the code or data a result depends on. Raises OSError."""
    for p in paths:
        h.update(f"\0{p.name}\0".encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h


def stable_id(prefix: str, *parts: str, length: int = 16) -> str:
    """`prefix-<hex>` from the parts; the same parts give the same id on any machine."""
    return f"{prefix}-{digest(*parts)[:length]}"


def normalise(text: str) -> str:
    """Case- and whitespace-insensitive form of a quote, for hashing."""
    return _SPACE.sub(" ", text).strip().lower()
