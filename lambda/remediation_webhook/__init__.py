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
- ``REMEDIATION_FUNCTION_ARN``, ``REMEDIATION_SCHEDULER_ROLE_ARN``, ``REMEDIATION_SCHEDULE_GROUP`` (all three, or
  none): the function's own ARN, the role EventBridge Scheduler invokes it as, and the schedule group its timers live
  in (timer.py). With them, every start sets a verification timer and a failed start a retry timer; without them
  (tests of other parts only), neither is set and a failed start is a 502.
- ``REMEDIATION_VERIFY_SECONDS`` (default 1020: the monitor's 10-minute range, its 2-minute delay and 5 minutes of
  margin): how long after a start its alert has to resolve; then it is NOT FIXED, escalated once, and the circuit of
  that target opens.
- ``REMEDIATION_RELAPSE_SECONDS`` (default 86400) and ``REMEDIATION_MAX_RELAPSES`` (default 2): an alert within the
  first of a verified fix is a relapse; one more relapse than the second opens the circuit.
- ``REMEDIATION_CIRCUIT_HEAL_SECONDS`` (default 86400): an open circuit closes by itself once the target has been
  healthy (its alert resolved, no new one) this long; otherwise a person resets it (docs/runbook.md).
- ``REMEDIATION_FLEET_MAX_CONCURRENT`` (default 2) and ``REMEDIATION_FLEET_MAX_SHARE_PERCENT`` (default 50): an alert
  naming more instances than the first, or two or more that are more than the second share of the configured
  instances, starts nothing and escalates once (fleet.py).
- ``POWERTOOLS_SERVICE_NAME`` / ``POWERTOOLS_LOG_LEVEL``: the structured logger's service name and level.
"""
