"""The built zip, deployed to the twin's Lambda and called over HTTP through its Function URL, as Sumo calls it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from lambda_testkit import SECRET, alert_event, deploy_function_url

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory):
    output = tmp_path_factory.mktemp("build") / "remediation-webhook.zip"
    result = subprocess.run(
        [sys.executable, "lambda/build.py", "--output", str(output)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    path, digest = result.stdout.split()
    return Path(path), digest


def deploy_function(aws, built_zip):
    zip_path, digest = built_zip
    deployment, name, url, code_sha256 = deploy_function_url(aws, zip_path)
    assert code_sha256 == digest
    return deployment, name, url


@pytest.fixture(scope="module")
def deployed(aws, built_zip):
    return deploy_function(aws, built_zip)


def post(url: str, event: dict, session: requests.Session | None = None) -> requests.Response:
    return (session or requests).post(url, data=event["body"], headers=event["headers"], timeout=60)


def test_the_deployed_zip_starts_the_runbook_over_http(deployed):
    deployment, _name, url = deployed

    response = post(url, alert_event(TriggerTimeStart="1800000000000"))

    assert response.status_code == 202
    assert response.headers["Content-Type"] == "application/json"
    execution_ids = {execution["AutomationExecutionId"] for execution in deployment.executions()}
    assert response.json()["execution_id"] in execution_ids


def test_the_deployed_zip_refuses_a_wrong_secret_over_http(deployed):
    _deployment, _name, url = deployed

    response = post(url, alert_event(secret="not-the-secret"))

    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}


def test_a_storm_through_the_function_url_starts_one_execution(aws, built_zip):
    deployment, _name, url = deploy_function(aws, built_zip)
    event = alert_event()

    with ThreadPoolExecutor(max_workers=50) as pool, requests.Session() as session:
        responses = list(pool.map(lambda _: post(url, event, session), range(1000)))

    [execution] = deployment.executions()
    statuses = [response.status_code for response in responses]
    assert statuses.count(202) == 1
    assert statuses.count(200) == 999
    named = {response.json()["execution_id"] for response in responses}
    # The twin refuses a reused ClientToken (ledger: "A ClientToken can't be reused"): only the delivery whose start
    # reached SSM first learns the execution's id; the others name none.
    assert execution["AutomationExecutionId"] in named
    assert named <= {execution["AutomationExecutionId"], None}


def test_the_deployed_function_logs_decisions_to_cloudwatch_without_the_secret(deployed, aws):
    _deployment, name, url = deployed
    post(url, alert_event(TriggerType="Normal"))
    post(url, alert_event(secret=SECRET + "-wrong"))

    logs = aws.client("logs")
    deadline, messages = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}").get("events", [])
        messages = [event["message"] for event in events]
        if any('"ignored"' in message for message in messages):
            break
        time.sleep(0.2)
    decisions = [json.loads(m) for m in messages if m.lstrip().startswith("{") and '"decision"' in m]
    assert {"ignored", "rejected"} <= {record["decision"] for record in decisions}
    assert {record["service"] for record in decisions} == {"remediation-webhook"}
    assert all(SECRET not in message for message in messages)
