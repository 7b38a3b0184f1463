"""The one error the query engine raises: the query text is outside the supported subset or malformed."""

from __future__ import annotations


class QueryError(ValueError):
    """A query that cannot be compiled; the message names the operator, token or position that is wrong."""
