"""Fixtures for the Ansible side of Sumo Logic, run against a private local Sumo Logic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sumo.local_sumo import LocalSumo, serve_local_sumo


@pytest.fixture(scope="module")
def local_sumo() -> Iterator[LocalSumo]:
    with serve_local_sumo() as sumo:
        yield sumo
