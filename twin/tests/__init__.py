"""Tests of the local twins (AWS, SSM Automation, Sumo Logic)."""
