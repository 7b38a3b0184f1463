"""aws:executeAwsApi, aws:waitForAwsResourceProperty and aws:assertAwsResourceProperty: one boto3 call each."""

from __future__ import annotations

import functools
import json
from typing import Any, ClassVar

import botocore.session
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError
from botocore.model import OperationModel, ServiceModel
from botocore.validate import ParamValidator

from emulator.automation.actions.base import Action, ClientFactory, StepContext, StepFailedError, StepOutcome
from emulator.automation.outputs import check_selector, select, to_json_safe
from emulator.automation.variables import is_variable

API_INPUTS = frozenset({"Service", "Api"})
PROPERTY_INPUTS = frozenset({"PropertySelector", "DesiredValues"})
# Virtual seconds between polls of aws:waitForAwsResourceProperty.
WAIT_POLL_SECONDS = 10.0


@functools.lru_cache(maxsize=1)
def _botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.lru_cache(maxsize=64)
def _service_model(service: str) -> ServiceModel | None:
    session = _botocore_session()
    if service not in session.get_available_services():
        return None
    return session.get_service_model(service)


def resolve_operation(service: str, api: str) -> OperationModel:
    """The botocore operation for a Service/Api pair; Api may be `RebootInstances` or `reboot_instances`."""
    model = _service_model(service)
    if model is None:
        raise StepFailedError(f"Service {service!r} is not a boto3 client name (e.g. ec2, sns, ssm)", "InvalidInput")
    if api in model.operation_names:
        return model.operation_model(api)
    by_method = {xform_name(name): name for name in model.operation_names}
    if api in by_method:
        return model.operation_model(by_method[api])
    raise StepFailedError(f"Api {api!r} is not an operation of service {service!r}", "InvalidInput")


def call_api(client_factory: ClientFactory, service: str, api: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Validate `parameters` against botocore's model, call the API, return the JSON-safe response."""
    operation = resolve_operation(service, api)
    if operation.input_shape is not None:
        report = ParamValidator().validate(parameters, operation.input_shape)
        if report.has_errors():
            raise StepFailedError(
                f"Invalid parameters for {service}.{operation.name}: {report.generate_report()}", "InvalidInput"
            )
    elif parameters:
        raise StepFailedError(
            f"{service}.{operation.name} takes no parameters, got {sorted(parameters)}", "InvalidInput"
        )
    client = client_factory(service)
    try:
        response = getattr(client, xform_name(operation.name))(**parameters)
    except ClientError as error:
        raise StepFailedError(str(error)) from None
    except BotoCoreError as error:
        raise StepFailedError(f"{service}.{operation.name} failed: {error}") from None
    response = dict(response)
    response.pop("ResponseMetadata", None)
    return to_json_safe(response)


def _api_parameters(inputs: dict[str, Any], extra_inputs: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in inputs.items() if key not in API_INPUTS | extra_inputs}


def check_api_inputs(inputs: dict[str, Any]) -> list[str]:
    """Static checks of literal Service/Api values."""
    service, api = inputs.get("Service"), inputs.get("Api")
    if not isinstance(service, str) or not isinstance(api, str) or is_variable(service) or is_variable(api):
        return []
    try:
        resolve_operation(service, api)
    except StepFailedError as error:
        return [error.message]
    return []


class ExecuteAwsApi(Action):
    name = "aws:executeAwsApi"
    required_inputs = API_INPUTS
    accepts_api_parameters = True
    allows_declared_outputs = True
    builtin_outputs = frozenset({"OutputPayload"})

    def check_inputs(self, step_name: str, inputs: dict[str, Any], step_names: frozenset[str]) -> list[str]:
        return check_api_inputs(inputs)

    def execute(self, inputs: dict[str, Any], context: StepContext) -> StepOutcome:
        context.check()
        response = call_api(
            context.client_factory, inputs["Service"], inputs["Api"], _api_parameters(inputs, frozenset())
        )
        return StepOutcome(outputs={"OutputPayload": json.dumps(response)}, response=response)


def _property_matches(response: dict[str, Any], selector: str, desired: list[Any]) -> tuple[bool, bool, Any]:
    """(the selector matched something, all selected values are desired, the selected value)."""
    found, value = select(response, selector)
    if not found:
        return False, False, None
    values = value if isinstance(value, list) else [value]
    wanted = {_as_text(item) for item in desired}
    return True, bool(values) and all(_as_text(item) in wanted for item in values), value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


class _PropertyAction(Action):
    required_inputs = API_INPUTS | PROPERTY_INPUTS
    accepts_api_parameters = True

    def check_inputs(self, step_name: str, inputs: dict[str, Any], step_names: frozenset[str]) -> list[str]:
        problems = check_api_inputs(inputs)
        selector, desired = inputs.get("PropertySelector"), inputs.get("DesiredValues")
        if isinstance(selector, str) and not is_variable(selector):
            problem = check_selector(selector)
            if problem:
                problems.append(f"PropertySelector: {problem}")
        elif not isinstance(selector, str):
            problems.append(f"PropertySelector must be a JSONPath string, got {selector!r}")
        if not isinstance(desired, list) and not is_variable(desired):
            problems.append(f"DesiredValues must be a list, got {desired!r}")
        return problems

    def _check(self, inputs: dict[str, Any], context: StepContext) -> tuple[bool, Any, dict[str, Any]]:
        """(the property has a desired value, its value, the response); a selector matching nothing fails the step."""
        desired = inputs["DesiredValues"]
        if not isinstance(desired, list):
            raise StepFailedError(f"DesiredValues must be a list, got {desired!r}", "InvalidInput")
        response = call_api(
            context.client_factory, inputs["Service"], inputs["Api"], _api_parameters(inputs, PROPERTY_INPUTS)
        )
        selector = inputs["PropertySelector"]
        found, matched, value = _property_matches(response, selector, desired)
        if not found:
            # AWS does not document this case; the stricter reading: there is no property to compare, so the step
            # fails at once instead of waiting (perhaps for ever) for a value the response does not carry.
            raise StepFailedError(
                f"PropertySelector {selector} matched nothing in the {inputs['Service']} {inputs['Api']} response "
                f"(top-level keys {sorted(response)}), so there is no property to compare with DesiredValues "
                f"{desired}",
                response=response,
            )
        return matched, value, response


class WaitForAwsResourceProperty(_PropertyAction):
    name = "aws:waitForAwsResourceProperty"
    default_timeout_seconds: ClassVar[float | None] = 3600.0

    def execute(self, inputs: dict[str, Any], context: StepContext) -> StepOutcome:
        while True:
            context.check()
            matched, _value, response = self._check(inputs, context)
            if matched:
                return StepOutcome(response=response)
            context.sleep(WAIT_POLL_SECONDS)


class AssertAwsResourceProperty(_PropertyAction):
    name = "aws:assertAwsResourceProperty"

    def execute(self, inputs: dict[str, Any], context: StepContext) -> StepOutcome:
        context.check()
        matched, value, response = self._check(inputs, context)
        if not matched:
            raise StepFailedError(
                f"Property {inputs['PropertySelector']} is {value!r}; expected one of {inputs['DesiredValues']}",
                response=response,
            )
        return StepOutcome(response=response)
