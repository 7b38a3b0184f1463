"""When an alert starts and when it clears: the missing-data rule and the resolution rule, shared by the twin's
monitor evaluation and the backtest.

* MissingData: the query returned no result row for the trigger's window; it resolves once it returns one
  (MissingDataReading.QUERY_ROWS, the default and the stricter reading: an aggregate such as `where x > 5 | count`
  returns no row over a healthy window, so such a monitor reports missing data whenever the service is healthy).
  MissingDataReading.SCOPE_MATCHES, the kinder reading, counts the messages that matched the search scope instead;
  the control API switches to it for tests that need both (docs/twin-fidelity.md, "Missing data").
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


class MissingDataReading(Enum):
    """What "no data" is for a log monitor's MissingData trigger."""

    QUERY_ROWS = "query-rows"  # the query returned no result row (strict; the default)
    SCOPE_MATCHES = "scope-matches"  # no message matched the search scope (kind)


def is_missing_data(
    result_rows: int, scope_matches: int, reading: MissingDataReading = MissingDataReading.QUERY_ROWS
) -> bool:
    """Whether a window whose query returned `result_rows` rows, from `scope_matches` messages that matched the
    search scope, counts as missing data."""
    return (result_rows if reading is MissingDataReading.QUERY_ROWS else scope_matches) == 0


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
