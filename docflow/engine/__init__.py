"""The Plone-style document engine: items in containers, workflows as data, local roles,
versioned files, audit and rules. It imports nothing from the reception domain.

Public API (the application registers its types; views, API handlers and jobs call these)::

    engine = Engine(); engine.init_app(app)
    engine.condition(name, title)              # decorator: fn(item, actor, data) -> bool
    engine.register_workflow(path)             # TOML file -> WorkflowDefinition
    engine.register_type(name, model=, workflow=)
    engine.register_rules(path)                # TOML [[rule]] -> Rule list
    engine.principal_loader(fn)                # fn(user) -> Principal
    engine.role_holders(fn)                    # fn(roles, places) -> user ids (rules)

    create_item(Model, title=, owner=, parent=, places=, restricted=, **fields)
    update_item(item, actor, expected_version=None, **fields)    # StaleEdit, PermissionDenied
    transition(item, name, actor, comment=None, **data)          # TransitionRefused family
    allowed_transitions(item, user); history(item); migrate_states(type, mapping, actor)
    can(user, permission, item); roles_on(user, item); visible_filter(user, permission, type)
    grant(item, principal, role, by); revoke(...); explain_access(item)
    add_file_version(item, name, data, actor, filename=, meta=, generated=); versions(file)
    audit_sign_in(user, ...); audit_view(item, user); record(action, ...)
"""
from .audit import AuditEntry, audit_download, audit_sign_in, audit_view, record
from .content import Item, ItemPlace, contents, create_item, get_by_uid, set_places, update_item
from .core import ContentType, Engine, current_engine
from .definition import DefinitionError, WorkflowDefinition
from .errors import (
                      ConditionRefused,
                      DataRequired,
                      EngineError,
                      NotRegistered,
                      PermissionDenied,
                      RoleRefused,
                      StaleEdit,
                      StateRefused,
                      TransitionRefused,
)
from .files import EngineFile, FileVersion, add_file_version, files_of, versions
from .history import HistoryEntry
from .rules import Notification
from .security import (
                      LocalRole,
                      Principal,
                      can,
                      explain_access,
                      grant,
                      revoke,
                      roles_on,
                      visible_filter,
)
from .workflow import allowed_transitions, history, migrate_states, transition

engine = Engine()

__all__ = [
    "AuditEntry", "ConditionRefused", "ContentType", "DataRequired", "DefinitionError",
    "Engine", "EngineError", "EngineFile", "FileVersion", "HistoryEntry", "Item", "ItemPlace",
    "LocalRole", "NotRegistered", "Notification", "PermissionDenied", "Principal",
    "RoleRefused", "StaleEdit", "StateRefused", "TransitionRefused", "WorkflowDefinition",
    "add_file_version", "allowed_transitions", "audit_download", "audit_sign_in", "audit_view",
    "can", "contents", "create_item", "current_engine", "engine", "explain_access",
    "files_of", "get_by_uid", "grant", "history", "migrate_states", "record", "revoke",
    "roles_on", "set_places", "transition", "update_item", "versions", "visible_filter",
]
