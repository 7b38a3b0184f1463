"""How our AWS modules end: converge the resource, report AWS errors in Ansible's form, honour diff mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.module_utils.basic import missing_required_lib

try:
    import botocore.exceptions

    HAS_BOTOCORE = True
except ImportError:
    HAS_BOTOCORE = False

Outcome = Callable[[], dict[str, Any]]


def converge(
    module: Any,
    ensure_present: Outcome,
    ensure_absent: Outcome,
    what: str,
    domain_errors: tuple[type[Exception], ...] = (),
) -> None:
    """Run ensure_present or ensure_absent for module.params['state'] and exit; `what` names the resource in errors."""
    if not HAS_BOTOCORE:
        # AnsibleAWSModule normally refuses to start without botocore; this guards any other caller.
        module.fail_json(msg=missing_required_lib("botocore"))
    try:
        result = ensure_present() if module.params["state"] == "present" else ensure_absent()
    except domain_errors as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"Failed to manage {what}")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)
