"""Monitor evaluation on ingested logs: firing, no repeat while active, resolving, missing data, query errors."""

from __future__ import annotations

import pytest
import requests

from tests.sumo.bodies import FILTERED_SLOW_CALLS_QUERY, SLOW_CALLS_QUERY, logs_triggers, missing_data_triggers
from tests.sumo.helpers import deliveries, monitor_status, setup_monitor, slow_call


def test_more_than_five_slow_calls_fire_critical_once(sumo, receiver):
    monitor = setup_monitor(sumo, receiver)
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    report = sumo.evaluate()
    assert [(fired["monitorId"], fired["triggerType"]) for fired in report["fired"]] == [(monitor["id"], "Critical")]
    assert report["fired"][0]["value"] == "6"
    assert receiver.wait_for(1)[0]["json"] == {"name": "api-data latency", "type": "Critical"}
    assert monitor_status(sumo, monitor["id"]) == ["Critical"]
    alerts = sumo.control.alerts()
    assert [(alert["monitorId"], alert["triggerType"]) for alert in alerts] == [(monitor["id"], "Critical")]


def test_an_active_alert_does_not_notify_again(sumo, receiver):
    setup_monitor(sumo, receiver)
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    sumo.evaluate()
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    second = sumo.evaluate()
    assert second["fired"] == [] and second["deliveries"] == []
    assert len(deliveries(sumo)) == 1


def test_five_slow_calls_or_fast_calls_fire_nothing(sumo, receiver):
    monitor = setup_monitor(sumo, receiver)
    sumo.ingest("\n".join([*(slow_call() for _ in range(5)), *(slow_call(800) for _ in range(10))]))
    report = sumo.evaluate()
    assert report["monitorsEvaluated"] == 1
    assert report["fired"] == []
    assert monitor_status(sumo, monitor["id"]) == ["Normal"]


def test_alert_resolves_once_the_slow_calls_leave_the_window(sumo, receiver, clock):
    monitor = setup_monitor(sumo, receiver)
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    sumo.evaluate()
    clock.advance(11 * 60)
    report = sumo.evaluate()
    assert [resolved["triggerType"] for resolved in report["resolved"]] == ["ResolvedCritical"]
    received = receiver.wait_for(2)
    assert received[1]["json"] == {"name": "api-data latency", "type": "ResolvedCritical", "resolved": True}
    assert monitor_status(sumo, monitor["id"]) == ["Normal"]
    assert sumo.evaluate()["resolved"] == []


def test_resolution_is_not_sent_unless_asked_for(sumo, receiver, clock):
    setup_monitor(sumo, receiver, trigger_types=("Critical",))
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    sumo.evaluate()
    clock.advance(11 * 60)
    report = sumo.evaluate()
    assert len(report["resolved"]) == 1 and report["deliveries"] == []
    assert len(deliveries(sumo)) == 1


def test_evaluation_delay_shifts_the_window_into_the_past(sumo, receiver, clock):
    setup_monitor(sumo, receiver, evaluationDelay="15m")
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    assert sumo.evaluate()["fired"] == []
    clock.advance(16 * 60)
    assert [fired["triggerType"] for fired in sumo.evaluate()["fired"]] == ["Critical"]


def test_log_monitors_run_two_minutes_behind_even_without_an_evaluation_delay(sumo, receiver, clock):
    """Ledger: "Evaluation delay". evaluationDelay 0m still leaves the two minutes Sumo documents."""
    setup_monitor(sumo, receiver, evaluationDelay="0m")
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    assert sumo.evaluate(after_delay=False)["fired"] == []
    clock.advance(60)
    assert sumo.evaluate(after_delay=False)["fired"] == [], "one minute later the calls are still inside the delay"
    clock.advance(61)
    assert [fired["triggerType"] for fired in sumo.evaluate(after_delay=False)["fired"]] == ["Critical"]


def _healthy_traffic_monitor(sumo, receiver, query: str) -> dict:
    triggers = [*logs_triggers(), *missing_data_triggers("-10m")]
    kinds = ("Critical", "ResolvedCritical", "MissingData", "ResolvedMissingData")
    monitor = setup_monitor(sumo, receiver, trigger_types=kinds, query=query, triggers=triggers)
    sumo.ingest("\n".join(slow_call(120) for _ in range(20)))
    return monitor


def test_a_filtering_query_over_healthy_traffic_is_missing_data_under_the_strict_reading(sumo, receiver):
    """Ledger: "Missing data". `where response_time > 3000 | count` returns no row when nothing is slow, and a
    query that returns no row is missing data, although twenty calls matched the scope."""
    assert sumo.control.missing_data_reading() == "query-rows"
    _healthy_traffic_monitor(sumo, receiver, FILTERED_SLOW_CALLS_QUERY)
    report = sumo.evaluate()
    assert [fired["triggerType"] for fired in report["fired"]] == ["MissingData"]


def test_the_kinder_reading_counts_scope_matches_instead(sumo, receiver):
    """Ledger: "Missing data" (the kinder reading, switched on through the control API)."""
    assert sumo.control.set_missing_data_reading("scope-matches") == "scope-matches"
    _healthy_traffic_monitor(sumo, receiver, FILTERED_SLOW_CALLS_QUERY)
    assert sumo.evaluate()["fired"] == []


@pytest.mark.parametrize("reading", ["query-rows", "scope-matches"])
def test_a_summing_query_over_healthy_traffic_is_data_under_either_reading(sumo, receiver, reading):
    """Ledger: "Missing data". `if(...) | sum` returns slow_calls = 0 for traffic without slow calls."""
    sumo.control.set_missing_data_reading(reading)
    monitor = _healthy_traffic_monitor(sumo, receiver, SLOW_CALLS_QUERY)
    report = sumo.evaluate()
    assert report["fired"] == []
    assert monitor_status(sumo, monitor["id"]) == ["Normal"]


def test_the_missing_data_reading_is_refused_unless_it_is_one_of_the_two(sumo):
    answer = requests.post(f"{sumo.url}/_twin/sumo/missing-data", json={"reading": "rows"}, timeout=10)
    assert answer.status_code == 400
    assert "query-rows" in answer.json()["errors"][0]["message"] and "'rows'" in answer.json()["errors"][0]["message"]
    assert sumo.control.missing_data_reading() == "query-rows"


def test_row_count_is_compared_when_there_is_no_field(sumo, receiver):
    query = '_sourceCategory=prod/app "/api/data" | parse "response_time=*" as ms | where num(ms) > 3000'
    setup_monitor(sumo, receiver, query=query, triggers=logs_triggers(threshold=2, field=None))
    sumo.ingest("\n".join(slow_call() for _ in range(3)))
    report = sumo.evaluate()
    assert [fired["value"] for fired in report["fired"]] == ["3"]


def test_any_row_matching_fires_a_grouped_query(sumo, receiver):
    query = '_sourceCategory=prod/app | parse "host=* ms=*" as host, ms | count by host'
    setup_monitor(sumo, receiver, query=query, triggers=logs_triggers(threshold=2, field="_count"))
    sumo.ingest("host=a ms=1\nhost=b ms=1\nhost=b ms=1\nhost=b ms=1")
    report = sumo.evaluate()
    assert [fired["value"] for fired in report["fired"]] == ["3"]


def test_the_largest_matching_row_is_the_reported_value(sumo, receiver):
    query = '_sourceCategory=prod/app | parse "host=* ms=*" as host, ms | count by host'
    setup_monitor(sumo, receiver, query=query, triggers=logs_triggers(threshold=2, field="_count"))
    sumo.ingest("\n".join(["host=a ms=1"] * 3 + ["host=b ms=1"] * 5 + ["host=c ms=1"] * 4))
    assert [fired["value"] for fired in sumo.evaluate()["fired"]] == ["5"]


def test_missing_data_fires_then_resolves_when_logs_return(sumo, receiver):
    triggers = missing_data_triggers()
    monitor = setup_monitor(
        sumo,
        receiver,
        trigger_types=("MissingData", "ResolvedMissingData"),
        query="_sourceCategory=prod/app",
        triggers=triggers,
    )
    report = sumo.evaluate()
    assert [fired["triggerType"] for fired in report["fired"]] == ["MissingData"]
    assert receiver.wait_for(1)[0]["json"]["type"] == "Missing Data"
    assert monitor_status(sumo, monitor["id"]) == ["MissingData"]
    assert sumo.evaluate()["fired"] == []
    sumo.ingest("heartbeat")
    report = sumo.evaluate()
    assert [resolved["triggerType"] for resolved in report["resolved"]] == ["ResolvedMissingData"]
    assert receiver.wait_for(2)[1]["json"]["type"] == "ResolvedMissingData"


def test_logs_of_another_category_count_as_missing_data(sumo, receiver):
    setup_monitor(
        sumo,
        receiver,
        trigger_types=("MissingData",),
        query="_sourceCategory=prod/app",
        triggers=missing_data_triggers(),
    )
    sumo.ingest("elsewhere", category="dev/app")
    assert [fired["triggerType"] for fired in sumo.evaluate()["fired"]] == ["MissingData"]


def test_a_query_the_engine_cannot_run_warns_on_the_monitor_and_fires_nothing(sumo, receiver):
    monitor = setup_monitor(sumo, receiver, query="_sourceCategory=prod/app | transpose row _sourceHost")
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    report = sumo.evaluate()
    assert report["fired"] == []
    assert report["warnings"][0]["monitorId"] == monitor["id"]
    assert "transpose" in report["warnings"][0]["warning"]
    warnings = sumo.sdk().get(f"/monitors/{monitor['id']}").json()["warnings"]
    assert "transpose" in warnings["query"]


def test_disabled_monitors_are_not_evaluated(sumo, receiver):
    setup_monitor(sumo, receiver, isDisabled=True)
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    report = sumo.evaluate()
    assert report["monitorsEvaluated"] == 0 and report["fired"] == []


def test_disabling_a_monitor_drops_its_alert_silently(sumo, receiver):
    monitor = setup_monitor(sumo, receiver)
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    sumo.evaluate()
    update = {**sumo.sdk().get(f"/monitors/{monitor['id']}").json(), "type": "MonitorsLibraryMonitorUpdate"}
    update["isDisabled"] = True
    assert sumo.sdk().put(f"/monitors/{monitor['id']}", update).json()["status"] == ["Disabled"]
    assert sumo.control.alerts() == []
    assert len(deliveries(sumo)) == 1


def test_monitor_status_search_finds_triggered_monitors(sumo, receiver):
    monitor = setup_monitor(sumo, receiver)
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    sumo.evaluate()
    found = sumo.sdk().get("/monitors/search", params={"query": "monitorStatus:Critical"}).json()
    assert [entry["item"]["id"] for entry in found] == [monitor["id"]]


def warning_and_critical_triggers() -> list[dict]:
    critical, resolved_critical = logs_triggers(threshold=10)
    warning, resolved_warning = logs_triggers(threshold=5)
    warning["triggerType"], resolved_warning["triggerType"] = "Warning", "ResolvedWarning"
    return [critical, resolved_critical, warning, resolved_warning]


def test_warning_fires_below_the_critical_threshold(sumo, receiver):
    monitor = setup_monitor(
        sumo, receiver, trigger_types=("Critical", "Warning"), triggers=warning_and_critical_triggers()
    )
    sumo.ingest("\n".join(slow_call() for _ in range(7)))
    assert [fired["triggerType"] for fired in sumo.evaluate()["fired"]] == ["Warning"]
    assert monitor_status(sumo, monitor["id"]) == ["Warning"]


def test_critical_takes_precedence_over_warning_in_the_same_pass(sumo, receiver):
    setup_monitor(sumo, receiver, trigger_types=("Critical", "Warning"), triggers=warning_and_critical_triggers())
    sumo.ingest("\n".join(slow_call() for _ in range(12)))
    assert [fired["triggerType"] for fired in sumo.evaluate()["fired"]] == ["Critical"]
    assert [entry["json"]["type"] for entry in receiver.wait_for(1)] == ["Critical"]
