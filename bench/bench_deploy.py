"""Time `ansible-playbook site.yml` on a fresh private twin, then its no-op re-run, side by side.

Run as `python -m bench.bench_deploy`. Prints one `name: value` line per figure; the target is a no-op re-run
taking at most 60% of the fresh deploy.

The target is measured against the twin as `make twin-up` runs it: its clock at real time, so what AWS makes a
fresh deploy wait for (a new role is not assumable by Lambda, a new function is Pending, a new table is CREATING;
see twin/src/emulator/aws/README.md) takes real seconds, as it does on AWS. The same pair is then measured on a twin
at the test suite's 100x clock, where those waits shrink to nothing and both runs are just the cost of each Ansible
module; that ratio is reported, not judged.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from emulator.testing import start_twin, stop_twin
from tests.deploy.resources import PlaybookRun, playbook_environment, run_playbook

PROJECT = "bench-deploy"
TARGET_RATIO = 0.6
RETRY_MARKER = "FAILED - RETRYING"


@dataclass(frozen=True)
class DeployTimes:
    fresh_seconds: float
    noop_seconds: float
    fresh: PlaybookRun
    noop: PlaybookRun

    @property
    def ratio(self) -> float:
        return self.noop_seconds / self.fresh_seconds


def timed_run(environment: dict[str, str], zip_path: Path) -> tuple[float, PlaybookRun]:
    started = time.perf_counter()
    extra_vars = {"remediation_project": PROJECT, "remediation_lambda_zip_path": str(zip_path)}
    run = run_playbook("site.yml", environment, extra_vars=extra_vars)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"site.yml failed (exit {run.returncode}):\n{run.output[-3000:]}")
    return elapsed, run


def deploy_twice(clock_speed: float) -> DeployTimes:
    """A fresh deploy and its re-run on a new private twin whose clock runs at `clock_speed`."""
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as state:
        twin = start_twin(Path(state), clock_speed=clock_speed)
        try:
            environment = playbook_environment(twin.aws_url, twin.sumo_url, secrets.token_urlsafe(36))
            # A private build directory: the fresh run builds the zip as on a clean checkout.
            zip_path = Path(state) / "build" / "remediation-webhook.zip"
            fresh_seconds, fresh = timed_run(environment, zip_path)
            noop_seconds, noop = timed_run(environment, zip_path)
        finally:
            stop_twin(twin)
    return DeployTimes(fresh_seconds, noop_seconds, fresh, noop)


def report(prefix: str, times: DeployTimes) -> None:
    print(f"{prefix}fresh_seconds: {times.fresh_seconds:.1f}")
    print(f"{prefix}noop_seconds: {times.noop_seconds:.1f}")
    print(f"{prefix}noop_to_fresh_ratio: {times.ratio:.2f}")
    print(f"{prefix}fresh_changed_tasks: {times.fresh.changed}")
    print(f"{prefix}fresh_iam_propagation_retries: {times.fresh.output.count(RETRY_MARKER)}")
    print(f"{prefix}noop_changed_tasks: {times.noop.changed}")


def main() -> int:
    real_time = deploy_twice(clock_speed=1.0)
    report("deploy_", real_time)
    print(f"deploy_noop_to_fresh_target: {TARGET_RATIO:.2f}")
    fast_clock = deploy_twice(clock_speed=100.0)
    report("deploy_at_100x_clock_", fast_clock)
    changed = [*real_time.noop.changed_tasks, *fast_clock.noop.changed_tasks]
    if changed:
        print(f"deploy_noop_changed_task_names: {', '.join(changed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
