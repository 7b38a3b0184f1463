"""Who may call the API (HTTP Basic with an access id and key) and how often (a per-access-id sliding window).

Credentials: SUMO_TWIN_ACCESS_ID / SUMO_TWIN_ACCESS_KEY, else `local-sumo-access-id` / `local-sumo-access-key`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import threading
import time
from collections import deque
from collections.abc import Callable

DEFAULT_ACCESS_ID = "local-sumo-access-id"
DEFAULT_ACCESS_KEY = "local-sumo-access-key"
REQUESTS_PER_SECOND = 4


def access_keys_from_environment() -> dict[str, str]:
    """access id -> access key."""
    access_id = os.environ.get("SUMO_TWIN_ACCESS_ID") or DEFAULT_ACCESS_ID
    access_key = os.environ.get("SUMO_TWIN_ACCESS_KEY") or DEFAULT_ACCESS_KEY
    return {access_id: access_key}


def user_id_for(access_id: str) -> str:
    """A stable 16-hex user id standing for the key's owner (createdBy, modifiedBy)."""
    return hashlib.sha256(access_id.encode()).hexdigest()[:16].upper()


def authenticated_access_id(authorization: str | None, access_keys: dict[str, str]) -> str | None:
    """The access id of a valid `Authorization: Basic ...` header, else None. Keys compare in constant time."""
    if not authorization or not authorization.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[len("Basic ") :], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    access_id, separator, access_key = decoded.partition(":")
    if not separator:
        return None
    expected = access_keys.get(access_id)
    # Compare against a dummy for unknown ids too, so timing does not tell which ids exist.
    matches = hmac.compare_digest(access_key.encode(), (expected or "\0").encode())
    return access_id if expected is not None and matches else None


class RateLimiter:
    """At most REQUESTS_PER_SECOND accepted requests per access id in any second of real time."""

    def __init__(self, enabled: bool, now: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self._now = now
        self._lock = threading.Lock()
        self._accepted: dict[str, deque[float]] = {}

    def allow(self, access_id: str) -> bool:
        if not self.enabled:
            return True
        with self._lock:
            now = self._now()
            window = self._accepted.setdefault(access_id, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= REQUESTS_PER_SECOND:
                return False
            window.append(now)
            return True
