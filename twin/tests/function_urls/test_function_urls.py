"""A Lambda deployed to the twin answers on its Function URL, running the uploaded zip in its own process."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
import requests

from tests.function_urls.conftest import deploy, make_zip

HANDLER_SOURCE = """
import base64, json, os, time

import boto3


def handler(event, context):
    print("handling", event["rawPath"])
    if event["rawPath"] == "/boom":
        raise RuntimeError("the function failed on purpose")
    if event["rawPath"] == "/slow":
        time.sleep(5)
    if event["rawPath"] == "/plain":
        return {"plain": True}
    if event["rawPath"] == "/aws":
        queues = boto3.client("sqs").list_queues()
        return {"statusCode": 200, "body": json.dumps({"queue_urls": queues.get("QueueUrls", [])})}
    return {
        "statusCode": 201,
        "headers": {"X-Echo": "yes"},
        "body": json.dumps({
            "event": event,
            "greeting": os.environ.get("GREETING"),
            "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
            "remaining_ms": context.get_remaining_time_in_millis(),
            "request_id": context.aws_request_id,
        }),
    }
"""


def test_function_url_is_served_on_loopback(moto_with_urls):
    _, url = deploy(moto_with_urls, HANDLER_SOURCE)
    assert url.startswith(f"{moto_with_urls.url}/lambda-url/")
    assert url.endswith("/")


def test_request_reaches_the_deployed_handler_as_a_payload_2_event(moto_with_urls):
    _, url = deploy(moto_with_urls, HANDLER_SOURCE)
    response = requests.post(
        f"{url}alerts?source=sumo&source=test",
        data=json.dumps({"TriggerType": "Critical"}),
        headers={"Content-Type": "application/json", "X-Mixed-Case": "Value", "Cookie": "a=1; b=2"},
        timeout=30,
    )
    assert response.status_code == 201
    assert response.headers["X-Echo"] == "yes"
    payload = response.json()
    event = payload["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/alerts"
    assert event["rawQueryString"] == "source=sumo&source=test"
    assert event["queryStringParameters"] == {"source": "sumo,test"}
    assert event["headers"]["x-mixed-case"] == "Value"
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"TriggerType": "Critical"}
    assert payload["greeting"] == "hello from the environment"
    assert payload["endpoint"] == moto_with_urls.url
    assert 0 < payload["remaining_ms"] <= 3000


def test_binary_body_arrives_base64_encoded(moto_with_urls):
    _, url = deploy(moto_with_urls, HANDLER_SOURCE)
    raw = bytes(range(256))
    response = requests.post(url, data=raw, headers={"Content-Type": "application/octet-stream"}, timeout=30)
    event = response.json()["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_result_without_status_code_is_answered_as_200_json(moto_with_urls):
    _, url = deploy(moto_with_urls, HANDLER_SOURCE)
    response = requests.get(f"{url}plain", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"plain": True}


def test_function_code_calls_aws_on_the_twin(moto_with_urls):
    queue_url = moto_with_urls.client("sqs").create_queue(QueueName=f"seen-by-fn-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    _, url = deploy(moto_with_urls, HANDLER_SOURCE)
    response = requests.get(f"{url}aws", timeout=30)
    assert response.status_code == 200
    assert queue_url in response.json()["queue_urls"]


def test_function_error_answers_502_and_is_logged(moto_with_urls):
    name, url = deploy(moto_with_urls, HANDLER_SOURCE)
    response = requests.get(f"{url}boom", timeout=30)
    assert response.status_code == 502
    assert "failed on purpose" not in response.text
    logs = moto_with_urls.client("logs")
    messages = _log_messages(logs, f"/aws/lambda/{name}", until_contains="failed on purpose")
    assert any("failed on purpose" in message for message in messages)
    assert any(message.startswith("START RequestId:") for message in messages)


def test_timeout_answers_502(moto_with_urls):
    _, url = deploy(moto_with_urls, HANDLER_SOURCE, timeout=1)
    assert requests.get(f"{url}slow", timeout=30).status_code == 502
    # The pool replaces the killed worker: the next call works.
    assert requests.get(f"{url}plain", timeout=30).status_code == 200


def test_url_without_public_resource_policy_is_forbidden(moto_with_urls):
    _, url = deploy(moto_with_urls, HANDLER_SOURCE, public=False)
    response = requests.post(url, json={}, timeout=30)
    assert response.status_code == 403


def test_iam_auth_url_refuses_unsigned_requests(moto_with_urls):
    _, url = deploy(moto_with_urls, HANDLER_SOURCE, auth_type="AWS_IAM", public=False)
    assert requests.post(url, json={}, timeout=30).status_code == 403


def test_unknown_url_is_not_found(moto_with_urls):
    assert requests.get(f"{moto_with_urls.url}/lambda-url/{uuid.uuid4().hex}/", timeout=30).status_code == 404


def test_updated_code_is_served_after_update_function_code(moto_with_urls):
    name, url = deploy(moto_with_urls, HANDLER_SOURCE)
    assert requests.get(f"{url}plain", timeout=30).json() == {"plain": True}
    new_source = "def handler(event, context):\n    return {'version': 2}\n"
    moto_with_urls.client("lambda").update_function_code(FunctionName=name, ZipFile=make_zip(new_source))
    assert requests.get(f"{url}plain", timeout=30).json() == {"version": 2}


def test_concurrent_requests_are_all_answered(moto_with_urls):
    from concurrent.futures import ThreadPoolExecutor

    _, url = deploy(moto_with_urls, HANDLER_SOURCE)
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda _: requests.get(f"{url}plain", timeout=60).status_code, range(48)))
    assert statuses == [200] * 48


def _log_messages(logs, group: str, until_contains: str) -> list[str]:
    deadline = time.monotonic() + 10
    messages: list[str] = []
    while time.monotonic() < deadline:
        events = logs.filter_log_events(logGroupName=group).get("events", [])
        messages = [event["message"] for event in events]
        if any(until_contains in message for message in messages):
            return messages
        time.sleep(0.1)
    pytest.fail(f"no log line containing {until_contains!r} in {group}: {messages}")
