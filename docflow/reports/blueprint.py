"""URL table of the reports area."""
from flask import Blueprint

from . import views

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_url_rule("/", "dashboard", views.dashboard)
bp.add_url_rule("/quarterly/", "reports", views.reports)
bp.add_url_rule("/quarterly/build", "build", views.build, methods=["POST"])
bp.add_url_rule("/quarterly/<int:report_id>", "report", views.report)
bp.add_url_rule("/quarterly/<int:report_id>/acknowledge", "acknowledge", views.acknowledge,
                methods=["POST"])
bp.add_url_rule("/quarterly/<int:report_id>/files/<name>", "download", views.download)
