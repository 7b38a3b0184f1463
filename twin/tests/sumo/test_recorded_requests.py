"""The twin records the API requests it serves (secrets masked) so they can be checked against the spec."""

from __future__ import annotations

from emulator.sumo.spec import validate_request
from tests.sumo.bodies import connection_body, monitor_body, webhook_notification


def test_sdk_requests_are_recorded_and_conform_to_the_spec(sumo):
    sdk = sumo.sdk()
    connection = sdk.post("/connections", connection_body()).json()
    root = sdk.get("/monitors/root").json()["id"]
    notifications = [webhook_notification(connection["id"], ["Critical"])]
    monitor = sdk.post(f"/monitors?parentId={root}", monitor_body(notifications=notifications)).json()
    update = {**monitor, "type": "MonitorsLibraryMonitorUpdate", "description": "changed"}
    sdk.put(f"/monitors/{monitor['id']}", update)
    sdk.delete(f"/monitors/{monitor['id']}")
    sdk.delete(f"/connections/{connection['id']}", params={"type": "WebhookConnection"})

    recorded = sumo.control.recorded_requests()
    assert [(entry["method"], entry["status"]) for entry in recorded] == [
        ("POST", 200),
        ("GET", 200),
        ("POST", 200),
        ("PUT", 200),
        ("DELETE", 204),
        ("DELETE", 204),
    ]
    for entry in recorded:
        assert validate_request(entry["method"], entry["path"], entry["body"]) == [], entry
    assert recorded[0]["body"]["headers"] == [{"name": "Authorization", "value": "********"}]


def test_a_rejected_request_is_recorded_with_its_status(sumo):
    sumo.session().post(f"{sumo.api_url}/v1/connections", json={"type": "WebhookDefinition"})
    recorded = sumo.control.recorded_requests()
    assert recorded[-1]["status"] == 400
    problems = validate_request(recorded[-1]["method"], recorded[-1]["path"], recorded[-1]["body"])
    assert sorted(problems) == ["defaultPayload is required", "name is required", "url is required"]
