"""Bearer-secret check for the webhook, constant-time, with no hint about why a caller was refused."""

from __future__ import annotations

import hmac


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive), else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


def is_authorized(authorization: str | None, expected_secret: str) -> bool:
    """True only for the exact secret; an empty configured secret admits nobody."""
    token = bearer_token(authorization)
    if token is None or not expected_secret:
        return False
    # Bytes, because compare_digest refuses non-ASCII str, and a caller must not be able to tell that from a mismatch.
    return hmac.compare_digest(token.encode("utf-8", "surrogatepass"), expected_secret.encode("utf-8"))
