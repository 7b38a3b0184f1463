"""Build the Lambda's deployment zip deterministically: the same source and pins give byte-identical zips.

Usage: ``python lambda/build.py --output build/remediation-webhook.zip`` prints the zip's path, then the base64 SHA-256
of its bytes (what Lambda reports as CodeSha256), one per line.

Dependencies (lambda/requirements.txt; boto3 is the runtime's, never packaged) are installed into a staging directory
with ``pip install --target`` for the python3.12 x86_64 runtime as wheels only, through pip's configured index. When pip
cannot (no index reachable), they are copied from the current environment instead: the installed distributions named
by the requirements and their dependencies, file by file from each distribution's RECORD. Either way the archive holds
sorted entries, fixed timestamps (1980-01-01) and permissions (0644), and no __pycache__ or .pyc files.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "remediation_webhook"
REQUIREMENTS = HERE / "requirements.txt"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
# Provided by the Lambda Python runtime; packaging them would only add size and a second boto3.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
_SKIPPED_PARTS = {"__pycache__"}


def stage_source(staging: Path) -> None:
    for source in sorted((HERE / PACKAGE).rglob("*.py")):
        if _SKIPPED_PARTS & set(source.parts):
            continue
        destination = staging / PACKAGE / source.relative_to(HERE / PACKAGE)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)


def install_with_pip(staging: Path) -> bool:
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "--no-compile",
        "--target", str(staging), "--requirement", str(REQUIREMENTS),
        "--platform", "manylinux2014_x86_64", "--python-version", "3.12", "--implementation", "cp",
        "--only-binary=:all:",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    if result.returncode != 0:
        sys.stderr.write(f"pip failed; copying the requirements from this environment.\n{result.stderr}")
        return False
    shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts are of no use in a Lambda
    return True


def copy_from_environment(staging: Path) -> None:
    """Copy every installed file of the required distributions and their dependencies (minus the runtime's)."""
    pending = [_requirement_name(line) for line in REQUIREMENTS.read_text().splitlines() if _requirement_name(line)]
    seen: set[str] = set()
    while pending:
        name = _canonical(pending.pop())
        if name in seen or name in RUNTIME_PROVIDED:
            continue
        seen.add(name)
        distribution = importlib.metadata.distribution(name)
        for required in distribution.requires or []:
            if "extra ==" not in required:
                pending.append(_requirement_name(required))
        for file in distribution.files or []:
            if _SKIPPED_PARTS & set(file.parts) or file.suffix == ".pyc" or file.parts[0] in ("..", "bin"):
                continue
            source = Path(str(file.locate()))
            if source.is_file():
                destination = staging / file
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)


def write_zip(staging: Path, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    # Sorted by the archive name itself, so the order does not depend on the filesystem or on Path's ordering.
    files = sorted(
        (path.relative_to(staging).as_posix(), path)
        for path in staging.rglob("*")
        if path.is_file() and not (_SKIPPED_PARTS & set(path.parts)) and path.suffix != ".pyc"
    )
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in files:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so external_attr carries the permission bits
            info.external_attr = (0o100644 & 0xFFFF) << 16
            archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def build(output: Path, dependencies: str = "pip") -> str:
    """Build the zip at `output`; returns the base64 SHA-256. `dependencies` is "pip", "environment" or "none"."""
    with tempfile.TemporaryDirectory(prefix="remediation-webhook-") as temporary:
        staging = Path(temporary)
        stage_source(staging)
        if dependencies == "pip" and not install_with_pip(staging):
            dependencies = "environment"
        if dependencies == "environment":
            copy_from_environment(staging)
        write_zip(staging, output)
    return base64.b64encode(hashlib.sha256(output.read_bytes()).digest()).decode()


def _requirement_name(line: str) -> str:
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
    return match.group(1) if match else ""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("build/remediation-webhook.zip"))
    parser.add_argument(
        "--dependencies",
        choices=["pip", "environment", "none"],
        default="pip",
        help="pip (default; falls back to environment), environment (copy installed ones), none (source only)",
    )
    args = parser.parse_args(argv)
    digest = build(args.output, args.dependencies)
    print(args.output)
    print(digest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
