"""How tools.ansible_settings talks to ansible-playbook: the options it passes on and how it reads what came back
(no Ansible run here; tests/tools/test_backtest_inventory.py runs it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.ansible_settings import (
    AnsibleOptions,
    AnsibleSettingsError,
    RenderRequest,
    _failures,
    _rendered,
    _stderr_error,
    check_inventory,
)


def test_vault_and_extra_vars_options_are_passed_on_as_given() -> None:
    options = AnsibleOptions(Path("inv"), ["a=1", "@more.yml"], ["pass.txt"], ["prod@prompt"], ask_vault_pass=True)
    assert options.arguments() == [
        "-i", "inv", "-e", "a=1", "-e", "@more.yml", "--vault-password-file", "pass.txt",
        "--vault-id", "prod@prompt", "--ask-vault-pass",
    ]  # fmt: skip


def test_a_request_without_retired_names_looks_for_none() -> None:
    request = RenderRequest(guard={}, guard_checked=[], monitor={"x": "{{ y }}"}, monitor_checked=["y"])
    assert request.extra_vars()["backtest_settings_retired"] == ["(?!)"]
    assert request.extra_vars()["backtest_settings_monitor"] == {"x": "{{ y }}"}


def _report(name: str, result: dict[str, object]) -> dict[str, object]:
    return {"plays": [{"tasks": [{"task": {"name": name}, "hosts": {"localhost": result}}]}]}


def test_a_failed_loop_item_is_reported_with_its_label() -> None:
    result = {
        "failed": True,
        "results": [{"item": "a", "msg": "fine"}, {"item": "b", "failed": True, "msg": "no\nway"}],
    }
    assert _failures(_report("Render the monitor settings", result)) == [
        ("b", "b: no way [task: Render the monitor settings]")
    ]


def test_argument_errors_are_reported_one_by_one() -> None:
    item = {"item": "x", "failed": True, "argument_errors": ["x is bad", "x is worse"], "msg": "Validation failed"}
    failures = _failures(_report("Check", {"failed": True, "results": [item]}))
    assert [message for _, message in failures] == ["x: x is bad [task: Check]", "x: x is worse [task: Check]"]


def test_rendered_values_and_retired_names_are_read_from_their_tasks() -> None:
    report = _report("Render the guard settings", {"results": [{"item": "cooldown", "msg": 900}]})
    report["plays"].append(  # type: ignore[attr-defined]
        {
            "tasks": [
                {"task": {"name": "List the variables that no role reads"}, "hosts": {"localhost": {"msg": ["old"]}}}
            ]
        }
    )
    rendered = _rendered(report)
    assert (rendered.values, rendered.retired_defined) == ({"cooldown": 900}, ["old"])


def test_ansibles_error_is_taken_from_stderr_without_warnings() -> None:
    stderr = "[WARNING]: something harmless\n[ERROR]: Decryption failed\nOrigin: inv/group_vars/all/x.yml\n"
    assert _stderr_error(stderr, 1) == (
        "ansible-playbook failed: [ERROR]: Decryption failed Origin: inv/group_vars/all/x.yml"
    )
    assert _stderr_error("", 4) == "ansible-playbook failed (exit 4): no message"


def test_a_missing_inventory_path_is_refused_but_a_host_list_is_not(tmp_path: Path) -> None:
    with pytest.raises(AnsibleSettingsError, match="no such inventory file or directory"):
        check_inventory(tmp_path / "missing")
    check_inventory(Path("localhost,"))
    check_inventory(tmp_path)
