"""sumologic_connection: its contract with Ansible, input checks, and write-only headers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.autoremediation.sumo_aws.plugins.modules import sumologic_connection
from ansible_collections.autoremediation.sumo_aws.plugins.modules.sumologic_connection import (
    build_module,
    comparable,
    desired_definition,
    public_view,
    validate_params,
)

PAYLOAD = '{"Id":"{{Id}}","Name":"{{Name}}","TriggerType":"{{TriggerType}}"}'
CONNECTION = {"endpoint": "http://127.0.0.1:4567/api", "access_id": "suABC", "access_key": "not-a-real-key"}
SECRET_HEADER = {"Authorization": "Bearer webhook-secret-value"}


def _params(**overrides: Any) -> dict[str, Any]:
    spec = sumologic_connection.argument_spec()
    params = {name: option.get("default") for name, option in spec.items()}
    params.update(name="ec2-autoremediation", url="https://hook.example/", default_payload=PAYLOAD, **CONNECTION)
    params.update(headers=dict(SECRET_HEADER))
    params.update(overrides)
    return params


def test_module_supports_check_mode_and_hides_header_values() -> None:
    args = {"name": "c", "url": "https://hook.example/", "default_payload": PAYLOAD, "headers": SECRET_HEADER}
    with patch_module_args({**args, **CONNECTION}):
        module = build_module()
    assert module.supports_check_mode
    assert "Bearer webhook-secret-value" in module.no_log_values
    assert "not-a-real-key" in module.no_log_values


def test_present_needs_url_and_default_payload(capsys: pytest.CaptureFixture[str]) -> None:
    with patch_module_args({"name": "c", **CONNECTION}), pytest.raises(SystemExit):
        build_module()
    assert "url, default_payload" in json.loads(capsys.readouterr().out)["msg"]


def test_invalid_default_payload_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="default_payload is not a valid JSON template"):
        validate_params(_params(default_payload='{"Name": {{Name}}'))


def test_invalid_resolution_payload_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="resolution_payload is not a valid JSON template"):
        validate_params(_params(resolution_payload="not json"))


def test_more_than_five_custom_headers_are_refused() -> None:
    headers = {f"X-Custom-{number}": "v" for number in range(6)}
    with pytest.raises(ValueError, match="custom_headers takes at most 5 headers, got 6"):
        validate_params(_params(custom_headers=headers))


def test_url_must_be_http_or_https() -> None:
    with pytest.raises(ValueError, match=r"url must start with http:// or https://, got 'hook\.example'"):
        validate_params(_params(url="hook.example"))


def test_absent_needs_only_the_name() -> None:
    validate_params(_params(state="absent", url=None, default_payload=None))


def test_create_body_is_a_webhook_definition_with_headers_as_name_value_pairs() -> None:
    body = desired_definition(_params(resolution_payload=PAYLOAD), None)
    assert body["type"] == "WebhookDefinition"
    assert body["headers"] == [{"name": "Authorization", "value": "Bearer webhook-secret-value"}]
    assert body["webhookType"] == "Webhook"
    assert body["resolutionPayload"] == PAYLOAD


def test_omitted_resolution_payload_keeps_the_one_sumo_has() -> None:
    body = desired_definition(_params(), {"resolutionPayload": '{"kept": true}'})
    assert body["resolutionPayload"] == '{"kept": true}'


def _stored(body: dict[str, Any]) -> dict[str, Any]:
    """The connection as Sumo returns it on a later read: Authorization masked, read-only fields added."""
    stored = {**body, "type": "WebhookConnection", "id": "00000000000000C1", "createdBy": "0000000000000001"}
    stored["headers"] = [{"name": header["name"], "value": "********"} for header in body["headers"]]
    return stored


def test_a_masked_header_value_alone_is_not_a_change() -> None:
    current = _stored(desired_definition(_params(), None))
    rotated = desired_definition(_params(headers={"Authorization": "Bearer rotated"}), current)
    assert comparable(current) == comparable(rotated)


def test_a_new_header_name_is_a_change() -> None:
    current = _stored(desired_definition(_params(), None))
    wanted = desired_definition(_params(headers={**SECRET_HEADER, "X-Api-Key": "k"}), current)
    assert comparable(current) != comparable(wanted)


def test_a_changed_url_is_a_change() -> None:
    current = _stored(desired_definition(_params(), None))
    assert comparable(current) != comparable(desired_definition(_params(url="https://other.example/"), current))


def test_returned_connection_never_carries_a_header_value() -> None:
    shown = public_view(desired_definition(_params(), None))
    assert shown is not None
    assert shown["headers"] == [{"name": "Authorization", "value": "********"}]
    assert "webhook-secret-value" not in json.dumps(shown)
