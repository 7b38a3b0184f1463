"""The AWS twin on one port: moto's server app for every service it has, behind a front that adds what it lacks.

Order of a request through the front: the /_twin/ control API; Lambda Function URLs (function_urls.py runs the
deployed zips); an injected fault, if one matches; Lambda calls naming a role IAM has not propagated yet (refused,
as AWS does); the SSM Automation APIs (answered by emulator.automation's engine); Automation document validation
before CreateDocument/UpdateDocument; checks that the request is an API call at all (Action, X-Amz-Target, JSON
syntax); then moto: DynamoDB through tables that are CREATING for a while, Lambda through function states (Pending,
update InProgress) and EC2 with realism patched into its models.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from emulator.automation import AutomationError, AutomationService, validate_document
from emulator.aws import ec2_lifecycle
from emulator.aws.automation_front import AutomationFront, parse_json_object
from emulator.aws.callers import signed_with
from emulator.aws.clients import TwinClientFactory
from emulator.aws.control import ControlApi
from emulator.aws.documents import MotoDocumentSource
from emulator.aws.dynamodb_lifecycle import TableLifecycle
from emulator.aws.ebs_encryption import CustomerManagedKeys
from emulator.aws.ec2_lifecycle import Ec2Lifecycle
from emulator.aws.faults import FaultRegistry
from emulator.aws.function_urls import FunctionUrlHost
from emulator.aws.iam_propagation import IamPropagation, changed_role_name
from emulator.aws.lambda_states import FunctionStates
from emulator.aws.schedules import ScheduleRunner
from emulator.aws.wire import (
    JSON_STYLE,
    AwsRequest,
    Reply,
    StartResponse,
    error_response,
    json_error,
    protocol_problem,
    read_request,
    respond,
)
from emulator.clock import ScaledClock
from emulator.service_contract import TwinSettings

log = logging.getLogger(__name__)

# (clock, client_factory, document_source, account_id, region, script_environment) -> engine
EngineFactory = Callable[..., Any]


class AwsTwin:
    """The AWS service of the twin (a TwinService): one WSGI app plus the automation engine's lifetime."""

    def __init__(
        self, clock: ScaledClock, settings: TwinSettings, engine_factory: EngineFactory = AutomationService
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.faults = FaultRegistry()
        self.customer_managed_keys = CustomerManagedKeys(settings.account_id, settings.region)
        self.ec2 = Ec2Lifecycle(clock, launch_check=self.customer_managed_keys.launch_failure)
        self.iam = IamPropagation(clock)
        self.tables = TableLifecycle(clock)
        self.functions = FunctionStates(clock, settings.account_id, settings.region)
        self.documents = MotoDocumentSource(settings.account_id, settings.region)
        self.clients = TwinClientFactory(settings.aws_url, settings.region)
        self._engine_factory = engine_factory
        self._engine: Any = None
        self._engine_lock = threading.Lock()
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._function_urls = FunctionUrlHost(settings, clock)
        self.schedules = ScheduleRunner(clock, settings.account_id, settings.region, self._function_urls.invoke)
        self._control = ControlApi(
            clock,
            self.faults,
            self.ec2,
            self.iam,
            self.tables,
            self.functions,
            settings.account_id,
            settings.region,
            self.engine,
            self.customer_managed_keys,
            self.schedules,
        )
        self._automation = AutomationFront(self.engine, validate_document, self.documents)
        # DynamoDB applies each conditional write atomically; moto does not lock, so the twin applies them in turn.
        self._dynamodb_lock = threading.Lock()
        # Patched in at once, not in start(): the HTTP server may take requests before start() is called.
        ec2_lifecycle.activate(self.ec2)

    def engine(self) -> Any:
        """The automation engine, built on first use (it is only needed once someone runs automation)."""
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._engine_factory(
                    self.clock,
                    self.clients,
                    self.documents,
                    self.settings.account_id,
                    self.settings.region,
                    self.clients.script_environment(),
                )
            return self._engine

    def start(self) -> None:
        """The scheduler's thread fires EventBridge Scheduler schedules at twin time; the rest runs lazily: EC2 state
        follows the clock when read, and executions own their threads."""
        self.schedules.start()

    def stop(self) -> None:
        self.schedules.stop()
        self._function_urls.stop()
        if self._engine is not None:
            self._engine.close()
        ec2_lifecycle.activate(None)

    def wsgi_app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path.startswith("/_twin/") or path == "/_twin":
            return respond(start_response, self._control.answer(environ.get("REQUEST_METHOD", "GET"), path, environ))
        if self._function_urls.handles(path):
            return self._function_urls(environ, start_response)
        request = read_request(environ)
        fault = self.faults.take(request.service, request.operation)
        if fault is not None:
            return respond(start_response, error_response(request, fault.error_code, fault.message, fault.http_status))
        unassumable = self.iam.refusal(request)
        if unassumable is not None:
            return respond(start_response, error_response(request, "InvalidParameterValueException", unassumable))
        if self._automation.handles(request):
            return respond(start_response, self._automation.answer(request))
        rejected = self._automation.vet_document_write(request)
        if rejected is not None:
            return respond(start_response, rejected)
        problem = protocol_problem(request)
        if problem is not None:
            as_spoken, code, message = problem
            return respond(start_response, error_response(as_spoken, code, message))
        if request.style == JSON_STYLE:
            try:
                parse_json_object(request.body)
            except AutomationError as error:
                return respond(start_response, json_error(error.code, error.message, error.status))
        try:
            if request.service == "dynamodb":
                return respond(start_response, self._dynamodb(request, environ))
            if self.functions.handles(request):
                return respond(start_response, self._lambda(request, environ))
            if request.service == "scheduler" and request.method in ("POST", "PUT"):
                return respond(start_response, self._scheduler_write(request, environ))
            role_name = changed_role_name(request)
            if role_name is not None:
                return respond(start_response, self._moto_noting_role_change(role_name, environ))
            # moto answers in this thread; what it runs (the EC2 lifecycle's hooks) may ask who signed the request.
            with signed_with(request.access_key_id):
                return self._moto(environ, start_response)
        except Exception as error:
            # moto raises on what it has not implemented; answer like AWS would rather than drop the connection.
            log.exception("moto failed on %s %s (%s)", request.service, request.operation, request.path)
            reply = error_response(request, "InternalFailure", f"The twin could not handle this request: {error}", 500)
            return respond(start_response, reply)

    def _moto_reply(self, environ: dict[str, Any]) -> Reply:
        """moto's whole answer to a request, so the front can adjust it before it goes out."""
        answer: dict[str, Any] = {}
        written: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], *_exc_info: Any) -> Callable[[bytes], None]:
            answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers
            return written.append

        written.extend(self._moto(environ, capture))
        headers = [(name, value) for name, value in answer["headers"] if name.lower() != "content-length"]
        return answer["status"], headers, b"".join(written)

    def _dynamodb(self, request: AwsRequest, environ: dict[str, Any]) -> Reply:
        """A DynamoDB call, one at a time (moto does not lock), with tables CREATING for a while as on AWS."""
        refused = self.tables.refusal(request)
        if refused is not None:
            return error_response(request, *refused)
        with self._dynamodb_lock:
            status, headers, body = self._moto_reply(environ)
        body = self.tables.answered(request, status, body)
        # DynamoDB signs each body with its CRC32, which botocore checks (and retries on); keep it true to the body.
        crc = str(zlib.crc32(body))
        return status, [(name, crc if name.lower() == "x-amz-crc32" else value) for name, value in headers], body

    def _lambda(self, request: AwsRequest, environ: dict[str, Any]) -> Reply:
        """A Lambda call that a function's state decides: refused while Pending or updating, described as it is."""
        refused = self.functions.refusal(request)
        if refused is not None:
            return error_response(request, *refused)
        status, headers, body = self._moto_reply(environ)
        return status, headers, self.functions.answered(request, status, body)

    def _scheduler_write(self, request: AwsRequest, environ: dict[str, Any]) -> Reply:
        """A CreateSchedule/UpdateSchedule goes to moto; once it succeeds the scheduler notes the twin time, from
        which a rate() schedule counts its periods."""
        status, headers, body = self._moto_reply(environ)
        if 200 <= status < 300 and request.path.startswith("/schedules/"):
            self.schedules.note_written(request.path, request.body)
        return status, headers, body

    def _moto_noting_role_change(self, role_name: str, environ: dict[str, Any]) -> Reply:
        """Pass a CreateRole/UpdateAssumeRolePolicy to moto; if it succeeds, the role starts propagating."""
        status, headers, body = self._moto_reply(environ)
        if 200 <= status < 300:
            self.iam.role_changed(role_name)
        return status, headers, body


def create_aws_twin(clock: ScaledClock, settings: TwinSettings) -> AwsTwin:
    return AwsTwin(clock, settings)
