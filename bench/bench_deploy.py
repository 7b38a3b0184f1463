"""Time `ansible-playbook site.yml` on a fresh private twin, then its no-op re-run, side by side.

Run as `python -m bench.bench_deploy`. Prints one `name: value` line per figure; the target is a no-op re-run
taking at most 60% of the fresh deploy.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import time
from pathlib import Path

from tests.deploy.resources import PlaybookRun, playbook_environment, run_playbook
from tests.twin_process import start_twin, stop_twin

PROJECT = "bench-deploy"


def timed_run(environment: dict[str, str], zip_path: Path) -> tuple[float, PlaybookRun]:
    started = time.perf_counter()
    extra_vars = {"remediation_project": PROJECT, "remediation_lambda_zip_path": str(zip_path)}
    run = run_playbook("site.yml", environment, extra_vars=extra_vars)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"site.yml failed (exit {run.returncode}):\n{run.output[-3000:]}")
    return elapsed, run


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as state:
        twin = start_twin(Path(state))
        try:
            environment = playbook_environment(twin.aws_url, twin.sumo_url, secrets.token_urlsafe(36))
            # A private build directory: the fresh run builds the zip as on a clean checkout.
            zip_path = Path(state) / "build" / "remediation-webhook.zip"
            fresh_seconds, fresh = timed_run(environment, zip_path)
            noop_seconds, noop = timed_run(environment, zip_path)
        finally:
            stop_twin(twin)
    print(f"deploy_fresh_seconds: {fresh_seconds:.1f}")
    print(f"deploy_noop_seconds: {noop_seconds:.1f}")
    print(f"deploy_noop_to_fresh_ratio: {noop_seconds / fresh_seconds:.2f}")
    print(f"deploy_fresh_changed_tasks: {fresh.changed}")
    print(f"deploy_noop_changed_tasks: {noop.changed}")
    if noop.changed:
        print(f"deploy_noop_changed_task_names: {', '.join(noop.changed_tasks)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
