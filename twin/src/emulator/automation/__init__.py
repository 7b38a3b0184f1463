"""SSM Automation engine: runs schema 0.3 runbooks as AWS does, usable as a library without any server.

`AutomationService` exposes one method per SSM Automation API (StartAutomationExecution, GetAutomationExecution, ...);
an HTTP front only translates the wire protocol.
"""

from emulator.automation.automation_service import AutomationService, TokenReuse
from emulator.automation.document import AutomationDocument, StepDefinition, validate_document
from emulator.automation.document_source import DocumentSource, InMemoryDocumentSource
from emulator.automation.errors import AutomationError

__all__ = [
    "AutomationDocument",
    "AutomationError",
    "AutomationService",
    "DocumentSource",
    "InMemoryDocumentSource",
    "StepDefinition",
    "TokenReuse",
    "validate_document",
]
