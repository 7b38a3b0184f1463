"""lambda_function_url: its contract with Ansible, and the URL and public statements it keeps on a function in moto."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from ansible_collections.autoremediation.sumo_aws.plugins.modules import lambda_function_url
from ansible_collections.autoremediation.sumo_aws.plugins.modules.lambda_function_url import (
    ARGUMENT_SPEC,
    INVOKE_STATEMENT_ID,
    URL_STATEMENT_ID,
    FunctionUrlManager,
    ensure_absent,
    ensure_present,
)

from .aws_fakes import FakeModule, ModuleFail, moto_clients

FUNCTION = "test-webhook"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def deploy_function(client: Any) -> None:
    role = client("iam").create_role(RoleName="test-webhook", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    client("lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="app.handler",
        Code={"ZipFile": package.getvalue()},
    )


@pytest.fixture
def aws() -> Iterator[Any]:
    """moto-backed clients for one test."""
    yield from moto_clients()


def manager(client: Any, check_mode: bool = False, **params: Any) -> FunctionUrlManager:
    module = FakeModule(ARGUMENT_SPEC, check_mode=check_mode, function_name=FUNCTION, **params)
    return FunctionUrlManager(module, client("lambda"))


def statement_ids(client: Any) -> list[str]:
    try:
        policy = json.loads(client("lambda").get_policy(FunctionName=FUNCTION)["Policy"])
    except client("lambda").exceptions.ResourceNotFoundException:
        return []
    return sorted(statement["Sid"] for statement in policy["Statement"])


def test_module_contract() -> None:
    documentation = yaml.safe_load(lambda_function_url.DOCUMENTATION)
    assert documentation["attributes"]["check_mode"]["support"] == "full"
    assert documentation["attributes"]["diff_mode"]["support"] == "full"
    assert {name: option.get("default") for name, option in ARGUMENT_SPEC.items() if "default" in option} == {
        "state": "present",
        "auth_type": "AWS_IAM",
        "invoke_mode": "BUFFERED",
        "public_permissions": True,
        "wait_timeout": 300,
    }
    assert set(documentation["options"]) == set(ARGUMENT_SPEC)


def test_public_url_gets_both_invoke_statements_of_the_october_2025_rule() -> None:
    url_statement = lambda_function_url.PUBLIC_STATEMENTS[URL_STATEMENT_ID]
    invoke_statement = lambda_function_url.PUBLIC_STATEMENTS[INVOKE_STATEMENT_ID]
    assert url_statement == {"Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE"}
    assert invoke_statement == {"Action": "lambda:InvokeFunction", "Principal": "*", "InvokedViaFunctionUrl": True}


def test_missing_function_in_check_mode_predicts_creation_without_a_url(aws: Any) -> None:
    result = ensure_present(manager(aws, check_mode=True, auth_type="NONE"))

    assert result["changed"] is True
    assert result["function_url"] is None
    assert result["public_statement_ids"] == [URL_STATEMENT_ID, INVOKE_STATEMENT_ID]


def test_missing_function_fails_naming_function_name(aws: Any) -> None:
    with pytest.raises(ModuleFail, match="function_name 'test-webhook' does not exist"):
        ensure_present(manager(aws, auth_type="NONE"))


def test_public_url_is_created_with_its_statements_and_a_second_run_changes_nothing(aws: Any) -> None:
    deploy_function(aws)

    first = ensure_present(manager(aws, auth_type="NONE"))
    second = ensure_present(manager(aws, auth_type="NONE"))

    assert first["changed"] is True
    assert first["function_url"].startswith("https://")
    assert statement_ids(aws) == sorted([URL_STATEMENT_ID, INVOKE_STATEMENT_ID])
    assert second["changed"] is False
    assert second["function_url"] == first["function_url"]


def test_creating_in_check_mode_on_an_existing_function_changes_nothing(aws: Any) -> None:
    deploy_function(aws)

    result = ensure_present(manager(aws, check_mode=True, auth_type="NONE"))

    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["auth_type"] == "NONE"
    assert statement_ids(aws) == []
    with pytest.raises(aws("lambda").exceptions.ResourceNotFoundException):
        aws("lambda").get_function_url_config(FunctionName=FUNCTION)


def test_switching_to_iam_auth_removes_the_public_statements(aws: Any) -> None:
    deploy_function(aws)
    ensure_present(manager(aws, auth_type="NONE"))

    result = ensure_present(manager(aws, auth_type="AWS_IAM"))

    assert result["changed"] is True
    assert result["auth_type"] == "AWS_IAM"
    assert statement_ids(aws) == []


def test_cors_change_in_check_mode_is_predicted_and_not_applied(aws: Any) -> None:
    deploy_function(aws)
    ensure_present(manager(aws, auth_type="NONE"))

    result = ensure_present(manager(aws, check_mode=True, auth_type="NONE", cors={"allow_origins": ["*"]}))

    assert result["changed"] is True
    assert result["diff"]["after"]["cors"] == {"allow_origins": ["*"]}
    assert not aws("lambda").get_function_url_config(FunctionName=FUNCTION).get("Cors")


def test_absent_deletes_the_url_and_its_statements(aws: Any) -> None:
    deploy_function(aws)
    ensure_present(manager(aws, auth_type="NONE"))

    first = ensure_absent(manager(aws, state="absent"))
    second = ensure_absent(manager(aws, state="absent"))

    assert first["changed"] is True
    assert statement_ids(aws) == []
    assert second["changed"] is False


def reporting_states(url_manager: FunctionUrlManager, *states: str) -> list[str]:
    """The injected fault: the function reports `states` in turn (then moto's own), as a just-created one does."""
    real_configuration = url_manager.function_configuration
    queued = list(states)
    reported: list[str] = []

    def next_configuration() -> dict[str, Any] | None:
        configuration = real_configuration()
        if configuration is not None and queued:
            configuration = {**configuration, "State": queued.pop(0)}
        reported.append(str(configuration and configuration.get("State")))
        return configuration

    url_manager.function_configuration = next_configuration  # type: ignore[method-assign]
    return reported


def test_a_pending_function_is_waited_for_before_its_url_is_made(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_function(aws)
    monkeypatch.setattr(lambda_function_url, "POLL_SECONDS", 0.0)
    url_manager = manager(aws, auth_type="NONE")
    reported = reporting_states(url_manager, "Pending", "Pending")

    result = ensure_present(url_manager)

    assert reported == ["Pending", "Pending", "Active"]
    assert result["changed"] is True
    assert result["function_url"]


def test_a_function_still_pending_after_the_timeout_fails_naming_its_state(aws: Any) -> None:
    deploy_function(aws)
    url_manager = manager(aws, auth_type="NONE", wait_timeout=0)
    reporting_states(url_manager, "Pending")

    with pytest.raises(lambda_function_url.FunctionNotReady, match="still Pending, not Active, after 0 s"):
        ensure_present(url_manager)
    with pytest.raises(aws("lambda").exceptions.ResourceNotFoundException):
        aws("lambda").get_function_url_config(FunctionName=FUNCTION)


def test_a_failed_function_is_reported_with_its_reason_and_can_still_lose_its_url(aws: Any) -> None:
    deploy_function(aws)
    ensure_present(manager(aws, auth_type="NONE"))
    url_manager = manager(aws, auth_type="NONE")
    real_get_function = url_manager.client.get_function

    def failed_function(**request: Any) -> dict[str, Any]:
        # The injected fault: Lambda could not prepare the function.
        answer = real_get_function(**request)
        answer["Configuration"].update(State="Failed", StateReason="The role cannot be assumed.")
        return answer

    url_manager.client.get_function = failed_function

    with pytest.raises(lambda_function_url.FunctionNotReady, match=r"state Failed: The role cannot be assumed\."):
        ensure_present(url_manager)
    removing = manager(aws, state="absent")
    removing.client.get_function = failed_function
    assert ensure_absent(removing)["changed"] is True
    assert statement_ids(aws) == []


def test_check_mode_does_not_wait_for_a_pending_function(aws: Any) -> None:
    deploy_function(aws)
    url_manager = manager(aws, check_mode=True, auth_type="NONE", wait_timeout=0)
    reporting_states(url_manager, "Pending")

    assert ensure_present(url_manager)["changed"] is True
