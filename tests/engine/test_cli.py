"""`flask --app docflow workflow diagram NAME` draws a registered workflow."""
import shutil

from tests.engine.conftest import attach_memo


def test_diagram_prints_dot(app):
    attach_memo(app)
    result = app.test_cli_runner().invoke(args=["workflow", "diagram", "memo"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith('digraph "memo" {')
    assert '"draft" -> "signed" [label="Sign [signer | has_body]"];' in result.output
    assert '"signed" -> "draft"' in result.output


def test_diagram_svg_or_dot_when_graphviz_is_missing(app):
    attach_memo(app)
    result = app.test_cli_runner().invoke(args=["workflow", "diagram", "memo", "--format",
                                                "svg"])
    assert result.exit_code == 0
    if shutil.which("dot"):
        assert "<svg" in result.output
    else:
        assert "digraph" in result.output and "not installed" in result.output


def test_an_unknown_workflow_is_a_clear_error(app):
    attach_memo(app)
    result = app.test_cli_runner().invoke(args=["workflow", "diagram", "nope"])
    assert result.exit_code != 0 and "No workflow 'nope'; registered: memo" in result.output


def test_list_and_check(app, tmp_path):
    attach_memo(app)
    runner = app.test_cli_runner()
    assert "memo" in runner.invoke(args=["workflow", "list"]).output
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "b"\ninitial = "x"\n[states.a]\n')
    result = runner.invoke(args=["workflow", "check", str(bad)])
    assert result.exit_code == 1 and "initial state 'x'" in result.output
