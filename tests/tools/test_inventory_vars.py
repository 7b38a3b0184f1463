"""Ansible variables without Ansible: which group_vars files are read, precedence, and rendering on demand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.inventory_vars import InventoryError, VariableResolver, group_vars_files, load_vars_file


def resolver(*layers: dict[str, object]) -> VariableResolver:
    return VariableResolver([(f"layer {index}", layer) for index, layer in enumerate(layers)])


def test_a_later_layer_wins_and_says_where_the_value_came_from() -> None:
    variables = resolver({"count": 5, "window": "10m"}, {"count": 8})
    assert (variables.value("count"), variables.value("window")) == (8, "10m")
    assert variables.origin("count") == "layer 1"


def test_a_reference_keeps_the_referenced_type_and_text_around_it_makes_a_string() -> None:
    variables = resolver(
        {"budget": 2, "count": "{{ budget }}", "label": "budget-{{ budget }}", "half": "{{ budget / 2 }}"}
    )
    assert variables.value("count") == 2
    assert variables.value("label") == "budget-2"
    assert variables.value("half") == 1.0


def test_text_passed_through_a_reference_is_never_parsed_as_a_python_literal() -> None:
    regex = '"took (?<response_time>\\d+)"'  # a valid Python string literal, quotes included
    variables = resolver({"regex": regex, "copy": "{{ regex }}", "count": "5", "count_copy": "{{ count }}"})
    assert variables.value("copy") == regex
    assert variables.value("count_copy") == "5"


def test_a_constant_expression_gives_its_value() -> None:
    variables = resolver({"count": "{{ 5 }}", "windows": "{{ ['5m', '10m'] }}", "empty": "{% if false %}x{% endif %}"})
    assert (variables.value("count"), variables.value("windows"), variables.value("empty")) == (5, ["5m", "10m"], "")


def test_references_render_inside_mappings_and_through_a_lower_layer() -> None:
    variables = resolver(
        {"mode": "latency", "settings": {"mode": "{{ mode }}", "paths": ["{{ path }}"]}, "path": "/api/data"},
        {"mode": "volume"},
    )
    assert variables.value("settings") == {"mode": "volume", "paths": ["/api/data"]}


def test_a_lookup_is_refused_naming_the_variable() -> None:
    variables = resolver({"secret": "{{ lookup('ansible.builtin.env', 'SECRET') }}", "copy": "{{ secret }}"})
    with pytest.raises(InventoryError, match=r"secret uses an Ansible lookup, lookup\('ansible.builtin.env'") as caught:
        variables.value("copy")
    assert caught.value.variable == "secret"


def test_a_lookup_in_a_branch_not_taken_is_harmless() -> None:
    variables = resolver(
        {
            "mode": "latency",
            "slow": 5,
            "other": "{{ lookup('env', 'X') }}",
            "threshold": "{{ slow if mode == 'latency' else other }}",
        }
    )
    assert variables.value("threshold") == 5


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ other | default(3) }}", "uses an Ansible lookup"),  # default() does not hide the lookup
        ("{{ other | float }}", "uses an Ansible lookup"),  # nor does float's fallback
        ("{{ [other] }}", "uses an Ansible lookup"),
    ],
)
def test_a_failed_variable_is_not_swallowed_by_filters(template: str, message: str) -> None:
    variables = resolver({"other": "{{ lookup('env', 'X') }}", "value": template})
    with pytest.raises(InventoryError, match=message):
        variables.value("value")


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"value": "{{ nowhere }}"}, "'nowhere' is undefined"),
        ({"value": "{{ 5 | to_json }}"}, "No filter named 'to_json'"),
        ({"value": "{{ other }}", "other": "{{ value }}"}, "refers to itself: value -> other -> value"),
        ({"value": "{{ ''.__class__.__mro__ }}"}, "cannot be rendered without Ansible"),
    ],
)
def test_what_needs_ansible_is_refused_with_the_variable_named(layer: dict[str, object], message: str) -> None:
    with pytest.raises(InventoryError, match=message):
        resolver(layer).value("value")


def test_an_undefined_variable_is_named() -> None:
    with pytest.raises(InventoryError, match="sumo_monitoring_mode is not defined"):
        resolver({}).value("sumo_monitoring_mode")


def test_unsafe_values_stay_untemplated_and_vaulted_values_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "vars.yml"
    path.write_text(
        '---\npayload: !unsafe \'{"Id": "{{Id}}"}\'\nsecret: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6231\n'
    )
    variables = VariableResolver([("vars.yml", load_vars_file(path))])
    assert variables.value("payload") == '{"Id": "{{Id}}"}'
    with pytest.raises(InventoryError, match="secret is vault-encrypted"):
        variables.value("secret")


def test_a_vault_encrypted_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vault.yml"
    path.write_text("$ANSIBLE_VAULT;1.1;AES256\n6231\n")
    with pytest.raises(InventoryError, match="vault-encrypted"):
        load_vars_file(path)


def test_group_vars_are_the_directory_sorted_recursively_like_ansible(tmp_path: Path) -> None:
    all_dir = tmp_path / "group_vars" / "all"
    (all_dir / "nested").mkdir(parents=True)
    for name in ("b.yml", "a.yaml", "nested/c.json", "notes.txt", ".hidden.yml", "old.yml~"):
        (all_dir / name).write_text("---\n")
    (tmp_path / "group_vars" / "all.yml").write_text("---\n")  # Ansible reads the directory and not this file
    assert [path.relative_to(all_dir).as_posix() for path in group_vars_files(tmp_path)] == [
        "a.yaml",
        "b.yml",
        "nested/c.json",
    ]


def test_group_vars_fall_back_to_the_all_file_and_to_nothing(tmp_path: Path) -> None:
    assert group_vars_files(tmp_path) == []
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yaml").write_text("---\n")
    assert group_vars_files(tmp_path) == [tmp_path / "group_vars" / "all.yaml"]


def test_a_vars_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vars.yml"
    path.write_text("---\n- a\n- b\n")
    with pytest.raises(InventoryError, match="expected a mapping of variables, got list"):
        load_vars_file(path)
