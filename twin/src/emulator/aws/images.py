"""Images that appear while the twin runs: Amazon publishes a newer AL2023 (or Amazon Linux 2) image every few weeks.

moto's image list is fixed when it starts, so a deployment that picks "the newest image matching a pattern" always
picks the same one here, and never meets what happens on AWS the week after: the pattern names another image. A
deployment that looks its instance up by image then launches a second instance beside the first.

`publish_image` adds an available, public, Amazon-owned image whose creation date is the twin's virtual now (and at
least a second after every image already listed), copying the architecture, virtualization and root device of an
existing image (`based_on`) the way a new build of the same line would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.ec2.models.amis import Ami
from moto.ec2.utils import random_ami_id

AMAZON_OWNER_ID = "137112412989"
# AMI names: 3 to 128 characters of letters, digits, ( ) [ ] space . / - ' @ _ (EC2 API reference, CreateImage).
_IMAGE_NAME = re.compile(r"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")
_IMAGE_ID = re.compile(r"^ami-[0-9a-f]{8}([0-9a-f]{9})?$")


class ImageRequestError(ValueError):
    """A publish request the twin cannot follow; `field` names the part that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PublishedImage:
    image_id: str
    name: str
    creation_date: str

    def as_dict(self) -> dict[str, Any]:
        return {"image_id": self.image_id, "name": self.name, "creation_date": self.creation_date}


def publish_image(ec2_backend: Any, request: Any, now: float) -> PublishedImage:
    """Add the image `request` ({"name": ..., "based_on": "ami-..."}) describes to `ec2_backend`, as Amazon's."""
    name, template = _parse(ec2_backend, request)
    if any(image.name == name for image in ec2_backend.amis.values()):
        raise ImageRequestError("name", f"an image named {name!r} already exists")
    newest = max((image.creation_date for image in ec2_backend.amis.values() if image.creation_date), default=None)
    created = datetime.fromtimestamp(now, tz=UTC).replace(tzinfo=None)
    if newest is not None and created <= _naive(newest):
        created = _naive(newest) + timedelta(seconds=1)
    image = Ami(
        ec2_backend,
        ami_id=random_ami_id(),
        source_ami=template,
        name=name,
        description=f"{name} (published by the twin)",
        owner_id=AMAZON_OWNER_ID,
        owner_alias="amazon",
        public=True,
        root_device_type=template.root_device_type,
        root_device_name=template.root_device_name,
        creation_date=created,
        region_name=ec2_backend.region_name,
    )
    ec2_backend.amis[image.id] = image
    return PublishedImage(image.id, name, created.strftime("%Y-%m-%dT%H:%M:%S.000Z"))


def _parse(ec2_backend: Any, request: Any) -> tuple[str, Ami]:
    if not isinstance(request, dict):
        raise ImageRequestError("body", f"expected a JSON object with name and based_on, got {request!r:.80}")
    unknown = sorted(set(request) - {"name", "based_on"})
    if unknown:
        raise ImageRequestError(unknown[0], f"unknown field {unknown[0]!r}; expected 'name' and 'based_on'")
    name, based_on = request.get("name"), request.get("based_on")
    if not isinstance(name, str) or not _IMAGE_NAME.match(name):
        raise ImageRequestError("name", f"name must be an AMI name of 3 to 128 characters, got {name!r}")
    if not isinstance(based_on, str) or not _IMAGE_ID.match(based_on):
        raise ImageRequestError("based_on", f"based_on must be an image id such as ami-04681a1d, got {based_on!r}")
    template = ec2_backend.amis.get(based_on)
    if template is None:
        raise ImageRequestError("based_on", f"no image {based_on} in {ec2_backend.region_name}")
    return name, template


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
