"""Connections API v1: create, read masked, list with pages, update, delete with type, test."""

from __future__ import annotations

import re

from tests.sumo.bodies import connection_body, monitor_body, webhook_notification

MASK = "********"


def test_created_connection_is_a_webhook_connection_with_its_auth_header_masked(sumo):
    created = sumo.sdk().post("/connections", connection_body()).json()
    assert created["type"] == "WebhookConnection"
    assert re.match(r"^[0-9A-F]{16}$", created["id"])
    assert created["headers"] == [{"name": "Authorization", "value": MASK}]
    assert created["customHeaders"] == [{"name": "X-Team", "value": "ops"}]
    assert created["webhookType"] == "Webhook"
    fetched = sumo.sdk().get(f"/connections/{created['id']}").json()
    assert fetched["headers"][0]["value"] == MASK
    assert "s3cret-token" not in sumo.session().get(f"{sumo.api_url}/v1/connections").text


def test_payloads_are_stored_verbatim(sumo):
    payload = '{"name": "{{Name}}"}\n'
    created = sumo.sdk().post("/connections", connection_body(defaultPayload=payload)).json()
    assert sumo.sdk().get(f"/connections/{created['id']}").json()["defaultPayload"] == payload


def test_list_pages_with_limit_and_token(sumo):
    ids = [sumo.sdk().post("/connections", connection_body(name=f"hook-{n}")).json()["id"] for n in range(3)]
    first = sumo.sdk().get("/connections", params={"limit": 2}).json()
    assert [c["id"] for c in first["data"]] == ids[:2]
    second = sumo.sdk().get("/connections", params={"limit": 2, "token": first["next"]}).json()
    assert [c["id"] for c in second["data"]] == ids[2:]
    assert second["next"] is None


def test_update_keeps_a_masked_secret_and_replaces_the_rest(sumo, receiver):
    created = sumo.sdk().post("/connections", connection_body(url=receiver.url)).json()
    update = connection_body(url=receiver.url, description="changed")
    update["headers"] = [{"name": "Authorization", "value": MASK}]
    updated = sumo.sdk().put(f"/connections/{created['id']}", update).json()
    assert updated["description"] == "changed"
    sumo.sdk().post(f"/connections/test?connectionId={created['id']}", update)
    assert receiver.wait_for(1)[0]["headers"]["Authorization"] == "Bearer s3cret-token"


def test_delete_needs_the_type_and_answers_204(sumo):
    created = sumo.sdk().post("/connections", connection_body()).json()
    session = sumo.session()
    url = f"{sumo.api_url}/v1/connections/{created['id']}"
    without_type = session.delete(url)
    assert without_type.status_code == 400
    deleted = session.delete(url, params={"type": "WebhookConnection"})
    assert deleted.status_code == 204
    missing = session.get(url)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["message"] == "Connection with given ID does not exist."


def test_connection_used_by_a_monitor_cannot_be_deleted(sumo):
    connection = sumo.sdk().post("/connections", connection_body()).json()
    root = sumo.sdk().get("/monitors/root").json()["id"]
    body = monitor_body(notifications=[webhook_notification(connection["id"], ["Critical"])])
    sumo.sdk().post(f"/monitors?parentId={root}", body)
    response = sumo.session().delete(
        f"{sumo.api_url}/v1/connections/{connection['id']}", params={"type": "WebhookConnection"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "connection:in_use"


def test_duplicate_connection_name_is_rejected(sumo):
    sumo.sdk().post("/connections", connection_body())
    response = sumo.session().post(f"{sumo.api_url}/v1/connections", json=connection_body())
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "connection:duplicate_name"


def test_payload_that_is_not_json_is_rejected(sumo):
    response = sumo.session().post(f"{sumo.api_url}/v1/connections", json=connection_body(defaultPayload="{oops"))
    assert response.status_code == 400
    assert "defaultPayload" in response.json()["errors"][0]["detail"]


def test_unsupported_variables_come_back_as_warnings(sumo):
    created = sumo.sdk().post("/connections", connection_body(defaultPayload='{"x": "{{NotAVariable}}"}')).json()
    assert created["warnings"] == ["The following variables are not supported: NotAVariable"]


def test_non_loopback_url_must_use_the_standard_port(sumo):
    response = sumo.session().post(
        f"{sumo.api_url}/v1/connections", json=connection_body(url="https://hooks.example.com:8443/x")
    )
    assert response.status_code == 400
    assert "443" in response.json()["errors"][0]["detail"]


def test_loopback_url_may_use_any_port(sumo):
    created = sumo.sdk().post("/connections", connection_body(url="http://127.0.0.1:65000/hook")).json()
    assert created["url"] == "http://127.0.0.1:65000/hook"


def test_connection_test_posts_both_payloads_and_reports_the_answers(sumo, receiver):
    body = connection_body(url=receiver.url)
    result = sumo.sdk().post("/connections/test?functionalities=alert,resolution", body).json()
    assert result["alertStatusCode"] == 200 and result["resolutionStatusCode"] == 200
    assert result["statusCode"] == 200 and result["responseContent"] == "received"
    received = receiver.wait_for(2)
    assert [entry["json"]["type"] for entry in received] == ["Critical", "ResolvedCritical"]
    assert received[1]["json"]["resolved"] is True
    assert received[0]["headers"]["X-Team"] == "ops"
    # Only what the connection configures: Sumo documents no Content-Type of its own (ledger: "Webhook requests").
    assert "Content-Type" not in received[0]["headers"]


def test_connection_test_against_nothing_reports_status_zero(sumo):
    result = sumo.sdk().post("/connections/test", connection_body(url="http://127.0.0.1:9/closed")).json()
    assert result["statusCode"] == 0
    assert "ConnectionError" in result["responseContent"]


def test_only_webhook_connections_exist(sumo):
    created = sumo.sdk().post("/connections", connection_body()).json()
    response = sumo.session().get(
        f"{sumo.api_url}/v1/connections/{created['id']}", params={"type": "ServiceNowConnection"}
    )
    assert response.status_code == 404
    service_now = sumo.session().post(
        f"{sumo.api_url}/v1/connections",
        json={
            "type": "ServiceNowDefinition",
            "name": "sn",
            "url": "https://x.example",
            "username": "u",
            "password": "p",
        },
    )
    assert service_now.status_code == 400
