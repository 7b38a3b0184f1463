"""Runs one aws:executeScript handler in its own interpreter; started by the engine, never imported by it.

Reads {"script", "handler", "events", "context"} as JSON on stdin and writes {"payload"} or {"error"} as JSON to the
file named by argv[1], so whatever the script prints cannot corrupt the result.
"""

import json
import sys
import traceback


def main() -> int:
    request = json.load(sys.stdin)
    result_path = sys.argv[1]
    namespace = {"__name__": "automation_script"}
    try:
        exec(compile(request["script"], "<Script>", "exec"), namespace)  # noqa: S102 - running the runbook's script is the point
        handler = namespace.get(request["handler"])
        if not callable(handler):
            raise NameError(f"Handler {request['handler']!r} is not a function defined by the script")
        payload = handler(request["events"], request["context"])
        text = json.dumps({"payload": payload})
    except Exception as error:
        text = json.dumps({"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()})
    with open(result_path, "w", encoding="utf-8") as result_file:
        result_file.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
