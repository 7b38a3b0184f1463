"""Every supported automation action, by its `aws:` name. Adding an action means adding a class to ACTIONS."""

from __future__ import annotations

from emulator.automation.actions.approval import Approve, Pause
from emulator.automation.actions.aws_api import AssertAwsResourceProperty, ExecuteAwsApi, WaitForAwsResourceProperty
from emulator.automation.actions.base import Action, StepContext, StepFailedError, StepOutcome
from emulator.automation.actions.branch import Branch
from emulator.automation.actions.instance_state import ChangeInstanceState
from emulator.automation.actions.script import ExecuteScript
from emulator.automation.actions.sleep import Sleep

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        ExecuteAwsApi(),
        WaitForAwsResourceProperty(),
        AssertAwsResourceProperty(),
        Branch(),
        ChangeInstanceState(),
        Sleep(),
        ExecuteScript(),
        Approve(),
        Pause(),
    )
}

# AWS refuses onCancel jumps to these actions (automation-actions.md, "onCancel").
FORBIDDEN_ON_CANCEL_TARGETS = frozenset(
    {"aws:approve", "aws:copyImage", "aws:createImage", "aws:createStack", "aws:createTags", "aws:pause",
     "aws:runInstances", "aws:sleep"}
)  # fmt: skip

__all__ = ["ACTIONS", "FORBIDDEN_ON_CANCEL_TARGETS", "Action", "StepContext", "StepFailedError", "StepOutcome"]
