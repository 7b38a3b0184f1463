"""The log message a query runs over, as the ingestion side hands it to the engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

# Metadata fields a record may carry in `LogRecord.fields`; the search scope can filter on each of them.
METADATA_FIELDS: tuple[str, ...] = ("_sourceCategory", "_sourceName", "_sourceHost", "_collector", "_source")

# What the engine reads a message as: (time in epoch ms, text, metadata). A LogRecord is one; a caller replaying
# millions of lines may pass plain tuples in the same order, which cost far less to build.
Message = tuple[int, str, Mapping[str, str]]


class LogRecord(NamedTuple):
    """One ingested message: its time (epoch ms), its text and its metadata (`_sourceCategory`, ...). A tuple, so it is
    immutable and the engine unpacks it as cheaply as a plain `Message`."""

    timestamp_ms: int
    raw: str
    fields: dict[str, str]
