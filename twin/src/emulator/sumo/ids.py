"""Object ids as Sumo Logic writes them: 16 upper-case hexadecimal digits."""

from __future__ import annotations

import re
import secrets
from collections.abc import Container

_OBJECT_ID = re.compile(r"^[0-9A-Fa-f]{16}$")


def new_object_id(taken: Container[str]) -> str:
    while True:
        candidate = secrets.token_hex(8).upper()
        if candidate not in taken:
            return candidate


def is_object_id(text: str) -> bool:
    return bool(_OBJECT_ID.match(text))
