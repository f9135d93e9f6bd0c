"""The URL table of the reference-data admin pages (all for admins only, see access.py)."""
from flask import Blueprint

from . import views

bp = Blueprint("reference", __name__, url_prefix="/admin/reference")

GET_POST = ["GET", "POST"]
bp.add_url_rule("/", view_func=views.index)
bp.add_url_rule("/bodies", view_func=views.bodies)
bp.add_url_rule("/bodies/new", view_func=views.body_new, methods=GET_POST)
bp.add_url_rule("/bodies/<int:body_id>", view_func=views.body)
bp.add_url_rule("/bodies/<int:body_id>/edit", view_func=views.body_edit, methods=GET_POST)
bp.add_url_rule("/bodies/<int:body_id>/divisions", view_func=views.division_new, methods=["POST"])
bp.add_url_rule("/divisions/<int:division_id>/edit", view_func=views.division_edit,
                methods=GET_POST)
bp.add_url_rule("/venues", view_func=views.venues)
bp.add_url_rule("/venues/new", view_func=views.venue_new, methods=GET_POST)
bp.add_url_rule("/venues/<int:venue_id>/edit", view_func=views.venue_edit, methods=GET_POST)
bp.add_url_rule("/officials", view_func=views.officials)
bp.add_url_rule("/officials/new", view_func=views.official_new, methods=GET_POST)
bp.add_url_rule("/officials/<int:official_id>/edit", view_func=views.official_edit,
                methods=GET_POST)
bp.add_url_rule("/import", view_func=views.import_page, methods=GET_POST)
