"""The backtest's monitor is the monitor the role deploys: the same variables, applied by ansible-playbook to a local
Sumo Logic and read by tools.backtest_inventory, give the same query and triggers, and a verification window that
comes after the soonest that monitor can resolve."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.sumo.replay import duration_seconds
from emulator.sumo.windows import effective_delay_seconds
from tests.sumo.local_sumo import LocalSumo, serve_local_sumo
from tests.sumo.playbook_runner import run_playbook
from tools.backtest_inventory import Deployment, settings_from_inventory

pytestmark = pytest.mark.slow

TUNED = {
    "sumo_monitoring_slow_call_count": 7,
    "sumo_monitoring_time_range": "15m",
    "sumo_monitoring_latency_threshold_seconds": 2.5,
    "sumo_monitoring_source_category": "staging/api",
    "sumo_monitoring_missing_data_time_range": "30m",
    "sumo_monitoring_evaluation_delay": "5m",
}
VOLUME = {
    "sumo_monitoring_mode": "volume",
    "sumo_monitoring_volume_threshold": 40,
    "sumo_monitoring_missing_data": False,
}


@pytest.fixture(scope="module")
def local_sumo() -> Iterator[LocalSumo]:
    with serve_local_sumo() as sumo:
        yield sumo


def deployed_monitor(sumo: LocalSumo, tmp_path: Path, variables: dict[str, Any]) -> dict[str, Any]:
    """The monitor the sumo_monitoring role creates with `variables`, as the module reports it."""
    role = [{"name": "Apply the role", "ansible.builtin.include_role": {"name": "sumo_monitoring"}}]
    run = run_playbook(
        tmp_path,
        role,
        variables=sumo.role_variables(f"/Monitor/{tmp_path.name}", **variables),
    )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    results = [
        task["hosts"]["localhost"]
        for task in run.tasks
        if task["hosts"]["localhost"].get("action") == "autoremediation.sumo_aws.sumologic_monitor"
    ]
    assert len(results) == 1
    return results[0]["monitor"]


def backtest_settings(tmp_path: Path, variables: dict[str, Any]) -> dict[str, Any]:
    (tmp_path / "group_vars" / "all").mkdir(parents=True)
    (tmp_path / "group_vars" / "all" / "sumo.yml").write_text("---\n" + yaml.safe_dump(variables))
    base, _ = settings_from_inventory(Deployment(tmp_path), {}, given_by_flags=set())
    return base


@pytest.mark.parametrize("variables", [TUNED, VOLUME], ids=["latency", "volume"])
def test_the_backtest_replays_the_monitor_the_role_deploys(
    local_sumo: LocalSumo, tmp_path: Path, variables: dict[str, Any]
) -> None:
    monitor = deployed_monitor(local_sumo, tmp_path / "deploy", variables)
    settings = backtest_settings(tmp_path / "inventory", variables)
    triggers = {trigger["triggerType"]: trigger for trigger in monitor["triggers"]}
    critical = triggers["Critical"]
    assert settings["query"] == monitor["queries"][0]["query"]
    assert (settings["threshold"], settings["threshold_type"]) == (critical["threshold"], critical["thresholdType"])
    assert settings["field"] == critical["field"]
    assert f"-{settings['time_range']}" == critical["timeRange"]
    # Resolution is the same threshold, the other way round: what the backtest's "no longer holds" means.
    assert (triggers["ResolvedCritical"]["threshold"], triggers["ResolvedCritical"]["thresholdType"]) == (
        critical["threshold"],
        "LessThanOrEqual",
    )
    if "MissingData" in triggers:
        assert f"-{settings['missing_data_time_range']}" == triggers["MissingData"]["timeRange"]
    else:
        assert settings["missing_data_time_range"] is None
    assert settings["evaluation_delay"] == monitor["evaluationDelay"]
    # The Lambda checks each start once this monitor can have resolved: its range, the delay Sumo runs it behind
    # (never under two minutes), and remediation_lambda's 300 s margin.
    delay = effective_delay_seconds(duration_seconds(monitor["evaluationDelay"], "delay", allow_zero=True))
    assert settings["verify_seconds"] == duration_seconds(critical["timeRange"], "time range") + delay + 300
