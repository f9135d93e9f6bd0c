from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from ..engine.audit import audit_sign_in
from ..extensions import db
from .forms import LoginForm
from .models import User

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.execute(
            db.select(User).where(User.login == form.login.data.strip())
        ).scalar_one_or_none()
        if user is not None and user.is_active and user.check_password(form.password.data):
            login_user(user)
            audit_sign_in(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        audit_sign_in(user, success=False, login=form.login.data.strip()[:64])
        db.session.commit()
        form.password.errors.append(_("Wrong login or password."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
