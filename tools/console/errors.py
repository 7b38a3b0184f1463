"""The one error the console reports: a sentence for the operator, printed on one line, with no traceback."""

from __future__ import annotations


class ConsoleError(Exception):
    """What went wrong and, where it helps, what to do about it (the resource's name, the inventory); `code` is AWS's
    error code when AWS refused."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
