"""Options every Sumo Logic module of this collection shares: which deployment to call and with which keys."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  deployment:
    description:
      - Sumo Logic deployment whose API to call; V(us1) is C(https://api.sumologic.com/api), the others
        C(https://api.<deployment>.sumologic.com/api).
      - Mutually exclusive with O(endpoint); one of the two is required.
    type: str
    choices: [au, ca, ch, de, eu, fed, in, jp, kr, us1, us2]
  endpoint:
    description:
      - Explicit API base URL ending in C(/api), such as C(https://api.us2.sumologic.com/api) or a local Sumo Logic
        like C(http://127.0.0.1:4567/api). Mutually exclusive with O(deployment).
    type: str
  access_id:
    description: Sumo Logic access id. Defaults to the environment variable E(SUMO_ACCESS_ID).
    type: str
    required: true
  access_key:
    description: Sumo Logic access key. Defaults to the environment variable E(SUMO_ACCESS_KEY). Never logged.
    type: str
    required: true
notes:
  - HTTP 429 answers are retried with exponential backoff and jitter, at most 6 attempts in all.
  - Errors quote Sumo Logic's error code, message and request id.
"""
