"""EBS volumes encrypted with a customer-managed KMS key, and the start that fails when EC2 may not use the key.

On AWS, starting an instance whose volumes use a customer-managed key needs `kms:CreateGrant` on that key for the
principal that calls StartInstances: EC2 creates the grant on its behalf (the call comes "via" EC2, so
`kms:ViaService` is `ec2.<region>.amazonaws.com`, and the grant is for an AWS resource). Without it the StartInstances
call succeeds, the instance goes `pending`, and then `stopped` with the state reason
`Client.InternalError: Client error on launch` (AWS re:Post knowledge center, kms-iam-ec2-permission).

moto knows no such thing, so the twin adds it:
- `POST /_twin/ec2/volume-encryption` `{"instance_id": "i-...", "kms_key_arn": "arn:aws:kms:...:key/..."}`
  (`CustomerManagedKeys.encrypt`) marks every EBS volume attached to the instance as encrypted with that key
  (DescribeVolumes then shows `Encrypted` and `KmsKeyId`), and remembers the key as customer-managed;
- `launch_failure` is the EC2 lifecycle's launch check: a start of such an instance completes only when the calling
  role's IAM policies allow `kms:CreateGrant` on the key ARN (iam_policies.py), with the condition keys EC2's call
  carries. A caller that is not a role session (callers.py: no key, the twin's default key, an IAM user) cannot be
  shown to have the permission, so its start fails: the stricter reading.

Not modelled: the key's own key policy (AWS's default key policy defers to IAM, which is what the twin checks),
whether the key exists, is enabled or is pending deletion (`Client.InvalidKMSKey.InvalidState` on AWS), and volumes
attached after the call.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from moto.ec2.exceptions import InvalidInstanceIdError
from moto.ec2.models.instances import Instance
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

from emulator.aws.callers import calling_role_arn
from emulator.aws.ec2_lifecycle import LaunchFailure
from emulator.aws.iam_policies import AuthorizationRequest, role_allows

# What EC2 reports for a start it could not complete for want of the key (AWS re:Post, kms-iam-ec2-permission).
CLIENT_ERROR_ON_LAUNCH = LaunchFailure(
    code="Client.InternalError",
    message="Client.InternalError: Client error on launch",
    transition_reason="Client.InternalError: Client error on launch",
)
_INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
# A key ARN (not an alias): key ids are UUIDs, or mrk- and 32 hex digits for a multi-Region key.
_KMS_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:(?P<region>[a-z]{2}(-[a-z]+)+-[0-9]):(?P<account>[0-9]{12}):"
    r"key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)
_FIELDS = ("instance_id", "kms_key_arn")


class VolumeEncryptionRequestError(ValueError):
    """A request the twin cannot follow; `field` names the part that is wrong and `status` the HTTP status."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class EncryptedVolumes:
    instance_id: str
    kms_key_arn: str
    volume_ids: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "kms_key_arn": self.kms_key_arn, "volume_ids": list(self.volume_ids)}


class CustomerManagedKeys:
    """The instances whose EBS volumes the twin was told use a customer-managed key, and the key of each."""

    def __init__(self, account_id: str, region: str) -> None:
        self._account_id = account_id
        self._region = region
        self._lock = threading.Lock()
        self._key_of_instance: dict[str, str] = {}

    def encrypt(self, ec2_backend: Any, request: Any) -> EncryptedVolumes:
        """Mark every EBS volume of the instance `request` names as encrypted with its customer-managed key."""
        instance_id, kms_key_arn = self._parse(request)
        instance = _instance(ec2_backend, instance_id)
        volumes = [ec2_backend.get_volume(device.volume_id) for _name, device in instance.get_block_device_mapping]
        if not volumes:
            raise VolumeEncryptionRequestError("instance_id", f"instance {instance_id} has no EBS volume attached")
        for volume in volumes:
            volume.encrypted = True
            volume.kms_key_id = kms_key_arn
        with self._lock:
            self._key_of_instance[instance_id] = kms_key_arn
        return EncryptedVolumes(instance_id, kms_key_arn, sorted(volume.id for volume in volumes))

    def launch_failure(self, instance: Instance) -> LaunchFailure | None:
        """The EC2 lifecycle's launch check: why this start will fail, or None when it may complete."""
        with self._lock:
            kms_key_arn = self._key_of_instance.get(instance.id)
        if kms_key_arn is None or self._caller_may_grant(kms_key_arn):
            return None
        return CLIENT_ERROR_ON_LAUNCH

    def _caller_may_grant(self, kms_key_arn: str) -> bool:
        """The role that called StartInstances may let EC2 create a grant on the key (False for any other caller)."""
        role_arn = calling_role_arn(self._region)
        if role_arn is None:
            return False
        role_account = role_arn.split(":")[4]
        grant = AuthorizationRequest(
            action="kms:CreateGrant",
            resource=kms_key_arn,
            context={
                "kms:ViaService": f"ec2.{self._region}.amazonaws.com",
                "kms:GrantIsForAWSResource": "true",
                "kms:CallerAccount": role_account,
            },
        )
        return role_allows(iam_backends[role_account][get_partition(self._region)], role_arn, grant)

    def _parse(self, request: Any) -> tuple[str, str]:
        if not isinstance(request, dict):
            raise VolumeEncryptionRequestError(
                "body", f"expected a JSON object with instance_id and kms_key_arn, got {request!r:.80}"
            )
        unknown = sorted(set(request) - set(_FIELDS))
        if unknown:
            raise VolumeEncryptionRequestError(
                unknown[0], f"unknown field {unknown[0]!r}; expected 'instance_id' and 'kms_key_arn'"
            )
        instance_id, kms_key_arn = request.get("instance_id"), request.get("kms_key_arn")
        if not isinstance(instance_id, str) or not _INSTANCE_ID.match(instance_id):
            raise VolumeEncryptionRequestError(
                "instance_id", f"instance_id must look like i-0123456789abcdef0, got {instance_id!r}"
            )
        match = _KMS_KEY_ARN.match(kms_key_arn) if isinstance(kms_key_arn, str) else None
        if match is None:
            raise VolumeEncryptionRequestError(
                "kms_key_arn",
                "kms_key_arn must be a KMS key ARN such as "
                f"arn:aws:kms:{self._region}:{self._account_id}:key/1234abcd-12ab-34cd-56ef-1234567890ab, "
                f"got {kms_key_arn!r}",
            )
        if match.group("region") != self._region:
            raise VolumeEncryptionRequestError(
                "kms_key_arn",
                f"an EBS volume in {self._region} can only use a key in {self._region}, got {kms_key_arn}",
            )
        return instance_id, kms_key_arn


def _instance(ec2_backend: Any, instance_id: str) -> Instance:
    try:
        instance = ec2_backend.get_instance(instance_id)
    except InvalidInstanceIdError:
        raise VolumeEncryptionRequestError(
            "instance_id", f"no instance {instance_id} in {ec2_backend.region_name}", 404
        ) from None
    if instance.state in ("shutting-down", "terminated"):
        raise VolumeEncryptionRequestError("instance_id", f"instance {instance_id} is {instance.state}")
    return instance
