"""Benchmarks of the remediation Lambda against a private twin: warm overhead, cold start, storm throughput.

Run: ``python -m bench.bench_lambda``. Every ratio compares two things measured side by side in this one run.
"""

from __future__ import annotations

import json
import os
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
COLD_RUNS = 11
STORM_DELIVERIES = 1000
STORM_CLIENTS = 50

_HANDLER_COLD = (
    "import time; started = time.perf_counter(); import sys; sys.path.insert(0, 'lambda'); "
    "from remediation_webhook import app; app.current_runtime(); print(time.perf_counter() - started)"
)
_BARE_COLD = (
    "import time; started = time.perf_counter(); import boto3; boto3.client('ssm'); "
    "print(time.perf_counter() - started)"
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
    """One alert at a time through a warm container vs the same UpdateItem and StartAutomationExecution made bare."""
    from lambda_testkit import alert_event
    from remediation_webhook import app
    from remediation_webhook.payload import decode_body, parse_alert
    from remediation_webhook.runbook import start_request
    from remediation_webhook.targets import Target

    # Every alert starts: no cooldown, a cap that the fake clock's 2 s steps keep ageing out.
    runtime = deployment.runtime(
        REMEDIATION_COOLDOWN_SECONDS="0", REMEDIATION_MAX_ATTEMPTS="1", REMEDIATION_ATTEMPT_WINDOW_SECONDS="1"
    )
    clients = runtime.clients
    counter = CallCounter(clients.ssm, clients.dynamodb)
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

        # The very request the handler would send, for an alert of its own, so both sides start the same runbook.
        bare_alert = parse_alert(
            decode_body(alert_event(TriggerTimeStart=str(2_000_000_000_000 + index))["body"].encode())
        )
        request = start_request(runtime.settings, bare_alert, Target(instance_id=deployment.instance_ids[0]))
        started = time.perf_counter()
        clients.dynamodb.update_item(
            TableName=deployment.env["REMEDIATION_STATE_TABLE"],
            Key={"pk": {"S": f"bare#{index}"}},
            UpdateExpression="SET alert_key = :key, start_request = :request",
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeValues={":key": {"S": bare_alert.alert_key}, ":request": {"S": json.dumps(request)}},
        )
        clients.ssm.start_automation_execution(**request)
        bare_times.append(time.perf_counter() - started)
    handler_ms = statistics.median(handler_times) * 1000
    bare_ms = statistics.median(bare_times) * 1000
    return {
        "warm_alerts_measured": WARM_ALERTS,
        "warm_aws_calls_per_alert": handler_calls / WARM_ALERTS,
        "warm_bare_aws_calls_per_alert": 2,
        "warm_handler_median_ms": round(handler_ms, 2),
        "warm_bare_two_calls_median_ms": round(bare_ms, 2),
        "warm_handler_vs_bare_ratio": round(handler_ms / bare_ms, 3),
    }


def cold_start() -> dict[str, float]:
    """Median, over fresh interpreters, of import + client building: the handler's vs a bare boto3 SSM client."""
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
    handler_runs, bare_runs = [], []
    for _ in range(COLD_RUNS):  # interleaved, so machine load affects both alike
        for code, runs in ((_HANDLER_COLD, handler_runs), (_BARE_COLD, bare_runs)):
            result = subprocess.run(
                [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
            )
            runs.append(float(result.stdout.strip()))
    handler_ms, bare_ms = statistics.median(handler_runs) * 1000, statistics.median(bare_runs) * 1000
    return {
        "cold_handler_import_and_clients_median_ms": round(handler_ms, 1),
        "cold_bare_boto3_ssm_client_median_ms": round(bare_ms, 1),
        "cold_handler_vs_bare_ratio": round(handler_ms / bare_ms, 3),
    }


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
