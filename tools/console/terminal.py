"""Where the console writes: its answer on stdout, problems on stderr, and colour and progress only when a person
is watching (stdout is a terminal; NO_COLOR turns colour off)."""

from __future__ import annotations

import os
from typing import TextIO

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "bold": "1", "dim": "2"}
_CLEAR_LINE = "\r\x1b[2K"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Terminal:
    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err
        self.interactive = _is_terminal(out)
        self.colour = self.interactive and not os.environ.get("NO_COLOR")
        self._progress_shown = self.interactive and _is_terminal(err)
        self._progressing = False

    def paint(self, text: str, colour: str) -> str:
        if not self.colour or colour not in _COLOURS:
            return text
        return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"

    def progress(self, step: str) -> None:
        """What the command is doing now, on one line of stderr that the answer replaces."""
        if self._progress_shown:
            self.err.write(f"{_CLEAR_LINE}{self.paint(step + ' …', 'dim')}")
            self.err.flush()
            self._progressing = True

    def end_progress(self) -> None:
        if self._progressing:
            self.err.write(_CLEAR_LINE)
            self.err.flush()
            self._progressing = False

    def say(self, text: str) -> None:
        self.end_progress()
        self.out.write(text if text.endswith("\n") else text + "\n")

    def problem(self, text: str) -> None:
        self.end_progress()
        self.err.write(f"remediation: {text}\n")
