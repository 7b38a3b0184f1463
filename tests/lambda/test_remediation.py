"""Critical and Missing Data alerts start the runbook once, within the cooldown and the attempt cap."""

from __future__ import annotations

import time
from pathlib import Path

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


RUNBOOK = Path(__file__).resolve().parents[2] / "ssm_documents" / "remediate-ec2-instance.yaml"


def test_the_real_runbook_accepts_what_the_lambda_sends_and_reports_the_alert(deployment):
    name = f"Remediate-EC2-{deployment.env['REMEDIATION_DOCUMENT_NAME'][-10:]}"
    deployment.aws.client("ssm").create_document(
        Name=name, DocumentType="Automation", DocumentFormat="YAML", Content=RUNBOOK.read_text()
    )
    runtime = deployment.runtime(REMEDIATION_DOCUMENT_NAME=name, REMEDIATION_DRY_RUN="true")

    response = handle_event(alert_event(), runtime)

    assert response["statusCode"] == 202
    deadline, messages = time.monotonic() + 60, []
    while not messages and time.monotonic() < deadline:
        messages = deployment.messages()
        time.sleep(0.2)
    [notification] = messages
    assert notification["alert_id"] == "00000000016CCCDD:1800000000000"
    assert notification["instance_id"] == deployment.instance_ids[0]
    assert notification["dry_run"] is True
    assert notification["outcome"] == "skipped"
    assert notification["execution_id"] == response_body(response)["execution_id"]
