"""The deployment zip: byte-identical from the same source, normalised entries, handler and dependencies inside."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def build(output: Path, *options: str) -> tuple[Path, str]:
    result = subprocess.run(
        [sys.executable, "lambda/build.py", "--output", str(output), *options],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    path, digest = result.stdout.split()
    return Path(path), digest


@pytest.mark.parametrize("dependencies", ["pip", "environment"])
def test_two_builds_of_the_same_source_are_byte_identical(tmp_path, dependencies):
    first, first_digest = build(tmp_path / "a.zip", "--dependencies", dependencies)
    second, second_digest = build(tmp_path / "b.zip", "--dependencies", dependencies)

    assert first.read_bytes() == second.read_bytes()
    assert first_digest == second_digest == base64.b64encode(hashlib.sha256(first.read_bytes()).digest()).decode()


def test_the_zip_holds_sorted_normalised_entries_and_no_bytecode(tmp_path):
    path, _ = build(tmp_path / "webhook.zip", "--dependencies", "environment")

    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
    names = [entry.filename for entry in entries]
    assert names == sorted(names)
    assert "remediation_webhook/app.py" in names
    assert any(name.startswith("aws_lambda_powertools/") for name in names)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    assert not any(name.startswith(("boto3/", "botocore/")) for name in names)
    assert {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}
    assert {entry.external_attr >> 16 for entry in entries} == {0o100644}
