"""The URL table of the job pages: a job's progress (JSON for scripts, HTML without them), its
retry, and the administrators' overview."""
from flask import Blueprint

from . import views

bp = Blueprint("jobs", __name__)

bp.add_url_rule("/jobs/<int:job_id>", "job", views.job_view)
bp.add_url_rule("/jobs/<int:job_id>/retry", "retry", views.retry_view, methods=["POST"])
bp.add_url_rule("/admin/jobs", "admin", views.admin_view)
bp.add_app_template_global(views.status_label, "job_status_label")
