"""Critical and Missing Data alerts start the runbook once, within the cooldown and the attempt cap."""

from __future__ import annotations

from lambda_testkit import SECRET, alert_event, response_body
from remediation_webhook.app import handle_event


def test_critical_alert_starts_the_runbook_on_the_configured_instance(deployment):
    runtime = deployment.runtime()

    response = handle_event(alert_event(), runtime)

    assert response["statusCode"] == 202
    execution_id = response_body(response)["execution_id"]
    [execution] = deployment.executions()
    assert execution["AutomationExecutionId"] == execution_id
    parameters = execution["Parameters"]
    assert parameters["InstanceId"] == deployment.instance_ids
    assert parameters["TopicArn"] == [deployment.env["REMEDIATION_TOPIC_ARN"]]
    assert parameters["AutomationAssumeRole"] == [deployment.env["REMEDIATION_AUTOMATION_ROLE_ARN"]]
    assert parameters["AlertId"] == ["00000000016CCCDD:1800000000000"]
    assert parameters["DryRun"] == ["false"]
    assert "Slow /api/data calls" in parameters["Reason"][0] and "Critical" in parameters["Reason"][0]
    assert SECRET not in str(execution)
