from flask import Blueprint, current_app, jsonify, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from ..extensions import db
from .start import START_LINKS, start_page

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    title, intro = start_page(current_user.primary_role)
    links, seen = [], set()
    for role in sorted(current_user.role_names):
        for endpoint, label, *args in START_LINKS.get(role, []):
            if endpoint not in current_app.view_functions:
                continue
            url = url_for(endpoint, **(args[0] if args else {}))
            if url not in seen:
                seen.add(url)
                links.append((url, label))
    return render_template("main/start.html", title=title, intro=intro, links=links)


@bp.route("/healthz")
def healthz():
    """200 when the database, the queue and the worker answer; 503 naming what is down."""
    from ..jobs import health

    checks: dict[str, dict] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "backend": db.engine.dialect.name}
    except Exception as exc:
        db.session.rollback()
        checks["database"] = {"ok": False, "detail": f"database unreachable: {type(exc).__name__}"}
    checks.update(health(current_app))
    down = sorted(name for name, check in checks.items() if not check["ok"])
    body = {"status": "ok" if not down else "degraded", "down": down, "checks": checks,
            "mode": current_app.config["DOCFLOW_ENV"]}
    return jsonify(body), 200 if not down else 503
