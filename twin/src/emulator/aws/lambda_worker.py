"""One warm Lambda "container": imports a deployed handler once and runs invocations sent over a pipe.

Started by the Function URL host as `python -m emulator.aws.lambda_worker CODE_DIR HANDLER` with the function's
environment. Protocol: one JSON object per line on stdin ({"event", "context"}), one JSON reply per line on the
original stdout. The function's own prints and log lines go to stderr, which the host forwards to CloudWatch Logs,
so nothing the function writes can corrupt the protocol.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any, TextIO


class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers use."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.function_name: str = fields["function_name"]
        self.function_version: str = fields.get("function_version", "$LATEST")
        self.invoked_function_arn: str = fields["invoked_function_arn"]
        self.memory_limit_in_mb: int = int(fields.get("memory_limit_in_mb", 128))
        self.aws_request_id: str = fields["aws_request_id"]
        self.log_group_name: str = fields.get("log_group_name", f"/aws/lambda/{self.function_name}")
        self.log_stream_name: str = fields.get("log_stream_name", "local")
        self._deadline_epoch_ms: int = int(fields["deadline_epoch_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_epoch_ms - int(time.time() * 1000))


def _error_reply(kind: str, error: BaseException) -> dict[str, Any]:
    return {
        "ok": False,
        "kind": kind,
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def _load_handler(code_dir: str, handler_spec: str) -> Any:
    module_name, _, function_name = handler_spec.rpartition(".")
    if not module_name or not function_name:
        raise ValueError(f"handler {handler_spec!r} is not of the form module.function")
    sys.path.insert(0, code_dir)
    module = importlib.import_module(module_name)
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise AttributeError(f"module {module_name!r} has no callable {function_name!r}")
    return handler


def serve(code_dir: str, handler_spec: str, requests: TextIO, replies: TextIO) -> None:
    try:
        handler = _load_handler(code_dir, handler_spec)
        init_reply: dict[str, Any] = {"ok": True, "ready": True}
    except Exception as error:  # an init failure is reported to the host, as Lambda reports Runtime.ImportModuleError
        handler = None
        init_reply = _error_reply("init", error)
    replies.write(json.dumps(init_reply) + "\n")
    replies.flush()
    if handler is None:
        return
    for line in requests:
        request = json.loads(line)
        try:
            result = handler(request["event"], LambdaContext(request["context"]))
            reply = {"ok": True, "result": result}
            encoded = json.dumps(reply, default=str)
        except Exception as error:  # the function's own failure becomes the invocation's error, as on Lambda
            encoded = json.dumps(_error_reply("invoke", error), default=str)
        sys.stdout.flush()
        sys.stderr.flush()
        replies.write(encoded + "\n")
        replies.flush()


def main() -> int:
    code_dir, handler_spec = sys.argv[1], sys.argv[2]
    # Keep the real stdout for replies, then point fd 1 at stderr so prints and loggers cannot corrupt the protocol.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    os.chdir(code_dir)
    serve(code_dir, handler_spec, sys.stdin, replies)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
