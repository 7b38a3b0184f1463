"""Tests of the local Sumo Logic twin."""
