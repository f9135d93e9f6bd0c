"""Workflow diagrams as Graphviz DOT (and SVG when the ``dot`` program is installed)."""
from __future__ import annotations

import shutil
import subprocess

from .definition import WorkflowDefinition


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(workflow: WorkflowDefinition) -> str:
    """The workflow as a DOT digraph: states as nodes, transitions as labelled edges."""
    lines = [f"digraph {_quote(workflow.id)} {{",
             f"  label={_quote(f'{workflow.title} (version {workflow.version})')};",
             "  rankdir=LR;", "  node [shape=box, style=rounded];",
             "  __start [shape=point];", f"  __start -> {_quote(workflow.initial)};"]
    for state in workflow.states.values():
        lines.append(f"  {_quote(state.id)} [label={_quote(state.title)}];")
    for t in workflow.transitions.values():
        guard = ", ".join(sorted(t.roles))
        if t.conditions:
            guard += " | " + ", ".join(t.conditions)
        for source in t.from_states:
            lines.append(f"  {_quote(source)} -> {_quote(t.to_state)} "
                         f"[label={_quote(f'{t.title} [{guard}]')}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(dot_text: str) -> str | None:
    """SVG rendered by Graphviz, or None when ``dot`` is not installed."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    return subprocess.run([dot, "-Tsvg"], input=dot_text, capture_output=True, text=True,
                          check=True, timeout=60).stdout
