"""The contract between the twin's process manager and each local service (AWS, Sumo Logic)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class TwinSettings:
    """Where the twin listens and how fast its clock runs; read from the environment by the CLI."""

    host: str = "127.0.0.1"
    aws_port: int = 4566
    sumo_port: int = 4567
    clock_speed: float = 1.0
    region: str = "us-east-1"
    account_id: str = "123456789012"
    # Off only for fast tests; the real Sumo answers 429 past 4 requests per second per access id.
    sumo_rate_limit: bool = True

    @property
    def aws_url(self) -> str:
        return f"http://{self.host}:{self.aws_port}"

    @property
    def sumo_url(self) -> str:
        return f"http://{self.host}:{self.sumo_port}"


class TwinService(Protocol):
    """A local service: a WSGI app plus any background work (schedulers, EC2 transitions)."""

    wsgi_app: WSGIApp

    def start(self) -> None:
        """Start background threads; called once the HTTP server is listening."""
        ...

    def stop(self) -> None:
        """Stop background threads and child processes."""
        ...
