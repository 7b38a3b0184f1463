"""When an alert starts and when it clears: the missing-data rule and the resolution rule, shared by the twin's
monitor evaluation and the backtest.

* MissingData: no message in the trigger's window matched the query's search scope; it resolves once one does.
* Resolution: an active alert clears when its condition no longer holds and, if the monitor has a Resolved
  trigger, that trigger's condition holds for every row. resolutionWindow is not modelled: one clean pass clears.
* An alert notifies once when it starts and once when it clears, never while it stays active.
"""

from __future__ import annotations

from enum import Enum

from emulator.sumo.trigger_check import TriggerVerdict


class Transition(Enum):
    STARTS = "starts"
    CLEARS = "clears"


def is_missing_data(scope_matches: int) -> bool:
    """Whether a window in which `scope_matches` messages matched the search scope counts as missing data."""
    return scope_matches == 0


def clears(alert: TriggerVerdict, resolution: TriggerVerdict | None = None) -> bool:
    """Whether an active alert clears: its condition fails and the resolution condition (if any) holds."""
    return not alert.holds and (resolution is None or resolution.holds)


def transition(active: bool, firing: bool, clearing: bool) -> Transition | None:
    """What happens to an alert that is `active` (or not) in a pass whose condition is `firing` / `clearing`."""
    if firing and not active:
        return Transition.STARTS
    if active and not firing and clearing:
        return Transition.CLEARS
    return None
