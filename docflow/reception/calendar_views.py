"""The administrator's calendar page: the days the government moved, and their effect."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..calendar import CalendarError
from ..calendar.store import CalendarOverride, current_calendar
from ..extensions import db
from ..reference.access import admin_required
from .deadlines import change_calendar_day

bp = Blueprint("calendar_admin", __name__, url_prefix="/admin/calendar")


class OverrideForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    working = SelectField(_l("The day becomes"), choices=[("0", _l("a day off")),
                                                          ("1", _l("a working day"))])
    reason = StringField(_l("Reason (the decree or order)"),
                         validators=[DataRequired(), Length(max=500)])


@bp.route("/", methods=["GET", "POST"])
@admin_required
def index():
    form = OverrideForm()
    if form.validate_on_submit():
        try:
            moved = change_calendar_day(form.day.data, form.working.data == "1",
                                        form.reason.data, current_user)
            db.session.commit()
            flash(_("Saved. Reply deadlines moved on %(n)s open appeal(s).", n=len(moved)),
                  "success")
            return redirect(url_for(".index"), 303)
        except (CalendarError, ValueError) as exc:
            db.session.rollback()
            form.day.errors = [str(exc)]
    overrides = db.session.execute(db.select(CalendarOverride)
                                   .order_by(CalendarOverride.day.desc())).scalars().all()
    return render_template("reception/calendar_admin.html", form=form, overrides=overrides,
                           years=current_calendar().known_years)
