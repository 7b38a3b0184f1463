"""Who made the AWS request the twin is answering: the access key it was signed with, and the role behind that key.

The front (server.py) notes the access key of each request it hands to moto (`signed_with`); code that runs inside
moto's handling of that request, such as the EC2 lifecycle hooks, asks which role made it (`calling_role_arn`).
Credentials from STS AssumeRole name a role: the automation engine gets such credentials for a document's
`assumeRole` (clients.py), as SSM does. Any other key (the twin's default `testing`, an IAM user's) names no role.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from moto.iam.models import get_account_id_from
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

_access_key_id: ContextVar[str | None] = ContextVar("twin_request_access_key_id", default=None)


@contextlib.contextmanager
def signed_with(access_key_id: str | None) -> Iterator[None]:
    """While the block runs (in this thread), the request being answered was signed with `access_key_id`."""
    token = _access_key_id.set(access_key_id)
    try:
        yield
    finally:
        _access_key_id.reset(token)


def calling_access_key_id() -> str | None:
    return _access_key_id.get()


def calling_role_arn(region: str) -> str | None:
    """The ARN of the role whose session signed the request being answered, or None (no key, or not a role's)."""
    access_key_id = calling_access_key_id()
    return None if access_key_id is None else role_arn_of(access_key_id, region)


def role_arn_of(access_key_id: str, region: str) -> str | None:
    """The role an STS AssumeRole answered `access_key_id` for, or None for any other key."""
    account_id = get_account_id_from(access_key_id)
    session = sts_backends[account_id][get_partition(region)].get_assumed_role_from_access_key(access_key_id)
    return None if session is None else session.role_arn
