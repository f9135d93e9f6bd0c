"""The URL table of the surveys area (R38)."""
from flask import Blueprint

from . import views as v

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
bp.add_url_rule("/", "tasks", v.tasks)
bp.add_url_rule("/export.<any(csv, xlsx):fmt>", "tasks_export", v.tasks_export)
bp.add_url_rule("/tasks/<int:task_id>", "task", v.task, methods=["GET", "POST"])
bp.add_url_rule("/rounds", "rounds", v.rounds, methods=["GET", "POST"])
