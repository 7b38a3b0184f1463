"""Ansible variables as a role sees them, without running Ansible: layered files (role defaults, an inventory's
group_vars/all, role vars, set_fact arguments) whose values are rendered on demand with plain Jinja.

Plain references (`{{ other_variable }}`, Jinja filters and expressions) render as Ansible renders them; a lookup,
an Ansible-only filter, a magic variable or a vault-encrypted value raises InventoryError naming the variable, so
the caller can ask for the value another way.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError, Undefined, meta, nodes
from jinja2.nativetypes import NativeEnvironment
from jinja2.sandbox import SandboxedEnvironment

# Ansible's YAML_FILENAME_EXTENSIONS, in the order Ansible tries them ("" first finds the directory).
VARS_EXTENSIONS = ("", ".yml", ".yaml", ".json")
_TEMPLATE_MARKERS = ("{{", "{%", "{#")
_LOOKUP_FUNCTIONS = ("lookup", "query", "q")


class InventoryError(Exception):
    """A variable that cannot be read or rendered here; the message names it and says why."""

    def __init__(self, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


class UnsafeText(str):
    """A `!unsafe` value: Ansible never templates it, and neither does the resolver."""


class VaultedValue:
    """A `!vault` value: it needs the vault password, which the resolver never asks for."""


class _VarsLoader(yaml.SafeLoader):
    """PyYAML's safe loader plus the two tags Ansible adds to variable files."""


_VarsLoader.add_constructor("!unsafe", lambda loader, node: UnsafeText(loader.construct_scalar(node)))
_VarsLoader.add_constructor("!vault", lambda loader, node: VaultedValue())


def load_yaml_document(path: Path) -> Any:
    """One YAML/JSON file as Ansible reads it (`!unsafe` and `!vault` understood, never executed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InventoryError(f"{path}: cannot read it: {error}") from error
    if text.startswith("$ANSIBLE_VAULT;"):
        raise InventoryError(f"{path}: the file is vault-encrypted; the backtest does not decrypt it")
    try:
        return yaml.load(text, Loader=_VarsLoader)  # noqa: S506 - a SafeLoader subclass with two inert tags
    except yaml.YAMLError as error:
        raise InventoryError(f"{path}: not valid YAML: {error}") from error


def load_vars_file(path: Path) -> dict[str, Any]:
    """The variables one YAML/JSON file defines (empty for an empty file)."""
    document = load_yaml_document(path)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise InventoryError(f"{path}: expected a mapping of variables, got {type(document).__name__}")
    return document


def group_vars_files(inventory: Path, group: str = "all") -> list[Path]:
    """The files Ansible reads for `group` from `<inventory>/group_vars`: the first of the directory `<group>/`
    (every file in it, recursively, sorted, hidden and backup files skipped), `<group>.yml`, `.yaml`, `.json`."""
    base = inventory / "group_vars" / group
    for extension in VARS_EXTENSIONS:
        candidate = base.with_name(base.name + extension)
        if candidate.is_dir():
            return _dir_vars_files(candidate)
        if candidate.is_file():
            return [candidate]
    return []


def _dir_vars_files(directory: Path) -> list[Path]:
    found: list[Path] = []
    for entry in sorted(directory.iterdir(), key=lambda item: item.name):
        if entry.name.startswith(".") or entry.name.endswith("~"):
            continue
        if entry.is_dir() and not entry.suffix:
            found.extend(_dir_vars_files(entry))
        elif entry.is_file() and entry.suffix in ("", *VARS_EXTENSIONS[1:]):
            found.append(entry)
    return found


def _keep_single_value(parts: Iterable[Any]) -> Any:
    """A template of one expression gives that value unchanged ("{{ 5 }}" is 5, "{{ text }}" stays text, never parsed
    as a Python literal); several parts join into a string."""
    parts = list(parts)
    if len(parts) == 1:
        return parts[0]
    return "".join(str(part) for part in parts)


def _is_one_constant_expression(syntax: nodes.Template) -> bool:
    """`{{ 5 }}`, `{{ [1, 2] }}`: Jinja folds such an expression into text when it compiles the template."""
    if len(syntax.body) != 1 or not isinstance(syntax.body[0], nodes.Output) or len(syntax.body[0].nodes) != 1:
        return False
    expression = syntax.body[0].nodes[0]
    return not isinstance(expression, nodes.TemplateData) and not meta.find_undeclared_variables(syntax)


def _constant_value(text: str) -> Any:
    """The value of a folded constant expression, as Ansible gives it (5, not "5")."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


class _SandboxedNativeEnvironment(SandboxedEnvironment, NativeEnvironment):
    """Sandboxed, and a template that is one expression keeps its value's type, as in Ansible."""

    concat = staticmethod(_keep_single_value)  # type: ignore[assignment]


class _FailedVariable:
    """Stands for a variable that failed to render and raises that failure only if a template really uses it (Jinja
    resolves every name a template mentions, even in a branch not taken). Not a Jinja Undefined, so `default()`
    does not replace it, and its error is no ValueError, so `float`/`int` filters do not swallow it."""

    __slots__ = ("error",)

    def __init__(self, error: InventoryError) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"<failed variable: {self.error}>"

    def fail(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error

    def __getattr__(self, name: str) -> Any:
        raise self.error

    __str__ = __format__ = __bool__ = __int__ = __float__ = __index__ = __iter__ = __len__ = fail
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = __contains__ = __getitem__ = __call__ = fail  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __mod__ = fail
    __neg__ = __pos__ = fail


def _raise_failures(value: Any) -> None:
    """Raise the error of a failed variable the rendered value still holds (one template's whole result)."""
    if isinstance(value, _FailedVariable):
        raise value.error
    if isinstance(value, dict):
        for item in value.values():
            _raise_failures(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _raise_failures(item)


class VariableResolver:
    """Rendered variables from layered sources; later layers win, as higher Ansible precedence does."""

    def __init__(
        self, layers: list[tuple[str, Mapping[str, Any]]], filters: Mapping[str, Callable[..., Any]] | None = None
    ) -> None:
        self._raw: dict[str, Any] = {}
        self._origin: dict[str, str] = {}
        for origin, variables in layers:
            for name, value in variables.items():
                self._raw[str(name)] = value
                self._origin[str(name)] = origin
        self._environment = _SandboxedNativeEnvironment(undefined=StrictUndefined)
        self._environment.filters.update(filters or {})
        self._rendered: dict[str, Any] = {}
        self._resolving: list[str] = []

    def __contains__(self, name: str) -> bool:
        return name in self._raw

    def names(self) -> list[str]:
        """Every variable defined in any layer."""
        return list(self._raw)

    @property
    def jinja_globals(self) -> Mapping[str, Any]:
        """Jinja's own globals (range, dict, namespace, ...), which templates may name like variables."""
        return self._environment.globals

    def origin(self, name: str) -> str:
        """Where the winning value of `name` was defined."""
        return self._origin.get(name, "nowhere")

    @property
    def resolved(self) -> dict[str, Any]:
        """The variables rendered so far, by name."""
        return dict(self._rendered)

    def value(self, name: str) -> Any:
        """The rendered value of `name`; InventoryError when it is undefined or cannot be rendered here."""
        if name in self._rendered:
            return self._rendered[name]
        if name not in self._raw:
            raise InventoryError(f"{name} is not defined in the role defaults or the inventory", name)
        if name in self._resolving:
            cycle = " -> ".join([*self._resolving[self._resolving.index(name) :], name])
            raise InventoryError(f"{name} refers to itself: {cycle}", name)
        self._resolving.append(name)
        try:
            rendered = self.render(self._raw[name], name)
        finally:
            self._resolving.pop()
        self._rendered[name] = rendered
        return rendered

    def render(self, value: Any, what: str) -> Any:
        """`value` with its templates rendered against the variables (lists and mappings element by element)."""
        if isinstance(value, VaultedValue):
            raise InventoryError(f"{what} is vault-encrypted; the backtest does not decrypt it", what)
        if isinstance(value, dict):
            return {key: self.render(item, f"{what}.{key}") for key, item in value.items()}
        if isinstance(value, list):
            return [self.render(item, f"{what}[{index}]") for index, item in enumerate(value)]
        if isinstance(value, UnsafeText):
            return str(value)
        if not isinstance(value, str) or not any(marker in value for marker in _TEMPLATE_MARKERS):
            return value
        try:
            syntax = self._environment.parse(value)
            template = self._environment.from_string(syntax)
            context = template.new_context(_LazyVariables(self, what), shared=True)
            rendered = self._environment.concat(template.root_render_func(context))  # type: ignore[attr-defined]
            if isinstance(rendered, Undefined):
                str(rendered)  # raises why it is undefined
            _raise_failures(rendered)
            if isinstance(rendered, str) and _is_one_constant_expression(syntax):
                rendered = _constant_value(rendered)
        except InventoryError:
            raise
        except TemplateError as error:
            raise InventoryError(f"{what} = {value!r} cannot be rendered without Ansible: {error}", what) from error
        except Exception as error:  # a filter or operator failing on the value: 1 / 0, int("x", base=2), ...
            raise InventoryError(
                f"{what} = {value!r} fails to render: {type(error).__name__}: {error}", what
            ) from error
        return rendered


class _LazyVariables(Mapping[str, Any]):
    """The template context: variables rendered when a template names them; lookups fail when called."""

    def __init__(self, resolver: VariableResolver, what: str) -> None:
        self._resolver = resolver
        self._what = what

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (
            name in self._resolver or name in _LOOKUP_FUNCTIONS or name in self._resolver.jinja_globals
        )

    def __getitem__(self, name: str) -> Any:
        if name in _LOOKUP_FUNCTIONS:
            return self._lookup(name)
        if name not in self._resolver:
            return self._resolver.jinja_globals[name]
        try:
            return self._resolver.value(name)
        except InventoryError as error:
            return _FailedVariable(error)

    def _lookup(self, function: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            plugin = args[0] if args else "?"
            raise InventoryError(
                f"{self._what} uses an Ansible lookup, {function}({plugin!r}, ...), which the backtest does not run",
                self._what,
            )

        return refuse

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolver.names())

    def __len__(self) -> int:
        return len(self._resolver.names())
