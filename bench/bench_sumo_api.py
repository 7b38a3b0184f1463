"""Costs of the local Sumo Logic service outside the query engine: spec validation, API calls and HTTP ingestion
in-process through the WSGI app (no sockets) so the figures are the twin's own, and an evaluation pass, run on the
backend as the scheduler runs it (what POST /_twin/sumo/evaluate runs too)."""

from __future__ import annotations

import time

from werkzeug.test import Client

from emulator.clock import ScaledClock
from emulator.service_contract import TwinSettings
from emulator.sumo import spec
from emulator.sumo.auth import DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY
from emulator.sumo.server import create_sumo_twin

AUTH = (DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY)
SLOW_QUERY = (
    '_sourceCategory=prod/app "/api/data" | parse "response_time=*" as ms | where num(ms) > 3000 | count as slow_calls'
)
API_CALLS = 2000
INGEST_BATCHES = 50
LINES_PER_BATCH = 2000
MONITORS = 20


def monitor_body(name: str) -> dict:
    trigger = {
        "detectionMethod": "LogsStaticCondition",
        "triggerType": "Critical",
        "timeRange": "-10m",
        "threshold": 5,
        "thresholdType": "GreaterThan",
        "field": "slow_calls",
    }
    return {
        "type": "MonitorsLibraryMonitor",
        "name": name,
        "monitorType": "Logs",
        "queries": [{"rowId": "A", "query": SLOW_QUERY}],
        "triggers": [trigger, {**trigger, "triggerType": "ResolvedCritical", "thresholdType": "LessThanOrEqual"}],
    }


def main() -> None:
    started = time.perf_counter()
    document = spec.load_document()
    print(f"sumo_spec_load_seconds: {time.perf_counter() - started:.3f} ({document.source})")
    body = monitor_body("bench")
    started = time.perf_counter()
    spec.validate_request("POST", "/api/v1/monitors?parentId=0000000000000001", body)
    print(f"sumo_spec_first_monitor_validation_seconds: {time.perf_counter() - started:.3f}")
    started = time.perf_counter()
    for _ in range(1000):
        spec.validate_request("POST", "/api/v1/monitors?parentId=0000000000000001", body)
    print(f"sumo_spec_cached_validations_per_second: {1000 / (time.perf_counter() - started):.0f}")

    twin = create_sumo_twin(ScaledClock(speed=1.0), TwinSettings(sumo_rate_limit=False))
    client = Client(twin.wsgi_app)
    root = client.get("/api/v1/monitors/root", auth=AUTH).json["id"]
    started = time.perf_counter()
    ids = []
    for index in range(API_CALLS // 2):
        created = client.post(f"/api/v1/monitors?parentId={root}", json=monitor_body(f"m{index}"), auth=AUTH)
        ids.append(created.json["id"])
        client.get(f"/api/v1/monitors/{created.json['id']}", auth=AUTH)
    print(f"sumo_api_create_and_read_calls_per_second: {API_CALLS / (time.perf_counter() - started):.0f}")
    client.delete(f"/api/v1/monitors?ids={','.join(ids[MONITORS:])}", auth=AUTH)

    lines = "\n".join(
        f'10.0.0.{n % 250} "GET /api/data?id={n} HTTP/1.1" 200 response_time={4000 if n % 100 == 0 else 120}'
        for n in range(LINES_PER_BATCH)
    ).encode()
    started = time.perf_counter()
    for _ in range(INGEST_BATCHES):
        client.post("/receiver/v1/http/BENCH", data=lines, headers={"X-Sumo-Category": "prod/app"})
    elapsed = time.perf_counter() - started
    print(f"sumo_ingest_lines_per_second: {INGEST_BATCHES * LINES_PER_BATCH / elapsed:.0f}")

    started = time.perf_counter()
    report = twin.backend.evaluate()
    elapsed = time.perf_counter() - started
    lines_in_window = INGEST_BATCHES * LINES_PER_BATCH
    print(
        f"sumo_evaluation_pass_seconds: {elapsed:.3f} "
        f"({report.monitors_evaluated} monitors x {lines_in_window} lines in the window)"
    )


if __name__ == "__main__":
    main()
