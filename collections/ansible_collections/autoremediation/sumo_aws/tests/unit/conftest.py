"""Make the in-repo collection importable as ansible_collections.autoremediation.sumo_aws for pytest."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/unit -> sumo_aws -> autoremediation -> ansible_collections -> collections
COLLECTIONS_ROOT = Path(__file__).resolve().parents[5]
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))


@pytest.fixture(autouse=True)
def hermetic_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests use moto's in-process mock; an endpoint set for the twin elsewhere in the session must not leak in."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
