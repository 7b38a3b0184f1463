"""Request bodies are checked against the OpenAPI spec (or the compact schema when the spec is absent)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from emulator.sumo import spec
from tests.sumo.bodies import connection_body, logs_triggers, monitor_body


@pytest.fixture
def compact_schema(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("SUMO_OPENAPI_SPEC", raising=False)
    spec.reset_document_cache()
    yield
    monkeypatch.undo()
    spec.reset_document_cache()


def bad_threshold_type_body() -> dict:
    triggers = logs_triggers()
    triggers[1]["thresholdType"] = "Sideways"
    return monitor_body(triggers=triggers)


def test_threshold_type_outside_the_enum_is_400_naming_the_field(sumo):
    root = sumo.sdk().get("/monitors/root").json()["id"]
    response = sumo.session().post(f"{sumo.api_url}/v1/monitors?parentId={root}", json=bad_threshold_type_body())
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "service.argument.invalid"
    assert error["message"].startswith("The request body you've provided is invalid. [Invalid field: ")
    assert "triggers[1].thresholdType" in error["detail"] and "'Sideways'" in error["detail"]


def test_every_problem_is_reported(sumo):
    root = sumo.sdk().get("/monitors/root").json()["id"]
    body = monitor_body(monitorType="Traces")
    del body["queries"]
    response = sumo.session().post(f"{sumo.api_url}/v1/monitors?parentId={root}", json=body)
    details = [error["detail"] for error in response.json()["errors"]]
    assert any(detail.startswith("monitorType") for detail in details)
    assert "queries is required" in details


def test_unknown_detection_method_is_rejected(sumo):
    root = sumo.sdk().get("/monitors/root").json()["id"]
    triggers = logs_triggers()
    triggers[0]["detectionMethod"] = "LogsGuessCondition"
    response = sumo.session().post(f"{sumo.api_url}/v1/monitors?parentId={root}", json=monitor_body(triggers=triggers))
    assert response.status_code == 400
    assert "triggers[0].detectionMethod" in response.json()["errors"][0]["detail"]


def test_connection_header_without_value_is_rejected(sumo):
    body = connection_body(headers=[{"name": "Authorization"}])
    response = sumo.session().post(f"{sumo.api_url}/v1/connections", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"] == "headers[0].value is required"


def test_validate_request_accepts_a_good_recorded_request():
    assert spec.validate_request("POST", "/api/v1/monitors?parentId=0000000000000001", monitor_body()) == []
    assert spec.validate_request("POST", "/api/v1/connections", connection_body()) == []


def test_validate_request_reports_body_query_and_unknown_operations():
    problems = spec.validate_request("POST", "http://127.0.0.1:1/api/v1/monitors", bad_threshold_type_body())
    assert problems[0] == "query parameter parentId is required by POST /v1/monitors"
    assert any(problem.startswith("triggers[1].thresholdType should be one of") for problem in problems)
    assert spec.validate_request("DELETE", "/api/v1/connections/00000000000000AB", None) == [
        "query parameter type is required by DELETE /v1/connections/{id}"
    ]
    assert spec.validate_request("PATCH", "/api/v1/monitors/root", None)[0].startswith("no operation PATCH")


def test_validate_request_takes_json_text():
    assert spec.validate_request("PUT", "/api/v1/monitors/00000000000000AB", '{"type": "MonitorsLibraryMonitorUpdate"}')
    assert spec.validate_request("POST", "/api/v1/connections", b"{not json")[0].startswith("body is not JSON")


def test_official_spec_is_used_when_sumo_openapi_spec_names_it():
    official = spec.official_spec_path()
    if official is None:
        pytest.skip("SUMO_OPENAPI_SPEC is not set: no official spec was given to these tests")
    assert spec.load_document().source == "official"


def test_a_spec_path_that_is_not_a_file_is_refused_by_name(monkeypatch, tmp_path):
    missing = tmp_path / "sumologic-api.yaml"
    monkeypatch.setenv("SUMO_OPENAPI_SPEC", str(missing))
    spec.reset_document_cache()
    try:
        with pytest.raises(spec.SpecNotFoundError, match=f"SUMO_OPENAPI_SPEC names {missing}, which is not a file"):
            spec.load_document()
    finally:
        monkeypatch.undo()
        spec.reset_document_cache()


def test_compact_schema_is_used_and_announced_when_no_spec_is_given(compact_schema, caplog):
    with caplog.at_level(logging.INFO, logger="emulator.sumo"):
        document = spec.load_document()
    assert document.source == "compact"
    assert "twin's own compact schema" in caplog.text
    problems = spec.validate_request("POST", "/api/v1/monitors?parentId=0000000000000001", bad_threshold_type_body())
    assert any(problem.startswith("triggers[1].thresholdType should be one of") for problem in problems)
    assert spec.validate_request("POST", "/api/v1/monitors?parentId=0000000000000001", monitor_body()) == []
    assert spec.validate_request("POST", "/api/v1/connections", connection_body()) == []


def test_nullable_fields_take_null_and_others_do_not():
    triggers = logs_triggers()
    triggers[1]["resolutionWindow"] = None
    assert spec.validate_request("POST", "/api/v1/monitors?parentId=1", monitor_body(triggers=triggers)) == []
    problems = spec.validate_request("POST", "/api/v1/monitors?parentId=1", monitor_body(description=None))
    assert problems == ["description should be of type string (got null)"]
