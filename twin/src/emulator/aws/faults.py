"""Injected AWS errors for tests: "the next 2 RebootInstances calls fail with RequestLimitExceeded"."""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import asdict, dataclass
from typing import Any

_SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{0,62}$")
_OPERATION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,127}$")
_ERROR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9.:_-]{0,127}$")


class FaultSpecError(ValueError):
    """A fault request with a wrong field; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Fault:
    """One injected error; `operation` None matches every operation of the service, `times` None never runs out."""

    fault_id: str
    service: str
    operation: str | None
    error_code: str
    message: str
    http_status: int
    times: int | None
    hits: int = 0

    def matches(self, service: str | None, operation: str | None) -> bool:
        return service == self.service and (self.operation is None or operation == self.operation)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_fault(spec: Any) -> Fault:
    """Validate a fault request body; every error names the field and the value that was wrong."""
    if not isinstance(spec, dict):
        raise FaultSpecError("body", f"expected a JSON object, got {type(spec).__name__}")
    unknown = sorted(set(spec) - {"service", "operation", "error_code", "message", "http_status", "times"})
    if unknown:
        raise FaultSpecError(unknown[0], f"unknown field {unknown[0]!r}")
    service = spec.get("service")
    if not isinstance(service, str) or not _SERVICE_NAME.match(service):
        raise FaultSpecError("service", f"service must be a signing name such as 'ec2' or 'sns', got {service!r}")
    operation = spec.get("operation")
    if operation is not None and (not isinstance(operation, str) or not _OPERATION_NAME.match(operation)):
        raise FaultSpecError("operation", f"operation must be an API name like 'RebootInstances', got {operation!r}")
    error_code = spec.get("error_code")
    if not isinstance(error_code, str) or not _ERROR_CODE.match(error_code):
        raise FaultSpecError("error_code", f"error_code must be an AWS error code, got {error_code!r}")
    message = spec.get("message", f"Injected fault: {error_code}")
    if not isinstance(message, str) or len(message) > 2048:
        raise FaultSpecError("message", f"message must be a string of at most 2048 characters, got {message!r:.80}")
    http_status = spec.get("http_status", 400)
    if isinstance(http_status, bool) or not isinstance(http_status, int) or not 400 <= http_status <= 599:
        raise FaultSpecError("http_status", f"http_status must be an integer from 400 to 599, got {http_status!r}")
    times = spec.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise FaultSpecError("times", f"times must be a positive integer or null for always, got {times!r}")
    return Fault(str(uuid.uuid4()), service, operation, error_code, message, http_status, times)


class FaultRegistry:
    """Thread-safe list of active faults; the first match wins and uses up one of its `times`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
        return count

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.as_dict() for fault in self._faults]

    def take(self, service: str | None, operation: str | None) -> Fault | None:
        """The fault this request should get, if any; a fault that has fired `times` times is removed."""
        if service is None:
            return None
        with self._lock:
            for fault in self._faults:
                if fault.matches(service, operation):
                    fault.hits += 1
                    if fault.times is not None and fault.hits >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None
