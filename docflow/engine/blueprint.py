"""The engine's pages for any item: the URL table (handlers in views.py)."""
from flask import Blueprint

from . import views

bp = Blueprint("engine", __name__, url_prefix="/items")

bp.add_url_rule("/<uid>", "item", views.item_view)
bp.add_url_rule("/<uid>/transition", "transition", views.transition_view, methods=["POST"])
bp.add_url_rule("/<uid>/sharing", "sharing", views.sharing_view, methods=["GET", "POST"])
bp.add_url_rule("/<uid>/access", "access", views.access_view)
bp.add_url_rule("/<uid>/files", "files", views.files_view)
bp.add_url_rule("/<uid>/files/<int:version_id>/download", "download", views.download_view)
