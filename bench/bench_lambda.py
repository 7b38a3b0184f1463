"""Benchmarks of the remediation Lambda against a private twin: warm overhead, cold start, storm throughput.

Run: ``python -m bench.bench_lambda``. Every ratio compares two things measured side by side in this one run.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT / "lambda", REPO_ROOT / "tests" / "lambda"):
    sys.path.insert(0, str(_path))

from emulator.testing import REGION, TEST_CREDENTIALS, start_twin, stop_twin  # noqa: E402

WARM_ALERTS = 150
COLD_ROUNDS = 41
STORM_DELIVERIES = 1000
STORM_CLIENTS = 50

# The handler's package is imported from a copy of it with PYTHONDONTWRITEBYTECODE set: without bytecode, so it is
# compiled at every start as on Lambda (the zip carries no .pyc and /var/task is read-only), whatever __pycache__ the
# source tree has; and, for reference, with bytecode compiled beforehand. boto3, botocore and Powertools load from the
# environment's bytecode every time. Both sides time the interpreter's CPU: the wall time of this CPU-bound work on a
# free core, without the time spent waiting for a core on a machine shared with other work.
_HANDLER_COLD = (
    "import time; started = time.process_time(); import sys; sys.path.insert(0, sys.argv[1]); "
    "from remediation_webhook import app; app.current_runtime(); print(time.process_time() - started)"
)
_BARE_COLD = (
    "import time; started = time.process_time(); import boto3; boto3.client('ssm'); "
    "print(time.process_time() - started)"
)


class CallCounter:
    """Counts AWS API calls made through the given clients (botocore's before-call event)."""

    def __init__(self, *clients: Any) -> None:
        self.calls = 0
        for client in clients:
            client.meta.events.register("before-call.*.*", self._count)

    def _count(self, **_: Any) -> None:
        self.calls += 1


def warm_overhead(deployment: Any) -> dict[str, float]:
    """One alert at a time through a warm container vs the same UpdateItem, StartAutomationExecution and
    CreateSchedule made bare with the same clients."""
    from lambda_testkit import alert_event
    from remediation_webhook import app
    from remediation_webhook.payload import decode_body, parse_alert
    from remediation_webhook.runbook import start_request
    from remediation_webhook.targets import Target

    # Every alert starts: no cooldown, a cap that the fake clock's 2 s steps keep ageing out. Both parameters stay
    # cached for the whole measure, as in a warm container between two reads of each (one per 30 s and 300 s).
    parameters_cached = {f"REMEDIATION_{name}_CACHE_SECONDS": "3600" for name in ("SECRET", "SWITCH")}
    runtime = deployment.runtime(
        REMEDIATION_COOLDOWN_SECONDS="0",
        REMEDIATION_MAX_ATTEMPTS="1",
        REMEDIATION_ATTEMPT_WINDOW_SECONDS="1",
        **parameters_cached,
    )
    assert runtime.settings.verifies, "the deployment must set the verification timer's three variables"
    clients = runtime.clients
    counter = CallCounter(clients.ssm, clients.dynamodb, clients.scheduler)
    app.logger.setLevel("WARNING")  # logging cost is real on Lambda too, but printing to this terminal is not
    assert app.handle_event(alert_event(TriggerTimeStart="1"), runtime)["statusCode"] == 202  # warm the caches
    handler_times, bare_times, handler_calls = [], [], 0
    for index in range(WARM_ALERTS):
        deployment.clock.advance(2)
        event = alert_event(TriggerTimeStart=str(1_800_000_000_000 + index))
        calls_before = counter.calls
        started = time.perf_counter()
        response = app.handle_event(event, runtime)
        handler_times.append(time.perf_counter() - started)
        handler_calls += counter.calls - calls_before
        assert response["statusCode"] == 202, response

        # The very requests the handler would send, for an alert of its own, so both sides start the same runbook
        # and set the same timer (a fresh ClientToken, so a schedule name of its own).
        bare_alert = parse_alert(
            decode_body(alert_event(TriggerTimeStart=str(2_000_000_000_000 + index))["body"].encode())
        )
        request = start_request(runtime.settings, bare_alert, Target(instance_id=deployment.instance_ids[0]))
        schedule = _verification_schedule(runtime, bare_alert, request["ClientToken"])
        started = time.perf_counter()
        clients.dynamodb.update_item(
            TableName=deployment.env["REMEDIATION_STATE_TABLE"],
            Key={"pk": {"S": f"bare#{index}"}},
            UpdateExpression="SET alert_key = :key, start_request = :request",
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeValues={":key": {"S": bare_alert.alert_key}, ":request": {"S": json.dumps(request)}},
        )
        clients.ssm.start_automation_execution(**request)
        clients.scheduler.create_schedule(**schedule)
        bare_times.append(time.perf_counter() - started)
    # Every start set its timer (the handler logs a failed CreateSchedule and still answers 202).
    timers = _delete_schedule_group(clients.scheduler, runtime.settings.schedule_group)
    assert timers == 2 * WARM_ALERTS + 1, f"{timers} schedules for {2 * WARM_ALERTS + 1} starts"
    handler_ms = statistics.median(handler_times) * 1000
    bare_ms = statistics.median(bare_times) * 1000
    return {
        "warm_alerts_measured": WARM_ALERTS,
        "warm_aws_calls_per_alert": handler_calls / WARM_ALERTS,
        "warm_bare_aws_calls_per_alert": 3,
        "warm_handler_median_ms": round(handler_ms, 2),
        "warm_bare_three_calls_median_ms": round(bare_ms, 2),
        "warm_handler_vs_bare_ratio": round(handler_ms / bare_ms, 3),
    }


class _RecordingScheduler:
    """Stands in for the Scheduler client to capture the CreateSchedule request the handler's create_timer sends."""

    def __init__(self) -> None:
        self.request: dict[str, Any] = {}

    def create_schedule(self, **request: Any) -> None:
        self.request = request


def _verification_schedule(runtime: Any, alert: Any, token: str) -> dict[str, Any]:
    """The CreateSchedule request of a start's verification timer, built by the handler's own code."""
    from remediation_webhook.timer import VERIFY, Timer, create_timer, due_at

    now = runtime.clock()
    timer = Timer(
        purpose=VERIFY,
        attempt=0,
        target=runtime.settings.target_instance_ids[0],
        alert_key=alert.alert_key,
        monitor_id=alert.monitor_id,
        monitor_name=alert.name,
        trigger_type=alert.trigger_type,
        alert_started_at=alert.trigger_time_start // 1000,
        execution_id="00000000-0000-0000-0000-000000000000",  # as long as SSM's ids; this timer never fires
        acted_at=int(now),
        due_at=due_at(now, runtime.settings),
    )
    recorder = _RecordingScheduler()
    create_timer(recorder, runtime.settings, token, timer)
    return recorder.request


def _delete_schedule_group(scheduler: Any, group: str) -> int:
    """Delete the group's schedules, then the group; the number of schedules it held."""
    names = [
        entry["Name"]
        for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group)
        for entry in page.get("Schedules", [])
    ]
    for name in names:
        scheduler.delete_schedule(Name=name, GroupName=group)
    scheduler.delete_schedule_group(Name=group)
    return len(names)


def cold_start() -> dict[str, float]:
    """Import + client building in fresh interpreters, the handler's (compiled at start, and from bytecode) vs a bare
    boto3 SSM client, in interleaved rounds."""
    env = {
        **os.environ,
        **TEST_CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "REMEDIATION_SECRET_PARAMETER": "/bench/secret",
        "REMEDIATION_SWITCH_PARAMETER": "/bench/switch",
        "REMEDIATION_STATE_TABLE": "bench",
        "REMEDIATION_DOCUMENT_NAME": "bench-document",
        "REMEDIATION_TOPIC_ARN": f"arn:aws:sns:{REGION}:123456789012:bench",
        "REMEDIATION_AUTOMATION_ROLE_ARN": "arn:aws:iam::123456789012:role/bench",
        "REMEDIATION_TARGET_INSTANCE_IDS": "i-0123456789abcdef0",
    }
    env_without_bytecode = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    runs: dict[str, list[float]] = {"handler": [], "handler_from_bytecode": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="bench-lambda-cold-") as temporary:
        source, compiled = Path(temporary) / "source", Path(temporary) / "compiled"
        for copy in (source, compiled):
            shutil.copytree(
                REPO_ROOT / "lambda" / "remediation_webhook",
                copy / "remediation_webhook",
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        compileall.compile_dir(compiled, quiet=1)
        commands = {
            "handler": [sys.executable, "-c", _HANDLER_COLD, str(source)],
            "handler_from_bytecode": [sys.executable, "-c", _HANDLER_COLD, str(compiled)],
            "bare": [sys.executable, "-c", _BARE_COLD],
        }
        for _ in range(COLD_ROUNDS):  # interleaved, so machine load affects all alike
            for name, command in commands.items():
                result = subprocess.run(
                    command, cwd=REPO_ROOT, env=env_without_bytecode, capture_output=True, text=True, check=True
                )
                runs[name].append(float(result.stdout.strip()))
    handler_ms, from_bytecode_ms, bare_ms = (statistics.median(runs[name]) * 1000 for name in commands)
    return {
        "cold_rounds": COLD_ROUNDS,
        "cold_handler_import_and_clients_median_ms": round(handler_ms, 1),
        "cold_bare_boto3_ssm_client_median_ms": round(bare_ms, 1),
        "cold_handler_vs_bare_ratio": _median_ratio(runs["handler"], runs["bare"]),
        "cold_handler_from_bytecode_median_ms": round(from_bytecode_ms, 1),
        "cold_handler_from_bytecode_vs_bare_ratio": _median_ratio(runs["handler_from_bytecode"], runs["bare"]),
    }


def _median_ratio(measured: list[float], bare: list[float]) -> float:
    """The median, over rounds, of one round's ratio: a round's runs follow one another and so share the machine's
    load, which the ratio of the two medians does not cancel."""
    return round(statistics.median(one / other for one, other in zip(measured, bare, strict=True)), 3)


def storm(aws: Any, build_dir: Path) -> dict[str, float]:
    """1,000 deliveries of one alert by 50 concurrent HTTP clients through the deployed zip's Function URL."""
    import requests
    from lambda_testkit import alert_event, deploy_function_url

    zip_path = build_dir / "remediation-webhook.zip"
    subprocess.run(
        [sys.executable, "lambda/build.py", "--output", str(zip_path)], cwd=REPO_ROOT, check=True, capture_output=True
    )
    deployment, _name, url, _digest = deploy_function_url(aws, zip_path)
    event = alert_event()
    with requests.Session() as session:
        session.post(url, data=alert_event(TriggerType="Normal")["body"], headers=event["headers"], timeout=60)
        with ThreadPoolExecutor(max_workers=STORM_CLIENTS) as pool:
            started = time.perf_counter()
            statuses = list(
                pool.map(
                    lambda _: session.post(url, data=event["body"], headers=event["headers"], timeout=60).status_code,
                    range(STORM_DELIVERIES),
                )
            )
            elapsed = time.perf_counter() - started
    return {
        "storm_path": "function_url_http",
        "storm_deliveries": STORM_DELIVERIES,
        "storm_concurrent_clients": STORM_CLIENTS,
        "storm_deliveries_per_second": round(STORM_DELIVERIES / elapsed, 1),
        "storm_executions_started": len(deployment.executions()),
        "storm_non_2xx_responses": sum(1 for status in statuses if status >= 300),
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-lambda-") as temporary:
        twin = start_twin(Path(temporary))
        saved = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", *TEST_CREDENTIALS)}
        os.environ.update({"AWS_ENDPOINT_URL": twin.aws_url, "AWS_DEFAULT_REGION": REGION, **TEST_CREDENTIALS})
        try:
            from lambda_testkit import AwsEndpoint, create_deployment

            aws = AwsEndpoint(twin.aws_url)
            figures: dict[str, Any] = {}
            figures.update(warm_overhead(create_deployment(aws)))
            figures.update(cold_start())
            figures.update(storm(aws, Path(temporary)))
        finally:
            stop_twin(twin)
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    for name, value in figures.items():
        print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
