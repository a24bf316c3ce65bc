"""Stable identifiers derived from content, never from run order."""
from __future__ import annotations

import hashlib
import re

_SPACE = re.compile(r"\s+")


def digest(*parts: str) -> str:
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8"))
    return h.hexdigest()


def stable_id(prefix: str, *parts: str, length: int = 16) -> str:
    """`prefix-<hex>` from the parts; the same parts give the same id on any machine."""
    return f"{prefix}-{digest(*parts)[:length]}"


def normalise(text: str) -> str:
    """Case- and whitespace-insensitive form of a quote, for hashing."""
    return _SPACE.sub(" ", text).strip().lower()
