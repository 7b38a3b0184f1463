"""Tests of the product-side tools: reading the deployment inventory for the monitor backtest."""
