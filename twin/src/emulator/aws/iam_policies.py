"""Whether a role's IAM policies allow one request: enough of IAM's policy evaluation for the twin's own checks.

moto does not enforce IAM by default, and its evaluator ignores conditions it does not know. The twin checks IAM
only where AWS's outcome depends on it without an API error to show for it (a start that EC2 accepts and then
cannot complete, see ebs_encryption.py), and there it takes the stricter reading of anything it cannot evaluate:

- an explicit Deny in any policy wins; otherwise some Allow must match, in the identity policies (inline and
  attached) and, when the role has one, in its permissions boundary too;
- Action/NotAction match case-insensitively and Resource/NotResource case-sensitively, with `*` and `?` wildcards;
- conditions: the String*, Bool and Arn* operators (with `IfExists`), each key ANDed and each value ORed, keys
  compared case-insensitively; a key missing from the request fails a positive operator and passes a negated one,
  as IAM documents. An operator the twin does not know (`ForAnyValue:…`, `Numeric…`, `Date…`, …) can never be met:
  an Allow that carries one does not allow, and a Deny that carries one denies.

Not modelled: session policies, resource (key) policies, service control policies and policy variables.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from moto.iam.models import IAMBackend, Role

# Operators the twin evaluates, without an IfExists suffix; the value is whether it is a negated operator.
_STRING_OPERATORS = {
    "StringEquals": False,
    "StringNotEquals": True,
    "StringEqualsIgnoreCase": False,
    "StringNotEqualsIgnoreCase": True,
    "StringLike": False,
    "StringNotLike": True,
    "ArnEquals": False,
    "ArnNotEquals": True,
    "ArnLike": False,
    "ArnNotLike": True,
    "Bool": False,
}


@dataclass(frozen=True)
class AuthorizationRequest:
    """One action on one resource, with the condition keys the request carries (names in any case)."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)

    def context_value(self, key: str) -> str | None:
        lowered = key.lower()
        return next((value for name, value in self.context.items() if name.lower() == lowered), None)


def role_allows(iam: IAMBackend, role_arn: str, request: AuthorizationRequest) -> bool:
    """Whether the role `role_arn` (in `iam`) may make `request`; False for a role IAM does not have."""
    role = next((candidate for candidate in iam.get_roles() if candidate.arn == role_arn), None)
    if role is None:
        return False
    if not documents_allow(identity_policies(role), request):
        return False
    boundary_arn = role.permissions_boundary_arn
    if not boundary_arn:
        return True
    boundary = iam.managed_policies.get(boundary_arn)
    return boundary is not None and documents_allow([_default_version_document(boundary)], request)


def identity_policies(role: Role) -> list[Any]:
    """The role's inline policies and the default versions of its attached managed policies, parsed."""
    inline = [_parsed(document) for document in role.policies.values()]
    attached = [_default_version_document(policy) for policy in role.managed_policies.values()]
    return inline + attached


def documents_allow(documents: Iterable[Any], request: AuthorizationRequest) -> bool:
    """IAM's rule: no statement denies, and at least one allows."""
    statements = [statement for document in documents for statement in _statements(document)]
    if any(_denies(statement, request) for statement in statements):
        return False
    return any(_allows(statement, request) for statement in statements)


def _default_version_document(policy: Any) -> Any:
    version = next((version for version in policy.versions if version.is_default), None)
    return _parsed(version.document) if version is not None else {}


def _parsed(document: Any) -> Any:
    if not isinstance(document, str):
        return document
    try:
        return json.loads(document)
    except ValueError:
        try:
            return json.loads(unquote(document))
        except ValueError:
            return {}


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    statements = [statements] if isinstance(statements, dict) else statements
    return [statement for statement in statements if isinstance(statement, dict)]


def _allows(statement: dict[str, Any], request: AuthorizationRequest) -> bool:
    return (
        statement.get("Effect") == "Allow" and _concerns(statement, request) and _conditions(statement, request) is True
    )


def _denies(statement: dict[str, Any], request: AuthorizationRequest) -> bool:
    # A condition the twin cannot evaluate (None) counts as met: the stricter reading of a Deny.
    return (
        statement.get("Effect") == "Deny"
        and _concerns(statement, request)
        and _conditions(statement, request) is not False
    )


def _concerns(statement: dict[str, Any], request: AuthorizationRequest) -> bool:
    """The statement names the request's action and resource (through Action/NotAction, Resource/NotResource)."""
    action = _element_matches(statement, "Action", request.action, ignore_case=True)
    resource = _element_matches(statement, "Resource", request.resource, ignore_case=False)
    return action and resource


def _element_matches(statement: dict[str, Any], element: str, value: str, *, ignore_case: bool) -> bool:
    if element in statement:
        return any(_wildcard_match(pattern, value, ignore_case) for pattern in _as_list(statement[element]))
    negated = f"Not{element}"
    if negated in statement:
        return not any(_wildcard_match(pattern, value, ignore_case) for pattern in _as_list(statement[negated]))
    return False


def _conditions(statement: dict[str, Any], request: AuthorizationRequest) -> bool | None:
    """True when every condition is met, False when one is not, None when one cannot be evaluated here."""
    conditions = statement.get("Condition") or {}
    if not isinstance(conditions, dict):
        return None
    results = [_condition(operator, keys, request) for operator, keys in conditions.items()]
    if False in results:
        return False
    return None if None in results else True


def _condition(operator: str, keys: Any, request: AuthorizationRequest) -> bool | None:
    base, if_exists = (operator[: -len("IfExists")], True) if operator.endswith("IfExists") else (operator, False)
    if base not in _STRING_OPERATORS or not isinstance(keys, dict):
        return None
    negated = _STRING_OPERATORS[base]
    for key, expected in keys.items():
        actual = request.context_value(key)
        if actual is None:
            met = if_exists or negated
        else:
            matched = any(_operator_matches(base, str(value), actual) for value in _as_list(expected))
            met = not matched if negated else matched
        if not met:
            return False
    return True


def _operator_matches(operator: str, expected: str, actual: str) -> bool:
    positive = operator.replace("Not", "", 1)
    if positive in ("StringEquals", "ArnEquals"):
        return expected == actual
    if positive == "StringEqualsIgnoreCase":
        return expected.lower() == actual.lower()
    if positive in ("StringLike", "ArnLike"):
        return _wildcard_match(expected, actual, ignore_case=False)
    return expected.lower() == actual.lower()  # Bool: "true" / "false"


def _wildcard_match(pattern: Any, value: str, ignore_case: bool) -> bool:
    if not isinstance(pattern, str):
        pattern = json.dumps(pattern) if isinstance(pattern, bool) else str(pattern)
    translated = fnmatch.translate(pattern.replace("[", "[[]"))
    return re.match(translated, value, re.IGNORECASE if ignore_case else 0) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
