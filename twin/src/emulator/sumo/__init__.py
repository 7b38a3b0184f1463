"""A local Sumo Logic: Monitors and Connections APIs, HTTP log ingestion, a monitor scheduler and webhook delivery."""
