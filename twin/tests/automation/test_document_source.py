"""InMemoryDocumentSource: versions, $DEFAULT, $LATEST and AWS's not-found errors."""

from __future__ import annotations

import pytest

from emulator.automation import AutomationError, InMemoryDocumentSource

ONE_STEP = "schemaVersion: '0.3'\nmainSteps:\n  - {name: rest, action: aws:sleep, inputs: {Duration: PT%dS}}\n"


def test_versions_default_and_latest_resolve():
    source = InMemoryDocumentSource()
    assert source.put_document("Rest", ONE_STEP % 1) == "1"
    assert source.put_document("Rest", ONE_STEP % 2) == "2"

    assert source.get_document("Rest", None) == (ONE_STEP % 1, "YAML", "1")
    assert source.get_document("Rest", "$LATEST")[2] == "2"
    source.set_default_version("Rest", "2")
    assert source.get_document("Rest", "$DEFAULT") == (ONE_STEP % 2, "YAML", "2")
    assert source.get_document("Rest", "1")[0] == ONE_STEP % 1


def test_unknown_documents_and_versions_raise_aws_errors():
    source = InMemoryDocumentSource()
    source.put_document("Rest", ONE_STEP % 1)

    with pytest.raises(AutomationError) as missing:
        source.get_document("Nope", None)
    with pytest.raises(AutomationError) as missing_version:
        source.get_document("Rest", "7")

    assert missing.value.code == "AutomationDefinitionNotFoundException"
    assert missing_version.value.code == "AutomationDefinitionVersionNotFoundException"
    assert "versions are 1 to 1" in missing_version.value.message


def test_invalid_documents_are_refused_when_stored():
    with pytest.raises(AutomationError) as raised:
        InMemoryDocumentSource().put_document("Bad", "schemaVersion: '0.3'\nmainSteps: []\n")

    assert raised.value.code == "InvalidDocumentContent"
