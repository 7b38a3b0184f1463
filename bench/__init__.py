"""Benchmarks: each bench/bench_*.py prints one `name: value` line per figure."""
