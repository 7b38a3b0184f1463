"""aws:executeScript: run an inline Python handler in a subprocess of the engine's own interpreter.

Runtimes python3.9 to python3.12 are accepted and all run with `sys.executable` (AWS stopped running 3.6-3.8 on
2025-02-18). PowerShell runtimes and `Attachment` scripts are rejected: this engine runs inline Python only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, ClassVar

from emulator.automation.actions.base import Action, StepContext, StepFailedError, StepOutcome
from emulator.automation.signals import StepCancelledError, StepTimedOutError
from emulator.automation.variables import is_variable

SUPPORTED_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12")
MAX_PAYLOAD_BYTES = 100 * 1024
RUNNER = Path(__file__).with_name("script_runner.py")


class ExecuteScript(Action):
    name = "aws:executeScript"
    required_inputs = frozenset({"Runtime", "Handler", "Script"})
    optional_inputs = frozenset({"InputPayload"})
    allows_declared_outputs = True
    builtin_outputs = frozenset({"Payload"})
    default_timeout_seconds: ClassVar[float | None] = 600.0

    def check_inputs(self, step_name: str, inputs: dict[str, Any], step_names: frozenset[str]) -> list[str]:
        problems = []
        runtime = inputs.get("Runtime")
        if not is_variable(runtime) and runtime not in SUPPORTED_RUNTIMES:
            problems.append(f"Runtime {runtime!r} is not supported; expected one of {list(SUPPORTED_RUNTIMES)}")
        for key in ("Handler", "Script"):
            if not isinstance(inputs.get(key), str):
                problems.append(f"{key} must be a string, got {inputs.get(key)!r}")
        payload = inputs.get("InputPayload", {})
        if not isinstance(payload, dict) and not is_variable(payload):
            problems.append(f"InputPayload must be a map, got {payload!r}")
        return problems

    def execute(self, inputs: dict[str, Any], context: StepContext) -> StepOutcome:
        if inputs["Runtime"] not in SUPPORTED_RUNTIMES:
            raise StepFailedError(f"Runtime {inputs['Runtime']!r} is not supported", "InvalidInput")
        events = inputs.get("InputPayload", {})
        request = {
            "script": inputs["Script"],
            "handler": inputs["Handler"],
            "events": events,
            "context": context.scope.system_context(),
        }
        result = self._run(request, context)
        if "error" in result:
            raise StepFailedError(f"Script raised {result['error']}\n{result.get('traceback', '')}".strip())
        payload = result["payload"]
        encoded = json.dumps(payload)
        if len(encoded.encode("utf-8")) > MAX_PAYLOAD_BYTES:
            raise StepFailedError(f"Script output is {len(encoded)} bytes; the maximum Payload is {MAX_PAYLOAD_BYTES}")
        return StepOutcome(outputs={"Payload": payload}, response={"Payload": payload})

    def _run(self, request: dict[str, Any], context: StepContext) -> dict[str, Any]:
        environment = dict(os.environ)
        environment.update(context.script_environment or {})
        with tempfile.TemporaryDirectory(prefix="automation-script-") as workdir:
            result_path = Path(workdir) / "result.json"
            process = subprocess.Popen(
                [sys.executable, str(RUNNER), str(result_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment,
                cwd=workdir,
            )
            finished = threading.Event()
            captured: dict[str, bytes] = {}

            def communicate() -> None:
                captured["stdout"], captured["stderr"] = process.communicate(json.dumps(request).encode("utf-8"))
                finished.set()

            threading.Thread(target=communicate, daemon=True).start()
            try:
                while not finished.is_set():
                    context.check()
                    remaining = context.remaining()
                    # Short slices so a stop is noticed within a virtual second even at real speed.
                    context.clock.wait_for(finished, 1.0 if remaining is None else min(remaining, 1.0))
                    if context.cancel_event.is_set() and not finished.is_set():
                        raise StepCancelledError()
            except (StepCancelledError, StepTimedOutError):
                process.kill()
                finished.wait(timeout=5)
                raise
            if not result_path.exists():
                stderr = captured.get("stderr", b"").decode("utf-8", "replace").strip()
                raise StepFailedError(f"Script process exited with code {process.returncode}: {stderr[-2000:]}")
            return json.loads(result_path.read_text(encoding="utf-8"))
