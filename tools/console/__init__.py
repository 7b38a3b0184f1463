"""The on-call console, `remediation`: what the automation did, whether it is on, and the switches on-call needs
(pause, resume, reset), read from and written to the deployed pipeline with the standard AWS credential chain.

Run `remediation --help` (installed by `make setup`) or `python -m tools.console`; docs/runbook.md, "3 a.m.", is its
guide.
"""
