"""The Engine extension object and its registries (types, workflows, conditions, rules, hooks).

The registries live on the Engine instance, not on the app: the application registers its content
types at import/init time. Module-level functions (``transition``, ``can``...) find the engine of
the current app with :func:`current_engine`, so a test can attach an Engine of its own to one app
(``Engine().init_app(app)``) without touching the application's.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from .errors import NotRegistered


@dataclass(frozen=True)
class ContentType:
    """A content type: its name (the polymorphic identity of ``model``) bound to a workflow id."""

    name: str
    model: type
    workflow: str
    title: str


@dataclass(frozen=True)
class Condition:
    """A named guard: ``func(item, actor, data) -> bool``; ``title`` says what it requires."""

    name: str
    func: Callable
    title: str


class Engine:
    """A Flask extension: ``engine = Engine(); engine.init_app(app)``."""

    def __init__(self) -> None:
        self.types: dict[str, ContentType] = {}
        self.workflows: dict = {}
        self.conditions: dict[str, Condition] = {}
        self.rules: list = []
        self._principal_loader: Callable | None = None
        self._role_holders: Callable | None = None
        self.item_urls: dict[str, Callable] = {}  # type -> fn(item) -> its page's URL

    # -- Flask -----------------------------------------------------------------------------
    def init_app(self, app) -> None:
        """Bind to ``app``: models imported, the item pages and the ``workflow`` command added."""
        from . import audit, catalog, content, files, history, rules, security  # noqa: F401  (models)
        from .blueprint import bp
        from .cli import workflow_cli
        from .inbox import bp as inbox_bp
        from .inbox import unread_count

        app.extensions["docflow_engine"] = self
        if bp.name not in app.blueprints:
            app.register_blueprint(bp)
            app.register_blueprint(inbox_bp)

            @app.context_processor
            def _inbox():
                from flask_login import current_user
                if not getattr(current_user, "is_authenticated", False):
                    return {}
                return {"inbox_unread": unread_count(current_user)}
        app.cli.add_command(workflow_cli)

    # -- registration ----------------------------------------------------------------------
    def condition(self, name: str, title: str | None = None):
        """Decorator registering a named transition guard. Register before loading workflows."""
        def register(func):
            self.conditions[name] = Condition(name, func, title or name)
            return func
        return register

    def register_workflow(self, path: str | Path):
        """Load, validate and register a TOML workflow; replaces one with the same id."""
        from .definition import load_workflow

        definition = load_workflow(path, conditions=self.conditions)
        self.workflows[definition.id] = definition
        return definition

    def register_type(self, name: str, *, model: type, workflow: str,
                      title: str | None = None) -> ContentType:
        """Bind content type ``name`` (the model's polymorphic identity) to a workflow."""
        if workflow not in self.workflows:
            raise NotRegistered(f"Content type {name!r} names the workflow {workflow!r}, which is "
                                f"not registered (registered: {_names(self.workflows)}).")
        identity = getattr(model, "__mapper__", None) and model.__mapper__.polymorphic_identity
        if identity != name:
            raise NotRegistered(f"Content type {name!r}: the model {model.__name__} has the "
                                f"polymorphic identity {identity!r}; they must be the same.")
        self.types[name] = ContentType(name, model, workflow, title or name)
        return self.types[name]

    def register_rules(self, path: str | Path) -> list:
        """Load ``[[rule]]`` tables from a TOML file (see rules.py); they add to earlier ones."""
        from .rules import load_rules

        loaded = load_rules(path, known_types=self.types)
        ids = {r.id for r in loaded}
        self.rules = [r for r in self.rules if r.id not in ids] + loaded
        return loaded

    def principal_loader(self, func: Callable) -> Callable:
        """Decorator: ``func(user) -> Principal`` gives a user's global roles and clearances."""
        self._principal_loader = func
        return func

    def role_holders(self, func: Callable) -> Callable:
        """Decorator: ``func(roles: set[str], places: set[str]) -> Iterable[int]`` user ids
        holding one of ``roles`` at one of ``places`` or everywhere (for notify/email rules)."""
        self._role_holders = func
        return func

    # -- lookups ---------------------------------------------------------------------------
    def content_type(self, name: str) -> ContentType:
        try:
            return self.types[name]
        except KeyError:
            raise NotRegistered(f"Unknown content type {name!r} "
                                f"(registered: {_names(self.types)}).") from None

    def workflow(self, workflow_id: str):
        try:
            return self.workflows[workflow_id]
        except KeyError:
            raise NotRegistered(f"Unknown workflow {workflow_id!r} "
                                f"(registered: {_names(self.workflows)}).") from None

    def workflow_for(self, item_or_type):
        """The workflow definition bound to an item's content type (or a type name)."""
        name = item_or_type if isinstance(item_or_type, str) else item_or_type.type
        return self.workflow(self.content_type(name).workflow)

    def holders_of(self, roles: Iterable[str], places: Iterable[str]) -> set[int]:
        if self._role_holders is None:
            return set()
        return set(self._role_holders(set(roles), set(places)))


def _names(mapping) -> str:
    return ", ".join(sorted(mapping)) or "none"


def current_engine() -> Engine:
    """The Engine bound to the current app (``init_app``)."""
    return current_app.extensions["docflow_engine"]
