from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..engine.audit import audit_sign_in
from ..extensions import db
from .forms import LoginForm, PasswordForm
from .limits import address_limit, limiter, login_and_address, login_limit
from .models import User
from .operations import UserError, is_locked, set_password, sign_in_failed, sign_in_succeeded
from .sessions import mark_active

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.index")


def _refused_message() -> str:
    # The same words whether the login exists, the password is wrong or the account is locked:
    # the page must not tell a guesser which logins are real.
    return " ".join((_("Wrong login or password."), _(
        "After %(n)d failed attempts in a row an account is locked for %(m)d minutes.",
        n=current_app.config["LOGIN_LOCKOUT_ATTEMPTS"],
        m=current_app.config["LOGIN_LOCKOUT_MINUTES"])))


def _too_many() -> str:
    return _("Too many sign-in attempts from this address. Wait a minute and try again.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, key_func=login_and_address, methods=["POST"],
               error_message=_too_many)
@limiter.limit(address_limit, methods=["POST"], error_message=_too_many)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        name = form.login.data.strip()
        user = db.session.execute(db.select(User).where(User.login == name)).scalar_one_or_none()
        if user is not None and user.is_active and not is_locked(user) \
                and user.check_password(form.password.data):
            sign_in_succeeded(user)
            login_user(user)
            mark_active()
            audit_sign_in(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        if user is not None:
            sign_in_failed(user)
        audit_sign_in(user, success=False, login=name[:64])
        db.session.commit()
        form.password.errors.append(_refused_message())
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            try:
                set_password(current_user, form.new.data)
            except UserError as exc:
                db.session.rollback()
                form.new.errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
