"""The `remediation` command line: parse, resolve the deployment from the inventory, run one command, print its
answer (text, or JSON with --json) and exit 0; or print one line naming the problem on stderr and exit 1."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from tools.console import changes, history, status
from tools.console.aws import Aws
from tools.console.clock import deployment_clock
from tools.console.deployment import DEFAULT_INVENTORY, REPO_ROOT, Deployment, resolve_deployment
from tools.console.errors import ConsoleError
from tools.console.render import change_text, history_text, status_text
from tools.console.terminal import Terminal
from tools.console.times import parse_duration

DESCRIPTION = (
    "The on-call console of the EC2 auto-remediation: what the automation did (history), whether it is on and "
    "where each target stands (status), and the switches (pause, resume, reset). It reads the deployment named by "
    "an inventory (default: the twin's, inventory/local) with the standard AWS credential chain; docs/runbook.md, "
    '"3 a.m.", is its guide.'
)


def _duration(text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("the deployment (passed on to ansible-playbook as given)")
    where.add_argument(
        "-i",
        "--inventory",
        type=Path,
        default=DEFAULT_INVENTORY,
        help=f"the deployment's inventory (default: {DEFAULT_INVENTORY.relative_to(REPO_ROOT)}, the twin)",
    )
    where.add_argument("-e", "--extra-vars", action="append", default=[], metavar="VARS", help="as ansible-playbook -e")
    where.add_argument("--vault-password-file", action="append", default=[], metavar="PATH")
    where.add_argument("--vault-id", action="append", default=[], metavar="ID")
    where.add_argument("-J", "--ask-vault-pass", action="store_true")
    common.add_argument("--json", action="store_true", help="print the answer as JSON")

    parser = argparse.ArgumentParser(prog="remediation", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "status",
        parents=[common],
        help="the kill switch, and each target's state, cooldown, attempts, circuit and last execution",
    )
    history_parser = commands.add_parser(
        "history", parents=[common], help="each alert as one timeline: decision, execution, notifications, verification"
    )
    history_parser.add_argument("--since", type=_duration, default="24h", help="how far back (default 24h; 90m, 7d)")
    history_parser.add_argument("--instance", metavar="ID", help="only the alerts that concerned this instance")
    commands.add_parser("pause", parents=[common], help="turn automatic remediation off (the kill switch)")
    commands.add_parser("resume", parents=[common], help="turn automatic remediation on again")
    reset_parser = commands.add_parser(
        "reset", parents=[common], help="close a target's circuit and clear its attempts"
    )
    reset_parser.add_argument("target", metavar="INSTANCE", help="i-0123456789abcdef0 (or tag:Key=Value)")
    return parser


def run(
    args: argparse.Namespace,
    deployment: Deployment,
    terminal: Terminal,
    now: Callable[[], float] | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> int:
    """Run the parsed command against `deployment` (tests pass one directly); ConsoleError for the operator."""
    aws = Aws(deployment)
    clock = now or deployment_clock(deployment.endpoint_url)
    answer: Any
    if args.command == "status":
        report = status.read_status(aws, clock(), terminal.progress)
        answer, text = report.as_json, lambda: status_text(report, terminal.paint)
    elif args.command == "history":
        # CloudWatch stamps lines as it ingests them, in real time (the twin does too), so the window is real time.
        timelines = history.read_history(aws, wall_clock() - args.since, args.instance, terminal.progress)
        answer, text = timelines.as_json, lambda: history_text(timelines, terminal.paint)
    else:
        terminal.progress(f"{args.command} in {deployment.where}")
        if args.command == "pause":
            change = changes.pause(aws, clock())
        elif args.command == "resume":
            change = changes.resume(aws, clock())
        else:
            change = changes.reset(aws, args.target, clock())
        answer, text = change.as_json, lambda: change_text(change, terminal.paint)
    terminal.say(json.dumps(answer(), indent=2) if args.json else text())
    return 0


def serve(args: argparse.Namespace, terminal: Terminal, deployment: Callable[[], Deployment]) -> int:
    """Run the command on the deployment `deployment()` gives; a ConsoleError is one line on stderr and exit 1."""
    try:
        return run(args, deployment(), terminal)
    except ConsoleError as error:
        terminal.problem(str(error))
        return 1
    except KeyboardInterrupt:
        terminal.problem("interrupted")
        return 130


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    terminal = Terminal(out or sys.stdout, err or sys.stderr)

    def from_inventory() -> Deployment:
        terminal.progress(f"resolving the deployment from {args.inventory}")
        vault = (args.vault_password_file, args.vault_id, args.ask_vault_pass)
        return resolve_deployment(args.inventory, args.extra_vars, *vault)

    return serve(args, terminal, from_inventory)


if __name__ == "__main__":
    raise SystemExit(main())
