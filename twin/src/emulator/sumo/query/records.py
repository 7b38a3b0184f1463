"""The log message a query runs over, as the ingestion side hands it to the engine."""

from __future__ import annotations

from dataclasses import dataclass

# Metadata fields a record may carry in `LogRecord.fields`; the search scope can filter on each of them.
METADATA_FIELDS: tuple[str, ...] = ("_sourceCategory", "_sourceName", "_sourceHost", "_collector", "_source")


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One ingested message: its time (epoch ms), its text and its metadata (`_sourceCategory`, ...)."""

    timestamp_ms: int
    raw: str
    fields: dict[str, str]
