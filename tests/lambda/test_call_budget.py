"""The warm path's AWS call budget: a started alert costs the state write, the start and its verification timer."""

from __future__ import annotations

from lambda_testkit import alert_event
from remediation_webhook.app import handle_event


class AwsCalls:
    """The operation names a runtime's clients send, in order (botocore's before-call event)."""

    def __init__(self, runtime) -> None:
        self.names: list[str] = []
        for client in (runtime.clients.ssm, runtime.clients.dynamodb, runtime.clients.sns, runtime.clients.scheduler):
            client.meta.events.register("before-call.*.*", self._record, unique_id=f"count-{id(self)}")

    def _record(self, model, **_) -> None:
        self.names.append(model.name)

    def during(self, action) -> list[str]:
        start = len(self.names)
        action()
        return self.names[start:]


def test_a_warm_container_starts_an_alert_with_three_calls_and_suppresses_a_duplicate_with_two(deployment):
    runtime = deployment.runtime()
    calls = AwsCalls(runtime)
    runtime.parameters.webhook_secret()  # a warm container has both cached from earlier calls
    runtime.parameters.remediation_enabled()
    responses = []

    started = calls.during(lambda: responses.append(handle_event(alert_event(), runtime)))
    duplicate = calls.during(lambda: responses.append(handle_event(alert_event(), runtime)))
    refused = calls.during(lambda: responses.append(handle_event(alert_event(secret="wrong"), runtime)))

    assert [response["statusCode"] for response in responses] == [202, 200, 401]
    assert started == ["UpdateItem", "StartAutomationExecution", "CreateSchedule"]
    assert duplicate == ["UpdateItem", "StartAutomationExecution"]  # the same ClientToken: SSM names, never restarts
    assert refused == []
    assert len(deployment.executions()) == 1
