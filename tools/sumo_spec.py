"""Where this repository finds Sumo Logic's published OpenAPI spec, for the twin to validate our requests with.

The twin reads the spec SUMO_OPENAPI_SPEC names and otherwise falls back to its compact schema. Our tests, the demo
and `make twin-up` give it the reference copy beside the repository (../shared/reference/sumologic-api.yaml, where CI
lays it out) unless SUMO_OPENAPI_SPEC already names one.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_SPEC = REPO_ROOT.parent / "shared" / "reference" / "sumologic-api.yaml"
SPEC_VARIABLE = "SUMO_OPENAPI_SPEC"


def use_reference_spec(environment: dict[str, str] | os._Environ[str] = os.environ) -> Path | None:
    """Point SUMO_OPENAPI_SPEC at the reference spec when it is unset and the file is there; the spec in use."""
    if not environment.get(SPEC_VARIABLE) and REFERENCE_SPEC.is_file():
        environment[SPEC_VARIABLE] = str(REFERENCE_SPEC)
    configured = environment.get(SPEC_VARIABLE)
    return Path(configured) if configured else None


if __name__ == "__main__":
    print(use_reference_spec() or "")
