"""How much the automation engine adds to AWS calls: a 10-step aws:executeAwsApi runbook vs the same 10 boto3 calls.

Both run against one twin (clock speed 1), interleaved round by round so load on the machine hits both alike.
The engine figure is wall time from just before StartAutomationExecution to the execution's own ExecutionEndTime
(the twin's clock runs at speed 1 here, so its timestamps are wall time). The poll that finds the end is gentle:
a tight poll makes the twin serialise the whole execution every few milliseconds in the very process that runs it,
and so slows what it measures.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.config import Config

from emulator.testing import REGION, TEST_CREDENTIALS, start_twin, stop_twin

TARGET_RATIO = 1.5
WARMUP_ROUNDS = 3
MAX_ROUNDS = 40
TIME_BUDGET_SECONDS = 45.0
POLL_SECONDS = 0.05

# (service, API, parameters) -- cheap read calls on several services, as a runbook's checks would make.
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("sts", "GetCallerIdentity", {}),
    ("ssm", "GetParameter", {"Name": "/bench/setting"}),
    ("sns", "ListTopics", {}),
    ("sqs", "ListQueues", {}),
    ("ssm", "DescribeParameters", {}),
    ("sts", "GetCallerIdentity", {}),
    ("iam", "ListRoles", {}),
    ("ssm", "GetParameter", {"Name": "/bench/setting"}),
    ("sns", "ListTopics", {}),
    ("dynamodb", "ListTables", {}),
]


def runbook() -> dict[str, Any]:
    steps = [
        {"name": f"call{index}", "action": "aws:executeAwsApi", "inputs": {"Service": service, "Api": api, **params}}
        for index, (service, api, params) in enumerate(CALLS)
    ]
    return {"schemaVersion": "0.3", "description": "Ten AWS calls in a row.", "mainSteps": steps}


def client(aws_url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=aws_url,
        region_name=REGION,
        aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"total_max_attempts": 1}),
    )


def snake_case(api: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in api).lstrip("_")


def direct_round(clients: dict[str, Any]) -> float:
    began = time.perf_counter()
    for service, api, params in CALLS:
        getattr(clients[service], snake_case(api))(**params)
    return time.perf_counter() - began


def engine_round(ssm: Any, document_name: str) -> float:
    began = time.time()
    execution_id = ssm.start_automation_execution(DocumentName=document_name)["AutomationExecutionId"]
    while True:
        time.sleep(POLL_SECONDS)
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        status = execution["AutomationExecutionStatus"]
        if status == "Success":
            return execution["ExecutionEndTime"].timestamp() - began
        if status in {"Failed", "Cancelled", "TimedOut"}:
            raise RuntimeError(f"benchmark runbook ended {status}: {execution.get('FailureMessage')}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-automation-") as log_dir:
        twin = start_twin(Path(log_dir), clock_speed=1.0)
        try:
            clients = {service: client(twin.aws_url, service) for service in {call[0] for call in CALLS}}
            clients["ssm"].put_parameter(Name="/bench/setting", Value="on", Type="String", Overwrite=True)
            document_name = f"bench-ten-calls-{uuid.uuid4().hex[:8]}"
            clients["ssm"].create_document(
                Name=document_name, Content=yaml.safe_dump(runbook()), DocumentType="Automation", DocumentFormat="YAML"
            )
            for _ in range(WARMUP_ROUNDS):
                engine_round(clients["ssm"], document_name)
                direct_round(clients)
            engine_times: list[float] = []
            direct_times: list[float] = []
            deadline = time.monotonic() + TIME_BUDGET_SECONDS
            while len(engine_times) < MAX_ROUNDS and time.monotonic() < deadline:
                engine_times.append(engine_round(clients["ssm"], document_name))
                direct_times.append(direct_round(clients))
        finally:
            stop_twin(twin)
    engine_median, direct_median = statistics.median(engine_times), statistics.median(direct_times)
    print(f"automation_engine_overhead_ratio: {engine_median / direct_median:.2f} (target <= {TARGET_RATIO})")
    print(f"automation_engine_10_step_median_ms: {engine_median * 1000:.1f}")
    print(f"direct_boto3_10_calls_median_ms: {direct_median * 1000:.1f}")
    print(f"automation_engine_rounds: {len(engine_times)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
