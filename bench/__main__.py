"""Run every benchmark under bench/ in its own process and print one line per figure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    bench_dir = Path(__file__).resolve().parent
    failures = 0
    for script in sorted(bench_dir.glob("bench_*.py")):
        result = subprocess.run(
            [sys.executable, "-m", f"bench.{script.stem}"],
            cwd=bench_dir.parent,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        sys.stdout.write(result.stdout)
        if result.returncode != 0:
            failures += 1
            print(f"{script.stem}: FAILED (exit {result.returncode})\n{result.stderr[-2000:]}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
