"""The monitors library: a tree of folders and monitors under /Monitor, with versions, paths and search.

Not thread-safe on its own; the backend serialises access.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from emulator.clock import Clock
from emulator.sumo.errors import SumoApiError, invalid_argument
from emulator.sumo.ids import is_object_id, new_object_id
from emulator.sumo.monitor_rules import ConnectionLookup, name_problem, normalize_monitor
from emulator.sumo.timefmt import rfc3339_ms

ROOT_ID = "0000000000000001"
ROOT_PARENT_ID = "0000000000000000"
ROOT_PATH = "/Monitor"
SYSTEM_USER_ID = "0000000000000000"
_CREATE_TYPES = {"MonitorsLibraryMonitor": "Monitor", "MonitorsLibraryFolder": "Folder"}
_UPDATE_TYPES = {"Monitor": "MonitorsLibraryMonitorUpdate", "Folder": "MonitorsLibraryFolderUpdate"}


@dataclass
class LibraryItem:
    """A folder or a monitor. `settings` holds a monitor's normalised configuration (empty for folders)."""

    id: str
    name: str
    description: str
    parent_id: str
    content_type: str
    created_at: float
    created_by: str
    modified_at: float
    modified_by: str
    version: int = 0
    is_system: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    # Set by the evaluator: the alert states the monitor is in, and why its query could not run.
    active_states: list[str] = field(default_factory=list)
    warnings: dict[str, str] | None = None

    @property
    def is_folder(self) -> bool:
        return self.content_type == "Folder"

    def status(self) -> list[str]:
        if not self.is_folder and self.settings.get("isDisabled"):
            return ["Disabled"]
        return list(self.active_states) or ["Normal"]


def not_found(object_id: str) -> SumoApiError:
    return SumoApiError.single(
        404, "content:not_found", "Content with the given ID does not exist.", f"No monitor or folder {object_id}."
    )


def _check_object_id(object_id: str) -> None:
    if not is_object_id(object_id):
        raise SumoApiError.single(
            400,
            "content:invalid_id",
            "Object ID must be a valid hexadecimal string.",
            f"{object_id!r} is not 16 hexadecimal digits",
        )


class MonitorsLibrary:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        now = clock.now()
        root = LibraryItem(
            id=ROOT_ID,
            name="Root",
            description="Root folder of the monitors library",
            parent_id=ROOT_PARENT_ID,
            content_type="Folder",
            created_at=now,
            created_by=SYSTEM_USER_ID,
            modified_at=now,
            modified_by=SYSTEM_USER_ID,
            is_system=True,
        )
        self._items: dict[str, LibraryItem] = {ROOT_ID: root}

    # --- reading ---------------------------------------------------------------------------------------------

    def get(self, object_id: str) -> LibraryItem:
        _check_object_id(object_id)
        item = self._items.get(object_id.upper())
        if item is None:
            raise not_found(object_id)
        return item

    def find(self, object_id: str) -> LibraryItem | None:
        """The object with this id, or None (no error)."""
        return self._items.get(object_id.upper())

    def get_many(self, object_ids: list[str]) -> list[LibraryItem]:
        if not object_ids:
            raise invalid_argument("ids must name at least one monitor or folder")
        if len(object_ids) > 1000:
            raise invalid_argument(f"ids names {len(object_ids)} objects; at most 1000 are allowed")
        return [self.get(object_id) for object_id in object_ids]

    def children(self, folder_id: str) -> list[LibraryItem]:
        return sorted(
            (item for item in self._items.values() if item.parent_id == folder_id and item.id != ROOT_ID),
            key=lambda item: (item.content_type != "Folder", item.name),
        )

    def monitors(self) -> list[LibraryItem]:
        return [item for item in self._items.values() if not item.is_folder]

    def path_of(self, item: LibraryItem) -> str:
        names = [part.name for part in self._ancestry(item)[1:]]
        return "/".join([ROOT_PATH, *names])

    def path_items(self, item: LibraryItem) -> list[dict[str, str]]:
        return [{"id": part.id, "name": part.name} for part in self._ancestry(item)]

    def _ancestry(self, item: LibraryItem) -> list[LibraryItem]:
        chain = [item]
        while chain[-1].id != ROOT_ID:
            chain.append(self._items[chain[-1].parent_id])
        return list(reversed(chain))

    def by_path(self, path: str) -> LibraryItem:
        if path.rstrip("/") == ROOT_PATH:
            return self._items[ROOT_ID]
        if not path.startswith(ROOT_PATH + "/"):
            raise SumoApiError.single(
                404,
                "content:not_found",
                "Content with the given path does not exist.",
                f"{path!r} is not under /Monitor",
            )
        current = self._items[ROOT_ID]
        for name in path.removeprefix(ROOT_PATH + "/").split("/"):
            match = next((child for child in self.children(current.id) if child.name == name), None)
            if match is None:
                raise SumoApiError.single(
                    404, "content:not_found", "Content with the given path does not exist.", f"No object at {path!r}"
                )
            current = match
        return current

    def search(self, query: str, limit: int, offset: int) -> list[LibraryItem]:
        """Free-text words (all must appear in the name or description, case-insensitive) and filters
        createdBy:, createdBefore:, createdAfter:, modifiedBefore:, modifiedAfter: (epoch ms), type:folder|monitor,
        monitorStatus:<status>|AllTriggered."""
        words: list[str] = []
        filters: list[tuple[str, str]] = []
        for token in query.split():
            key, separator, value = token.partition(":")
            if separator and key in _SEARCH_FILTERS:
                filters.append((key, value))
            else:
                words.append(token.lower())
        matches = []
        for item in sorted(self._items.values(), key=lambda entry: (self.path_of(entry), entry.id)):
            if item.id == ROOT_ID:
                continue
            text = f"{item.name} {item.description}".lower()
            if all(word in text for word in words) and all(_filter_matches(item, key, value) for key, value in filters):
                matches.append(item)
        return matches[offset : offset + limit]

    # --- writing ---------------------------------------------------------------------------------------------

    def create(self, parent_id: str, body: dict[str, Any], user_id: str, connections: ConnectionLookup) -> LibraryItem:
        parent = self._parent_folder(parent_id)
        kind = _CREATE_TYPES.get(body.get("type", ""))
        if kind is None:
            raise invalid_argument(
                f"type must be 'MonitorsLibraryMonitor' or 'MonitorsLibraryFolder' (got {body.get('type')!r})"
            )
        name = body.get("name")
        self._check_name(name, parent.id, exclude_id=None)
        settings = normalize_monitor(body, connections) if kind == "Monitor" else {}
        now = self._clock.now()
        item = LibraryItem(
            id=new_object_id(self._items),
            name=name,
            description=body.get("description") or "",
            parent_id=parent.id,
            content_type=kind,
            created_at=now,
            created_by=user_id,
            modified_at=now,
            modified_by=user_id,
            settings=settings,
        )
        self._items[item.id] = item
        return item

    def update(
        self, object_id: str, body: dict[str, Any], user_id: str, connections: ConnectionLookup
    ) -> tuple[LibraryItem, dict[str, Any]]:
        """Replace an object's settings; returns the item and its previous settings."""
        item = self.get(object_id)
        if item.is_system:
            raise SumoApiError.single(
                400, "content:system_content_immutable", "System content cannot be modified.", f"{item.id} is the root"
            )
        expected_type = _UPDATE_TYPES[item.content_type]
        if body.get("type") != expected_type:
            raise invalid_argument(
                f"type must be {expected_type!r} to update a {item.content_type.lower()} (got {body.get('type')!r})"
            )
        version = body.get("version")
        if version != item.version:
            raise SumoApiError.single(
                409,
                "monitors:version_mismatch",
                "The content version does not match its latest version in the monitors library.",
                f"version {version!r} is not the latest version {item.version} of {item.id}; read it again and retry",
            )
        self._check_name(body.get("name"), item.parent_id, exclude_id=item.id)
        settings = normalize_monitor(body, connections) if not item.is_folder else {}
        previous = copy.deepcopy(item.settings)
        item.name = body["name"]
        item.description = body.get("description") or ""
        item.settings = settings
        item.version += 1
        item.modified_at = self._clock.now()
        item.modified_by = user_id
        return item, previous

    def move(self, object_id: str, parent_id: str, user_id: str) -> LibraryItem:
        item = self.get(object_id)
        parent = self._parent_folder(parent_id)
        if item.is_system or any(part.id == item.id for part in self._ancestry(parent)):
            raise invalid_argument(f"{item.id} cannot be moved into {parent.id}, which is itself or inside it")
        self._check_name(item.name, parent.id, exclude_id=item.id)
        item.parent_id = parent.id
        item.version += 1
        item.modified_at = self._clock.now()
        item.modified_by = user_id
        return item

    def delete(self, object_ids: list[str]) -> list[LibraryItem]:
        """Delete objects and, for folders, everything inside; all ids are checked before anything is removed."""
        items = [self.get(object_id) for object_id in object_ids]
        for item in items:
            if item.is_system:
                raise SumoApiError.single(
                    400,
                    "content:system_content_immutable",
                    "System content cannot be deleted.",
                    f"{item.id} is the root",
                )
        removed: dict[str, LibraryItem] = {}
        for item in items:
            for doomed in self._subtree(item):
                removed[doomed.id] = doomed
        for doomed_id in removed:
            self._items.pop(doomed_id, None)
        return list(removed.values())

    def _subtree(self, item: LibraryItem) -> list[LibraryItem]:
        found = [item]
        for child in self.children(item.id):
            found.extend(self._subtree(child))
        return found

    def _parent_folder(self, parent_id: str) -> LibraryItem:
        if not parent_id:
            raise invalid_argument("parentId is required: the id of the folder to create the object in")
        parent = self._items.get(parent_id.upper()) if is_object_id(parent_id) else None
        if parent is None or not parent.is_folder:
            raise SumoApiError.single(
                400, "content:parent_not_found", "Parent object not found.", f"No monitors folder {parent_id!r}"
            )
        return parent

    def _check_name(self, name: Any, parent_id: str, exclude_id: str | None) -> None:
        problem = name_problem(name)
        if problem:
            raise invalid_argument(problem)
        # Strict: a name is unique among the folder's children (exact, case-sensitive), so a path names one object.
        for sibling in self.children(parent_id):
            if sibling.name == name and sibling.id != exclude_id:
                raise SumoApiError.single(
                    400,
                    "content:duplicate_content",
                    "A monitor or folder with the same name already exists in the folder.",
                    f"{self.path_of(sibling)} already exists (id {sibling.id})",
                )

    # --- wire form ---------------------------------------------------------------------------------------------

    def to_json(self, item: LibraryItem, with_children: bool = True) -> dict[str, Any]:
        body = self._base_json(item)
        if item.is_folder:
            body["type"] = "MonitorsLibraryFolderResponse"
            if with_children:
                body["children"] = [self._child_json(child) for child in self.children(item.id)]
            return body
        body["type"] = "MonitorsLibraryMonitorResponse"
        body.update(copy.deepcopy(item.settings))
        body["status"] = item.status()
        body["warnings"] = dict(item.warnings) if item.warnings else None
        body["isLocked"] = False
        return body

    def _child_json(self, item: LibraryItem) -> dict[str, Any]:
        body = self._base_json(item)
        body["type"] = "MonitorsLibraryBaseResponse"
        body["permissions"] = []
        return body

    def _base_json(self, item: LibraryItem) -> dict[str, Any]:
        return {
            "id": item.id,
            "name": item.name,
            "description": item.description,
            "version": item.version,
            "createdAt": rfc3339_ms(item.created_at),
            "createdBy": item.created_by,
            "modifiedAt": rfc3339_ms(item.modified_at),
            "modifiedBy": item.modified_by,
            "parentId": item.parent_id,
            "contentType": item.content_type,
            "isSystem": item.is_system,
            "isMutable": not item.is_system,
        }


def _filter_matches(item: LibraryItem, key: str, value: str) -> bool:
    if key == "type":
        return value.lower() == item.content_type.lower()
    if key == "createdBy":
        return item.created_by == value
    if key == "monitorStatus":
        if item.is_folder:
            return False
        status = item.status()
        return status != ["Normal"] and status != ["Disabled"] if value == "AllTriggered" else value in status
    try:
        moment_ms = int(value)
    except ValueError:
        raise invalid_argument(f"search filter {key}: needs epoch milliseconds (got {value!r})") from None
    created_ms, modified_ms = int(item.created_at * 1000), int(item.modified_at * 1000)
    return {
        "createdBefore": created_ms < moment_ms,
        "createdAfter": created_ms > moment_ms,
        "modifiedBefore": modified_ms < moment_ms,
        "modifiedAfter": modified_ms > moment_ms,
    }[key]


_SEARCH_FILTERS = frozenset(
    ("createdBy", "createdBefore", "createdAfter", "modifiedBefore", "modifiedAfter", "type", "monitorStatus")
)
