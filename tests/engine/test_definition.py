"""Workflow files are validated at load, with errors that name the file and the broken place."""
import pytest

from docflow.engine.definition import DefinitionError, parse_workflow
from tests.engine.memo import HERE, build_engine

GOOD = """
id = "w"
initial = "a"
[states.a.permissions]
view = ["x"]
[states.b]
title = "B"
[[transitions]]
id = "go"
from = ["a"]
to = "b"
roles = ["x"]
"""


def parse(text, conditions=("ok",)):
    return parse_workflow(text, source="w.toml", conditions=set(conditions))


def test_a_good_definition_loads_with_a_version_hash():
    wf = parse(GOOD)
    assert wf.initial == "a" and set(wf.states) == {"a", "b"}
    assert wf.roles_for("a", "view") == {"x"} and wf.roles_for("b", "view") == set()
    assert len(wf.version) == 16 and parse(GOOD + "\n# changed\n").version != wf.version


@pytest.mark.parametrize("change, message", [
    (('to = "b"', 'to = "c"'), "unknown state 'c'"),
    (('from = ["a"]', 'from = ["z"]'), "unknown state 'z'"),
    (('initial = "a"', 'initial = "q"'), "initial state 'q'"),
    (('roles = ["x"]', 'roles = ["x"]\nconditions = ["has_bdy"]'),
     "condition 'has_bdy', which is not registered"),
    (('roles = ["x"]', 'roles = ["x"]\nguard = "python:1"'), "unknown key(s) guard"),
    (('view = ["x"]', 'veiw = ["x"]'), "Unknown permission 'veiw'"),
    (('id = "go"', 'id = "go"\nto_state = "b"'), "unknown key(s) to_state"),
    (('id = "w"', 'id = "W W"'), "lower-case"),
])
def test_broken_definitions_are_refused_precisely(change, message):
    with pytest.raises(DefinitionError) as error:
        parse(GOOD.replace(*change))
    assert message in str(error.value) and str(error.value).startswith("w.toml:")


def test_an_unreachable_state_is_refused():
    with pytest.raises(DefinitionError, match="'c'.* cannot be reached"):
        parse(GOOD + "[states.c]\ntitle = 'C'\n")


def test_not_toml_is_refused():
    with pytest.raises(DefinitionError, match="not valid TOML"):
        parse("id = ")


def test_field_permissions_fall_back_to_the_whole_item_permission():
    engine, _ = build_engine(rules=False)
    wf = engine.workflows["memo"]
    assert wf.roles_for("draft", "edit:body") == {"owner", "author"}
    assert wf.roles_for("draft", "edit:title") == {"owner"}  # from "edit"
    with pytest.raises(DefinitionError):
        wf.roles_for("draft", "publish")


def test_conditions_must_be_registered_before_the_workflow():
    from docflow.engine import Engine

    with pytest.raises(DefinitionError, match="has_body"):
        Engine().register_workflow(HERE / "memo_workflow.toml")
