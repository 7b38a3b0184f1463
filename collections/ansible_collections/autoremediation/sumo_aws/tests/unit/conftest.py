"""Make the in-repo collection importable as ansible_collections.autoremediation.sumo_aws for pytest."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/unit -> sumo_aws -> autoremediation -> ansible_collections -> collections
COLLECTIONS_ROOT = Path(__file__).resolve().parents[5]
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))
