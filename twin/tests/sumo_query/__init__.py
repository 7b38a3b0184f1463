"""Tests of the Sumo Logic query-language subset and the monitor backtest."""
