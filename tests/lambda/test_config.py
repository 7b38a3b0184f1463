"""Configuration: every variable is validated once, and an error names the variable and the wrong value."""

from __future__ import annotations

import pytest
from remediation_webhook.config import ConfigError, Settings, TagSelector

REQUIRED = {
    "REMEDIATION_SECRET_PARAMETER": "/webhook/secret",
    "REMEDIATION_SWITCH_PARAMETER": "/webhook/switch",
    "REMEDIATION_STATE_TABLE": "remediation-state",
    "REMEDIATION_DOCUMENT_NAME": "Remediate-EC2",
    "REMEDIATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:ops",
    "REMEDIATION_AUTOMATION_ROLE_ARN": "arn:aws:iam::123456789012:role/automation",
}


def test_defaults_are_the_documented_ones():
    settings = Settings.from_environ({**REQUIRED, "REMEDIATION_TARGET_INSTANCE_IDS": "i-0123456789abcdef0"})

    assert settings.target_instance_ids == ("i-0123456789abcdef0",)
    assert (settings.cooldown_seconds, settings.max_attempts, settings.attempt_window_seconds) == (900, 3, 21600)
    assert settings.dry_run is False
    assert settings.max_body_bytes == 65536


def test_a_tag_selector_is_split_into_key_and_value():
    settings = Settings.from_environ({**REQUIRED, "REMEDIATION_TARGET_TAG": "Service=api-data"})

    assert settings.target_tag == TagSelector("Service", "api-data")
    assert settings.target_instance_ids == ()


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({}, "REMEDIATION_TARGET_INSTANCE_IDS and REMEDIATION_TARGET_TAG"),
        (
            {"REMEDIATION_TARGET_INSTANCE_IDS": "i-0123456789abcdef0", "REMEDIATION_TARGET_TAG": "a=b"},
            "REMEDIATION_TARGET_INSTANCE_IDS and REMEDIATION_TARGET_TAG",
        ),
        ({"REMEDIATION_TARGET_INSTANCE_IDS": "web-1"}, "'web-1'"),
        ({"REMEDIATION_TARGET_TAG": "no-equals-sign"}, "'no-equals-sign'"),
        ({"REMEDIATION_TARGET_TAG": "a=b", "REMEDIATION_COOLDOWN_SECONDS": "soon"}, "REMEDIATION_COOLDOWN_SECONDS"),
        ({"REMEDIATION_TARGET_TAG": "a=b", "REMEDIATION_MAX_ATTEMPTS": "0"}, "REMEDIATION_MAX_ATTEMPTS"),
        ({"REMEDIATION_TARGET_TAG": "a=b", "REMEDIATION_DRY_RUN": "maybe"}, "REMEDIATION_DRY_RUN"),
        ({"REMEDIATION_TARGET_TAG": "a=b", "REMEDIATION_STATE_TABLE": ""}, "REMEDIATION_STATE_TABLE"),
    ],
)
def test_a_wrong_variable_is_named_in_the_error(changes, named):
    with pytest.raises(ConfigError, match=named):
        Settings.from_environ({**REQUIRED, **changes})


def test_the_handler_answers_500_and_logs_when_the_deployment_is_misconfigured(monkeypatch, logs):
    from lambda_testkit import FakeLambdaContext, alert_event
    from remediation_webhook import app

    monkeypatch.setattr(app, "_runtime", None)
    monkeypatch.setenv("REMEDIATION_TARGET_INSTANCE_IDS", "")
    monkeypatch.delenv("REMEDIATION_STATE_TABLE", raising=False)

    response = app.handler(alert_event(), FakeLambdaContext())

    assert response["statusCode"] == 500
    assert response["body"] == '{"error":"misconfigured"}'
    [line] = logs.decisions("failed")
    assert "REMEDIATION_TARGET_INSTANCE_IDS" in line["reason"]
