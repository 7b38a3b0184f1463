"""Structured logs: one JSON line per decision carrying alert_id and execution_id, and never the secret."""

from __future__ import annotations

from dataclasses import replace

from lambda_testkit import SECRET, FakeLambdaContext, alert_event, response_body
from remediation_webhook import app
from remediation_webhook.app import handle_event


def test_every_decision_line_carries_alert_id_and_execution_id(deployment, logs, token_reuse):
    runtime = deployment.runtime()
    started = handle_event(alert_event(), runtime)
    handle_event(alert_event(), runtime)
    handle_event(alert_event(TriggerType="Normal"), runtime)
    handle_event(alert_event(secret="wrong"), runtime)

    execution_id = response_body(started)["execution_id"]
    decisions = [record["decision"] for record in logs.records()]
    assert decisions == ["received", "started", "received", "suppressed", "ignored", "rejected"]
    assert all({"alert_id", "execution_id", "request_id"} <= set(record) for record in logs.records())
    assert logs.decisions("started")[0]["execution_id"] == execution_id
    # A duplicate names the execution only when SSM answers its re-sent ClientToken with it.
    assert logs.decisions("suppressed")[0]["execution_id"] == (execution_id if token_reuse == "same_execution" else "")


def test_every_line_of_an_invocation_carries_its_own_request_id_and_lambda_context(deployment, logs, monkeypatch):
    monkeypatch.setattr(app, "_runtime", deployment.runtime())
    first, second = alert_event(), alert_event(TriggerType="Normal")
    second["requestContext"] = {**second["requestContext"], "requestId": "second-request"}
    context = FakeLambdaContext()

    app.handler(first, context)
    lines_of_first = len(logs.records())
    app.handler(second, replace(context, aws_request_id="second-invocation"))

    records = logs.records()
    assert [record["decision"] for record in records] == ["received", "started", "ignored"]
    expected = [(first["requestContext"]["requestId"], context.aws_request_id)] * lines_of_first
    expected += [("second-request", "second-invocation")] * (len(records) - lines_of_first)
    assert [(record["request_id"], record["function_request_id"]) for record in records] == expected
    assert all(record["function_name"] == context.function_name for record in records)


def test_no_log_line_holds_the_secret_or_a_near_miss(deployment, logs):
    runtime = deployment.runtime(REMEDIATION_SECRET_CACHE_SECONDS="0")
    near_miss = SECRET[:-1] + "X"
    handle_event(alert_event(), runtime)
    handle_event(alert_event(secret=near_miss), runtime)
    handle_event(alert_event(secret=None, headers={"authorization": SECRET}), runtime)
    handle_event(alert_event(Id=SECRET + "!"), runtime)
    handle_event(alert_event(TriggerType="ResolvedCritical"), runtime)
    deployment.set_secret("second-secret-abcdefghijklmnop")
    handle_event(alert_event(secret="second-secret-abcdefghijklmnop", TriggerTimeStart="1800000900000"), runtime)

    text = "\n".join(logs.lines)
    assert len(logs.lines) >= 8
    for secret in (SECRET, near_miss, "second-secret-abcdefghijklmnop"):
        assert secret not in text
        assert secret[:12] not in text
