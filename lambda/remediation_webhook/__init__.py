"""Sumo Logic webhook → SSM Automation: authenticate an alert, decide (dedup, cooldown, attempt cap), start the runbook.

Handler: ``remediation_webhook.app.handler`` behind a Lambda Function URL (payload format 2.0, AuthType NONE: the
function authenticates the caller itself).

Environment (a contract with the deployment; read in one place, ``config.py``):

- ``REMEDIATION_SECRET_PARAMETER`` (required): name of the SSM SecureString holding the webhook's bearer secret.
- ``REMEDIATION_SWITCH_PARAMETER`` (required): name of the SSM String parameter, ``enabled`` or ``disabled``
  (kill switch; anything else counts as disabled, so a typo fails safe).
- ``REMEDIATION_STATE_TABLE`` (required): DynamoDB table, hash key ``pk`` (S), TTL attribute ``expires_at``.
- ``REMEDIATION_DOCUMENT_NAME`` (required): the SSM Automation runbook to start.
- ``REMEDIATION_TOPIC_ARN`` (required): SNS topic for the runbook's notifications and this function's own
  (recovered, escalation).
- ``REMEDIATION_AUTOMATION_ROLE_ARN`` (required): the role the runbook assumes (its AutomationAssumeRole).
- ``REMEDIATION_TARGET_INSTANCE_IDS`` or ``REMEDIATION_TARGET_TAG`` (exactly one): the instances to remediate,
  ``i-0abc,i-0def`` or ``Key=Value``. The alert never picks a target.
- ``REMEDIATION_COOLDOWN_SECONDS`` (default 900): after a start, no other start for that target for this long.
- ``REMEDIATION_MAX_ATTEMPTS`` (default 3) within ``REMEDIATION_ATTEMPT_WINDOW_SECONDS`` (default 21600): past it,
  nothing starts and one escalation goes to SNS per window.
- ``REMEDIATION_DRY_RUN`` (default false): ``true`` passes DryRun=true to the runbook.
- ``REMEDIATION_SECRET_CACHE_SECONDS`` (default 300) and ``REMEDIATION_SWITCH_CACHE_SECONDS`` (default 30): how long a
  container keeps the secret and the switch before reading them again (a rotation needs no redeploy).
- ``REMEDIATION_MAX_BODY_BYTES`` (default 65536): larger requests are refused with 413.
- ``POWERTOOLS_SERVICE_NAME`` / ``POWERTOOLS_LOG_LEVEL``: the structured logger's service name and level.
"""
