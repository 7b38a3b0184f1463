"""Monitors API v1 through the official Python SDK and plain requests: tree, versions, paths, search, errors."""

from __future__ import annotations

import re

import pytest
import requests

from tests.sumo.bodies import connection_body, logs_triggers, monitor_body, webhook_notification

HEX_ID = re.compile(r"^[0-9A-F]{16}$")
RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ERROR_ID = re.compile(r"^[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}$")


def root_id(sumo) -> str:
    return sumo.sdk().get("/monitors/root").json()["id"]


def create(sumo, body: dict, parent_id: str | None = None) -> dict:
    parent = parent_id or root_id(sumo)
    return sumo.sdk().post(f"/monitors?parentId={parent}", body).json()


def folder(name: str) -> dict:
    return {"type": "MonitorsLibraryFolder", "name": name, "description": f"{name} folder"}


def test_root_is_a_system_folder_listing_its_children(sumo):
    child = create(sumo, folder("Team"))
    root = sumo.sdk().get("/monitors/root").json()
    assert root["type"] == "MonitorsLibraryFolderResponse"
    assert root["contentType"] == "Folder"
    assert root["isSystem"] is True
    assert [(c["id"], c["type"]) for c in root["children"]] == [(child["id"], "MonitorsLibraryBaseResponse")]


def test_created_monitor_echoes_its_settings_with_server_fields(sumo):
    created = create(sumo, monitor_body())
    assert HEX_ID.match(created["id"])
    assert created["type"] == "MonitorsLibraryMonitorResponse"
    assert created["contentType"] == "Monitor"
    assert created["version"] == 0
    assert RFC3339_MS.match(created["createdAt"]) and created["createdAt"] == created["modifiedAt"]
    assert created["createdAt"].startswith("2027-01-15T08:00:")
    assert created["parentId"] == root_id(sumo)
    assert created["status"] == ["Normal"]
    assert created["monitorType"] == "Logs"
    assert created["triggers"][0]["timeRange"] == "-10m"
    assert created["triggers"][0]["threshold"] == 5.0
    assert created["isSystem"] is False and created["isMutable"] is True


def test_read_only_and_unknown_fields_are_tolerated_and_tags_kept(sumo):
    body = monitor_body(
        isSystem=False,
        isMutable=True,
        version=7,
        createdBy="0000000000000001",
        contentType="Monitor",
        status=["Normal"],
        isLocked=False,
        tags={"team": "ops"},
        somethingNew={"x": 1},
    )
    body["triggers"][0].update({"occurrenceType": "", "triggerSource": "", "frequency": "1m"})
    created = create(sumo, body)
    assert created["version"] == 0
    assert created["tags"] == {"team": "ops"}
    assert "somethingNew" not in created
    assert "occurrenceType" not in created["triggers"][0]
    assert created["triggers"][0]["frequency"] == "1m"


def test_read_by_id_by_ids_and_by_path(sumo):
    team = create(sumo, folder("Team"))
    monitor = create(sumo, monitor_body(), parent_id=team["id"])
    sdk = sumo.sdk()
    assert sdk.get(f"/monitors/{monitor['id']}").json()["name"] == "api-data latency"
    by_ids = sdk.get(f"/monitors?ids={monitor['id']},{team['id']}").json()
    assert set(by_ids) == {monitor["id"], team["id"]}
    assert by_ids[team["id"]]["children"][0]["id"] == monitor["id"]
    by_path = sdk.get("/monitors/path", params={"path": "/Monitor/Team/api-data latency"}).json()
    assert by_path["id"] == monitor["id"]


def test_full_path_lists_every_folder_from_the_root(sumo):
    team = create(sumo, folder("Team"))
    monitor = create(sumo, monitor_body(), parent_id=team["id"])
    path = sumo.sdk().get(f"/monitors/{monitor['id']}/path").json()
    assert path["path"] == "/Monitor/Team/api-data latency"
    assert [item["id"] for item in path["pathItems"]] == [root_id(sumo), team["id"], monitor["id"]]


def test_search_matches_words_case_insensitively_and_filters_by_type(sumo):
    create(sumo, folder("Latency Team"))
    monitor = create(sumo, monitor_body())
    sdk = sumo.sdk()
    found = sdk.get("/monitors/search", params={"query": "LATENCY"}).json()
    assert sorted(entry["path"] for entry in found) == ["/Monitor/Latency Team", "/Monitor/api-data latency"]
    folders = sdk.get("/monitors/search", params={"query": "latency type:folder"}).json()
    assert [entry["item"]["name"] for entry in folders] == ["Latency Team"]
    page = sdk.get("/monitors/search", params={"query": "latency", "limit": 1, "offset": 1}).json()
    assert [entry["item"]["id"] for entry in page] == [monitor["id"]]


def test_update_increments_the_version_and_modified_time(sumo, clock):
    created = create(sumo, monitor_body())
    clock.advance(120)
    update = monitor_body(name="renamed", type="MonitorsLibraryMonitorUpdate", version=0)
    updated = sumo.sdk().put(f"/monitors/{created['id']}", update).json()
    assert updated["version"] == 1
    assert updated["name"] == "renamed"
    assert updated["modifiedAt"] > updated["createdAt"]
    again = sumo.sdk().put(f"/monitors/{created['id']}", {**update, "version": 1}).json()
    assert again["version"] == 2


def test_update_with_a_stale_version_is_a_conflict(sumo):
    created = create(sumo, monitor_body())
    session = sumo.session()
    url = f"{sumo.api_url}/v1/monitors/{created['id']}"
    assert session.put(url, json=monitor_body(type="MonitorsLibraryMonitorUpdate", version=0)).status_code == 200
    stale = session.put(url, json=monitor_body(type="MonitorsLibraryMonitorUpdate", version=0))
    assert stale.status_code == 409
    body = stale.json()
    assert ERROR_ID.match(body["id"])
    assert body["errors"][0]["code"] == "monitors:version_mismatch"
    assert "latest version 1" in body["errors"][0]["detail"]


def test_update_needs_the_update_type(sumo):
    created = create(sumo, monitor_body())
    response = sumo.session().put(
        f"{sumo.api_url}/v1/monitors/{created['id']}", json=monitor_body(type="MonitorsLibraryMonitor", version=0)
    )
    assert response.status_code == 400
    assert "MonitorsLibraryMonitorUpdate" in response.text


def test_delete_answers_204_and_the_monitor_is_gone(sumo):
    created = create(sumo, monitor_body())
    session = sumo.session()
    deleted = session.delete(f"{sumo.api_url}/v1/monitors/{created['id']}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    missing = session.get(f"{sumo.api_url}/v1/monitors/{created['id']}")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "content:not_found"


def test_bulk_delete_removes_folders_with_their_contents(sumo):
    team = create(sumo, folder("Team"))
    monitor = create(sumo, monitor_body(), parent_id=team["id"])
    other = create(sumo, monitor_body(name="other"))
    removed = sumo.sdk().delete(f"/monitors?ids={team['id']},{other['id']}").json()
    assert set(removed) == {team["id"], other["id"]}
    session = sumo.session()
    assert session.get(f"{sumo.api_url}/v1/monitors/{monitor['id']}").status_code == 404


def test_bulk_delete_with_an_unknown_id_deletes_nothing(sumo):
    kept = create(sumo, monitor_body())
    response = sumo.session().delete(f"{sumo.api_url}/v1/monitors?ids={kept['id']},00000000DEADBEEF")
    assert response.status_code == 404
    assert sumo.sdk().get(f"/monitors/{kept['id']}").json()["id"] == kept["id"]


def test_move_changes_the_parent_and_the_path(sumo):
    team = create(sumo, folder("Team"))
    monitor = create(sumo, monitor_body())
    moved = sumo.sdk().post(f"/monitors/{monitor['id']}/move?parentId={team['id']}", None).json()
    assert moved["parentId"] == team["id"]
    assert sumo.sdk().get(f"/monitors/{monitor['id']}/path").json()["path"] == "/Monitor/Team/api-data latency"


@pytest.mark.parametrize("name", ["a/b", " padded", ""])
def test_bad_names_are_rejected_with_the_field_named(sumo, name):
    response = sumo.session().post(f"{sumo.api_url}/v1/monitors?parentId={root_id(sumo)}", json=monitor_body(name=name))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "service.argument.invalid"
    assert "name" in error["message"]


def test_duplicate_name_in_a_folder_is_rejected(sumo):
    create(sumo, monitor_body())
    response = sumo.session().post(f"{sumo.api_url}/v1/monitors?parentId={root_id(sumo)}", json=monitor_body())
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "content:duplicate_content"


def test_same_name_in_another_folder_is_fine(sumo):
    team = create(sumo, folder("Team"))
    create(sumo, monitor_body())
    assert create(sumo, monitor_body(), parent_id=team["id"])["parentId"] == team["id"]


def test_resolved_trigger_needs_the_critical_time_range(sumo):
    triggers = logs_triggers()
    triggers[1]["timeRange"] = "-15m"
    response = sumo.session().post(
        f"{sumo.api_url}/v1/monitors?parentId={root_id(sumo)}", json=monitor_body(triggers=triggers)
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "monitors:unsupported_trigger_time_range"
    assert error["detail"] == "ResolvedCritical trigger must have the same time range as Critical trigger's time range."


def test_equivalent_time_ranges_are_accepted_and_returned_negative(sumo):
    triggers = logs_triggers(time_range="60m")
    triggers[1]["timeRange"] = "1h"
    created = create(sumo, monitor_body(triggers=triggers))
    assert [trigger["timeRange"] for trigger in created["triggers"]] == ["-60m", "-1h"]


def test_unsupported_time_range_is_rejected(sumo):
    response = sumo.session().post(
        f"{sumo.api_url}/v1/monitors?parentId={root_id(sumo)}",
        json=monitor_body(triggers=logs_triggers(time_range="-7m")),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "monitors:unsupported_trigger_time_range"


def test_unknown_parent_is_rejected(sumo):
    response = sumo.session().post(f"{sumo.api_url}/v1/monitors?parentId=00000000DEADBEEF", json=monitor_body())
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "content:parent_not_found"


def test_notification_must_name_an_existing_connection(sumo):
    body = monitor_body(notifications=[webhook_notification("00000000DEADBEEF", ["Critical"])])
    response = sumo.session().post(f"{sumo.api_url}/v1/monitors?parentId={root_id(sumo)}", json=body)
    assert response.status_code == 400
    assert "00000000DEADBEEF" in response.json()["errors"][0]["detail"]


def test_notification_trigger_types_must_exist_on_the_monitor(sumo):
    connection = sumo.sdk().post("/connections", connection_body()).json()
    body = monitor_body(notifications=[webhook_notification(connection["id"], ["Critical", "MissingData"])])
    response = sumo.session().post(f"{sumo.api_url}/v1/monitors?parentId={root_id(sumo)}", json=body)
    assert response.status_code == 400
    assert "MissingData" in response.json()["errors"][0]["detail"]


def test_malformed_id_is_rejected(sumo):
    response = sumo.session().get(f"{sumo.api_url}/v1/monitors/not-an-id")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Object ID must be a valid hexadecimal string."


def test_root_cannot_be_deleted(sumo):
    response = sumo.session().delete(f"{sumo.api_url}/v1/monitors/{root_id(sumo)}")
    assert response.status_code == 400


def test_non_json_body_is_refused_with_415(sumo):
    response = requests.post(
        f"{sumo.api_url}/v1/monitors?parentId={root_id(sumo)}",
        data="name=x",
        auth=("local-sumo-access-id", "local-sumo-access-key"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "contenttype.invalid"


def test_unknown_api_path_is_a_404_error_response(sumo):
    response = sumo.session().get(f"{sumo.api_url}/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "notfound"


def test_notification_type_must_fit_the_connection_webhook_type(sumo):
    connection = sumo.sdk().post("/connections", connection_body(webhookType="AWSLambda")).json()
    wrong = monitor_body(notifications=[webhook_notification(connection["id"], ["Critical"])])
    response = sumo.session().post(f"{sumo.api_url}/v1/monitors?parentId={root_id(sumo)}", json=wrong)
    assert response.status_code == 400
    assert "expected 'AWSLambda'" in response.json()["errors"][0]["detail"]
    right = monitor_body(
        notifications=[
            {
                "notification": {"connectionType": "AWSLambda", "connectionId": connection["id"]},
                "runForTriggerTypes": ["Critical"],
            }
        ]
    )
    assert create(sumo, right)["notifications"][0]["notification"]["connectionType"] == "AWSLambda"


def test_folder_update_renames_it_and_moves_the_paths_below(sumo):
    team = create(sumo, folder("Team"))
    monitor = create(sumo, monitor_body(), parent_id=team["id"])
    update = {"type": "MonitorsLibraryFolderUpdate", "name": "Platform", "description": "", "version": 0}
    renamed = sumo.sdk().put(f"/monitors/{team['id']}", update).json()
    assert renamed["name"] == "Platform" and renamed["version"] == 1
    assert sumo.sdk().get(f"/monitors/{monitor['id']}/path").json()["path"] == "/Monitor/Platform/api-data latency"


def test_read_by_ids_can_skip_children(sumo):
    team = create(sumo, folder("Team"))
    create(sumo, monitor_body(), parent_id=team["id"])
    read = sumo.sdk().get(f"/monitors?ids={team['id']}&skipChildren=true").json()
    assert "children" not in read[team["id"]]


def test_a_provider_style_body_with_empty_strings_and_read_only_fields_is_accepted(sumo):
    connection = sumo.sdk().post("/connections", connection_body()).json()
    body = monitor_body(
        notifications=[
            {
                "notification": {
                    "connectionType": "Webhook",
                    "connectionId": connection["id"],
                    "actionType": "NamedConnectionAction",
                    "payloadOverride": "",
                },
                "runForTriggerTypes": ["Critical", "ResolvedCritical"],
            }
        ],
        parentId="",
        contentType="Monitor",
        createdAt="",
        timeZone="",
        alertName="",
        evaluationDelay="",
        playbook="",
    )
    for trigger in body["triggers"]:
        trigger.update({"occurrenceType": "", "triggerSource": "", "resolutionWindow": "", "minDataPoints": 0})
    created = create(sumo, body)
    assert created["evaluationDelay"] == "0m"
    assert "timeZone" not in created and "alertName" not in created
    assert created["notifications"][0]["notification"] == {
        "connectionType": "Webhook",
        "connectionId": connection["id"],
    }


def test_wrong_method_is_405(sumo):
    response = sumo.session().patch(f"{sumo.api_url}/v1/monitors/root")
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method.unsupported"
