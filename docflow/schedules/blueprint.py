"""The URL table of the schedules area: staff pages under /manage/schedules, the public,
login-free pages under /schedules (R8)."""
from flask import Blueprint

from . import display
from . import management as m

bp = Blueprint("schedules", __name__, url_prefix="/manage/schedules")
bp.add_url_rule("/", "index", m.index, methods=["GET", "POST"])
bp.add_url_rule("/approvals", "approvals", m.approvals)
bp.add_url_rule("/<int:schedule_id>", "schedule", m.schedule)
bp.add_url_rule("/<int:schedule_id>/entries", "add_entry", m.add_entry, methods=["POST"])
bp.add_url_rule("/<int:schedule_id>/entries/<int:entry_id>", "edit_entry", m.edit_entry,
                methods=["GET", "POST"])
bp.add_url_rule("/<int:schedule_id>/entries/<int:entry_id>/delete", "delete_entry",
                m.delete_entry, methods=["POST"])
bp.add_url_rule("/<int:schedule_id>/submit", "submit", m.submit, methods=["POST"])
bp.add_url_rule("/<int:schedule_id>/approve", "approve", m.approve, methods=["POST"])
bp.add_url_rule("/<int:schedule_id>/return", "return_", m.return_, methods=["POST"])
bp.add_url_rule("/<int:schedule_id>/publish", "publish", m.publish, methods=["POST"])
bp.add_url_rule("/<int:schedule_id>/new-version", "new_version", m.new_version,
                methods=["POST"])

public_bp = Blueprint("public_schedules", __name__, url_prefix="/schedules")
public_bp.add_url_rule("/<venue_code>/<yearmonth:month>", "page", display.page)
public_bp.add_url_rule("/<venue_code>/<yearmonth:month>.json", "json", display.as_json)
public_bp.add_url_rule("/<venue_code>/<yearmonth:month>.ics", "ics", display.as_ics)
public_bp.add_url_rule("/<venue_code>/<yearmonth:month>.pdf", "pdf", display.as_pdf)
