"""Alert storms: one execution per alert, a cooldown per instance, an attempt cap that escalates once, a kill switch."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

from lambda_testkit import alert_event, response_body
from remediation_webhook.app import handle_event

CONTAINERS = 8  # concurrent deliveries land on several warm containers, each with its own caches


def deliver_concurrently(deployment, events, clients=50, **overrides):
    runtimes = [deployment.runtime(**overrides) for _ in range(CONTAINERS)]
    jobs = zip(events, itertools.cycle(runtimes), strict=False)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(lambda job: handle_event(*job), jobs))


def test_one_alert_delivered_1000_times_by_50_clients_starts_exactly_one_execution(deployment, token_reuse):
    responses = deliver_concurrently(deployment, [alert_event() for _ in range(1000)])

    [execution] = deployment.executions()
    statuses = [response["statusCode"] for response in responses]
    assert statuses.count(202) == 1
    assert statuses.count(200) == 999
    named = {response_body(response)["execution_id"] for response in responses}
    if token_reuse == "refuse":  # a refused reuse of the token names no execution
        assert named <= {execution["AutomationExecutionId"], None}
    else:
        assert named == {execution["AutomationExecutionId"]}


def test_second_alert_inside_cooldown_starts_nothing_and_names_the_running_execution_if_ssm_does(
    deployment, token_reuse
):
    runtime = deployment.runtime()
    first = handle_event(alert_event(TriggerTimeStart="1800000000000"), runtime)
    deployment.clock.advance(600)

    second = handle_event(alert_event(TriggerTimeStart="1800000600000"), runtime)

    assert first["statusCode"] == 202
    assert second["statusCode"] == 200
    body = response_body(second)
    assert body["status"] == "suppressed"
    assert body["targets"][0]["reason"] == "cooldown"
    named = response_body(first)["execution_id"] if token_reuse == "same_execution" else None
    assert body["execution_id"] == named
    assert len(deployment.executions()) == 1


def test_an_alert_whose_decision_was_lost_is_not_started_twice(deployment, token_reuse):
    """Ledger: "A ClientToken can't be reused". The alert's item is gone (deleted by hand, or expired) and Sumo
    delivers the alert again: the claim is new, but SSM already ran this ClientToken, so nothing starts again."""
    runtime = deployment.runtime()
    first = handle_event(alert_event(), runtime)
    deployment.forget_decisions()

    again = handle_event(alert_event(), runtime)

    assert first["statusCode"] == 202
    assert len(deployment.executions()) == 1
    if token_reuse == "refuse":
        assert again["statusCode"] == 202
        assert response_body(again)["targets"][0]["reason"] == "ClientToken already used"
        assert response_body(again)["execution_id"] is None
    else:
        assert response_body(again)["execution_id"] == response_body(first)["execution_id"]


def test_many_different_alerts_at_once_inside_the_cooldown_start_one(deployment):
    events = [alert_event(TriggerTimeStart=str(1800000000000 + minute * 60000)) for minute in range(100)]

    responses = deliver_concurrently(deployment, events)

    assert len(deployment.executions()) == 1
    assert [response["statusCode"] for response in responses].count(202) == 1


def test_an_alert_after_the_cooldown_starts_again(deployment):
    runtime = deployment.runtime(REMEDIATION_COOLDOWN_SECONDS="900")
    handle_event(alert_event(TriggerTimeStart="1800000000000"), runtime)
    deployment.clock.advance(901)

    later = handle_event(alert_event(TriggerTimeStart="1800000901000"), runtime)

    assert later["statusCode"] == 202
    assert len(deployment.executions()) == 2


def test_the_same_alert_after_the_cooldown_is_still_a_duplicate(deployment):
    runtime = deployment.runtime()
    handle_event(alert_event(), runtime)
    deployment.clock.advance(10_000)

    again = handle_event(alert_event(), runtime)

    assert again["statusCode"] == 200
    assert response_body(again)["targets"][0]["reason"] == "duplicate"
    assert len(deployment.executions()) == 1


def test_past_the_attempt_cap_nothing_starts_and_one_escalation_goes_out(deployment):
    settings = {
        "REMEDIATION_COOLDOWN_SECONDS": "60",
        "REMEDIATION_MAX_ATTEMPTS": "2",
        "REMEDIATION_ATTEMPT_WINDOW_SECONDS": "3600",
    }
    runtime = deployment.runtime(**settings)
    started = []
    for attempt in range(2):
        started.append(handle_event(alert_event(TriggerTimeStart=str(1800000000000 + attempt)), runtime))
        deployment.clock.advance(61)
    storm = [alert_event(TriggerTimeStart=str(1800000100000 + index)) for index in range(200)]

    capped = deliver_concurrently(deployment, storm, **settings)

    assert [response["statusCode"] for response in started] == [202, 202]
    assert {response["statusCode"] for response in capped} == {200}
    assert {response_body(response)["targets"][0]["reason"] for response in capped} == {"attempt cap"}
    assert len(deployment.executions()) == 2
    [escalation] = deployment.messages()
    assert escalation["outcome"] == "escalated"
    assert "a person is needed" in escalation["detail"]
    assert escalation["targets"] == deployment.instance_ids


def test_once_the_oldest_attempt_leaves_the_window_remediation_resumes(deployment):
    settings = {"REMEDIATION_COOLDOWN_SECONDS": "60", "REMEDIATION_MAX_ATTEMPTS": "1"}
    runtime = deployment.runtime(REMEDIATION_ATTEMPT_WINDOW_SECONDS="3600", **settings)
    handle_event(alert_event(TriggerTimeStart="1800000000000"), runtime)
    deployment.clock.advance(120)
    capped = handle_event(alert_event(TriggerTimeStart="1800000120000"), runtime)
    deployment.clock.advance(3600)

    resumed = handle_event(alert_event(TriggerTimeStart="1800003720000"), runtime)

    assert capped["statusCode"] == 200
    assert resumed["statusCode"] == 202
    assert len(deployment.executions()) == 2


def test_kill_switch_disabled_starts_nothing_and_says_so(deployment, logs):
    deployment.set_switch("disabled")

    response = handle_event(alert_event(), deployment.runtime())

    assert response["statusCode"] == 200
    assert response_body(response)["status"] == "disabled"
    assert deployment.executions() == []
    [line] = logs.decisions("suppressed")
    assert line["reason"] == "kill switch disabled"
    assert line["alert_id"] == "00000000016CCCDD:1800000000000"


def test_kill_switch_with_an_unknown_value_fails_safe(deployment):
    deployment.set_switch("enabeld")

    response = handle_event(alert_event(), deployment.runtime())

    assert response_body(response)["status"] == "disabled"
    assert deployment.executions() == []


def test_dry_run_reaches_the_execution_parameters(deployment):
    response = handle_event(alert_event(), deployment.runtime(REMEDIATION_DRY_RUN="true"))

    assert response["statusCode"] == 202
    [execution] = deployment.executions()
    assert execution["Parameters"]["DryRun"] == ["true"]


def test_a_tag_selected_fleet_gets_one_rate_controlled_execution(make_deployment):
    deployment = make_deployment(instance_count=2, tag=("Remediation", "api-fleet"))

    response = handle_event(alert_event(), deployment.runtime())

    assert response["statusCode"] == 202
    [execution] = deployment.executions()
    assert execution["Targets"] == [{"Key": "tag:Remediation", "Values": ["api-fleet"]}]
    assert execution["TargetParameterName"] == "InstanceId"
    assert execution["MaxConcurrency"] == "1"
    assert execution["MaxErrors"] == "0"
    assert "InstanceId" not in execution["Parameters"]
