"""The engine's exception tree (plone.api's exc.py): callers catch one family and map it to HTTP.

Every message is a complete sentence for the person who caused it; views flash it, the API puts it
in ``detail``.
"""


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class NotRegistered(EngineError):
    """A content type, workflow or condition name the application never registered."""

    status = 500


class PermissionDenied(EngineError):
    """The actor lacks a permission on the item (for example ``edit:subject``)."""

    status = 403


class StaleEdit(EngineError):
    """The item changed since the editor loaded it; nothing was overwritten (optimistic lock)."""

    status = 409

    def __init__(self, message: str, *, changed_by: str | None = None, changed_at=None,
                 version: int | None = None):
        super().__init__(message)
        self.changed_by, self.changed_at, self.version = changed_by, changed_at, version


class TransitionRefused(EngineError):
    """A transition was not applied. ``allowed`` lists the transitions the actor may fire."""

    status = 409

    def __init__(self, message: str, *, transition: str, allowed: list[str] | None = None,
                 field: str | None = None):
        super().__init__(message)
        self.transition, self.allowed, self.field = transition, list(allowed or []), field


class RoleRefused(TransitionRefused):
    """The actor holds none of the roles the transition allows."""

    status = 403


class StateRefused(TransitionRefused):
    """The item is not in a state the transition leaves from (or in a state the workflow lacks)."""

    status = 409


class ConditionRefused(TransitionRefused):
    """A named condition of the transition is not met."""

    status = 409


class DataRequired(TransitionRefused):
    """The transition needs input (a comment, a field) that was not given; ``field`` names it."""

    status = 422
