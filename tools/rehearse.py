"""Rehearse a runbook on the twin: upload it, run it and watch each step live, as on-call would in the console.

    python -m tools.rehearse RUNBOOK_FILE -p Name=value ... [--document-name N] [--endpoint URL]

Creates the Automation document (or adds a new version and makes it the default), starts an execution and prints
every step as it starts and ends, with its outputs or failure message, until the execution finishes. Exit code 0
means Success. Only a loopback endpoint is accepted unless --allow-real-account is given; then boto3's normal
credential chain is used, and without --endpoint the calls go to real AWS.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
DEFAULT_REGION = "us-east-1"
FINISHED = {"Success", "Failed", "Cancelled", "TimedOut", "CompletedWithSuccess", "CompletedWithFailure", "Rejected"}
STEP_FINISHED = {"Success", "Failed", "Cancelled", "TimedOut", "Skipped", "Rejected"}
RAW_OUTPUTS = {"OutputPayload"}
MAX_OUTPUT_CHARS = 200
_DOCUMENT_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
# Not secrets: the twin accepts any credentials.
_TWIN_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class RehearsalError(Exception):
    """A problem worth one line to the operator (bad input, the endpoint refused, a call failed)."""


def is_loopback(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_parameters(pairs: Iterable[str]) -> dict[str, list[str]]:
    """`-p Name=value` pairs as StartAutomationExecution wants them; a repeated name adds to its list."""
    parameters: dict[str, list[str]] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise RehearsalError(f"parameter {pair!r} must look like Name=value")
        parameters.setdefault(name, []).append(value)
    return parameters


def document_format_of(path: Path, content: str) -> str:
    if path.suffix.lower() == ".json":
        return "JSON"
    if path.suffix.lower() in {".yaml", ".yml"}:
        return "YAML"
    return "JSON" if content.lstrip().startswith("{") else "YAML"


def default_document_name(path: Path) -> str:
    name = re.sub(r"[^a-zA-Z0-9_\-.]", "-", path.stem)
    if not _DOCUMENT_NAME.match(name):
        raise RehearsalError(f"cannot make a document name from {path.name!r}; pass --document-name")
    return name


def ssm_client(endpoint: str | None, region: str, allow_real_account: bool) -> Any:
    if endpoint is not None and not is_loopback(endpoint) and not allow_real_account:
        raise RehearsalError(
            f"refusing endpoint {endpoint}: it is not loopback; pass --allow-real-account to rehearse in a real account"
        )
    config = Config(retries={"mode": "standard", "max_attempts": 3})
    if allow_real_account:
        return boto3.client("ssm", endpoint_url=endpoint, region_name=region, config=config)
    return boto3.client("ssm", endpoint_url=endpoint, region_name=region, config=config, **_TWIN_CREDENTIALS)


def publish_document(ssm: Any, name: str, content: str, document_format: str) -> str:
    """Create the Automation document or add its content as a new default version; returns that version."""
    try:
        ssm.describe_document(Name=name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "InvalidDocument":
            raise
        created = ssm.create_document(
            Name=name, Content=content, DocumentType="Automation", DocumentFormat=document_format
        )
        return created["DocumentDescription"]["DocumentVersion"]
    try:
        updated = ssm.update_document(
            Name=name, Content=content, DocumentFormat=document_format, DocumentVersion="$LATEST"
        )
        version = updated["DocumentDescription"]["DocumentVersion"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "DuplicateDocumentContent":
            raise
        version = ssm.describe_document(Name=name, DocumentVersion="$LATEST")["Document"]["DocumentVersion"]
    ssm.update_document_default_version(Name=name, DocumentVersion=version)
    return version


def _clock(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, tz=UTC)
    else:
        return "--:--:--"
    return moment.strftime("%H:%M:%S")


class StepReporter:
    """Turns successive snapshots of the step list into one line per step start and per step end."""

    def __init__(self, out: TextIO, full_outputs: bool = False) -> None:
        self._out = out
        self._full_outputs = full_outputs
        self._started: set[str] = set()
        self._ended: set[str] = set()

    def report(self, steps: list[dict[str, Any]]) -> None:
        for step in steps:
            key = step.get("StepExecutionId") or step["StepName"]
            status = step.get("StepStatus", "Pending")
            if key not in self._started and status not in {"Pending"}:
                self._started.add(key)
                self._line(step.get("ExecutionStartTime"), f"start  {step['StepName']} ({step.get('Action', '?')})")
            if key not in self._ended and status in STEP_FINISHED:
                self._ended.add(key)
                self._line(
                    step.get("ExecutionEndTime"), f"{status} {step['StepName']}{_step_detail(step, self._full_outputs)}"
                )

    def _line(self, moment: Any, text: str) -> None:
        print(f"[{_clock(moment)}] {text}", file=self._out, flush=True)


def _step_detail(step: dict[str, Any], full_outputs: bool) -> str:
    if step.get("FailureMessage"):
        return f": {step['FailureMessage']}"
    outputs = step.get("Outputs") or {}
    if not full_outputs:
        # The raw API response repeats what the named outputs already pick out of it, at length.
        outputs = {
            name: [_shorten(value) for value in values] for name, values in outputs.items() if name not in RAW_OUTPUTS
        }
    return f" outputs {json.dumps(outputs, sort_keys=True, ensure_ascii=False)}" if outputs else ""


def _shorten(value: str) -> str:
    if len(value) <= MAX_OUTPUT_CHARS:
        return value
    return f"{value[:MAX_OUTPUT_CHARS]}... ({len(value)} characters; --full-outputs shows all)"


def watch(
    ssm: Any,
    execution_id: str,
    out: TextIO,
    poll_seconds: float = 0.5,
    full_outputs: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Print steps as they go until the execution finishes; returns the final AutomationExecution."""
    reporter = StepReporter(out, full_outputs)
    while True:
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        reporter.report(execution.get("StepExecutions", []))
        if execution["AutomationExecutionStatus"] in FINISHED:
            return execution
        sleep(poll_seconds)


def rehearse(args: argparse.Namespace, out: TextIO) -> int:
    path = Path(args.runbook)
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RehearsalError(f"cannot read runbook {path}: {error.strerror}") from None
    document_format = document_format_of(path, content)
    name = args.document_name or default_document_name(path)
    if not _DOCUMENT_NAME.match(name):
        raise RehearsalError(f"document name {name!r} must match {_DOCUMENT_NAME.pattern}")
    parameters = parse_parameters(args.parameter or [])
    endpoint = args.endpoint if args.endpoint or args.allow_real_account else DEFAULT_ENDPOINT
    ssm = ssm_client(endpoint, args.region, args.allow_real_account)

    version = publish_document(ssm, name, content, document_format)
    print(f"document {name} version {version} is the default ({endpoint or 'AWS'})", file=out, flush=True)
    request: dict[str, Any] = {"DocumentName": name, "DocumentVersion": version}
    if parameters:
        request["Parameters"] = parameters
    execution_id = ssm.start_automation_execution(**request)["AutomationExecutionId"]
    print(f"execution {execution_id} started", file=out, flush=True)
    try:
        execution = watch(ssm, execution_id, out, poll_seconds=args.poll_seconds, full_outputs=args.full_outputs)
    except KeyboardInterrupt:
        ssm.stop_automation_execution(AutomationExecutionId=execution_id)
        print(f"interrupted: asked to stop execution {execution_id}", file=out, flush=True)
        return 130
    status = execution["AutomationExecutionStatus"]
    print(f"execution {execution_id} ended: {status}", file=out, flush=True)
    if execution.get("Outputs"):
        print(f"outputs {json.dumps(execution['Outputs'], sort_keys=True)}", file=out, flush=True)
    if execution.get("FailureMessage"):
        print(f"failure: {execution['FailureMessage']}", file=out, flush=True)
    return 0 if status == "Success" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.rehearse", description=__doc__.splitlines()[0])
    parser.add_argument("runbook", help="the Automation document (YAML or JSON)")
    parser.add_argument("-p", "--parameter", action="append", metavar="Name=value", help="a runbook parameter")
    parser.add_argument("--document-name", help="document name (default: the file name without extension)")
    parser.add_argument("--endpoint", help=f"SSM endpoint (default {DEFAULT_ENDPOINT}, the twin)")
    parser.add_argument("--region", default=DEFAULT_REGION)
    parser.add_argument("--poll-seconds", type=float, default=0.5, help="real seconds between progress polls")
    parser.add_argument(
        "--full-outputs", action="store_true", help="print step outputs in full, raw API responses included"
    )
    parser.add_argument(
        "--allow-real-account",
        action="store_true",
        help="allow a non-loopback endpoint (or real AWS) with your normal AWS credentials",
    )
    args = parser.parse_args(argv)
    if args.poll_seconds <= 0:
        parser.error(f"--poll-seconds must be positive, got {args.poll_seconds}")
    try:
        return rehearse(args, sys.stdout)
    except RehearsalError as error:
        print(f"rehearse: {error}", file=sys.stderr)
        return 2
    except ClientError as error:
        details = error.response["Error"]
        print(f"rehearse: {details.get('Code')}: {details.get('Message')}", file=sys.stderr)
        return 2
    except BotoCoreError as error:
        print(f"rehearse: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
