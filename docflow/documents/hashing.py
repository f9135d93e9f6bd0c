"""Fingerprints stored with every generated document.

A stored PDF records *which template* (``template_version``) and *which data* (``data_hash``)
it was made from, so a regenerated document can be compared with the original and an auditor
can tell a changed template from changed data.
"""
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum


def _default(value):
    """JSON for the types a context may carry; dates and times as ISO 8601."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"a document context cannot hold {type(value).__name__}: {value!r}")


def canonical_json(context: Mapping) -> bytes:
    """One byte string per logical context: sorted keys, no whitespace, UTF-8."""
    return json.dumps(context, default=_default, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), allow_nan=False).encode("utf-8")


def data_hash(context: Mapping) -> str:
    """SHA-256 (hex) of the canonical JSON of a document's context."""
    return hashlib.sha256(canonical_json(context)).hexdigest()


def sources_hash(sources: Iterable[tuple[str, str]]) -> str:
    """SHA-256 over named sources (templates, CSS), independent of the order they were found."""
    digest = hashlib.sha256()
    for name, text in sorted(sources):
        encoded = text.encode("utf-8")
        digest.update(f"{name}\0{len(encoded)}\0".encode())
        digest.update(encoded)
    return digest.hexdigest()
