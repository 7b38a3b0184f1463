"""`python -m tools.console`: the same as the installed `remediation` command."""

from tools.console.cli import main

raise SystemExit(main())
