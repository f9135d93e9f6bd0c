"""Admin pages for reference data (R2, R2-1, R4, R8). Thin: load (404), check (admin_required,
403), save through ``operations`` and commit once; a refusal goes back onto the form's fields."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .access import admin_required
from .forms import BODY_KINDS, RANKS, VENUE_KINDS, BodyForm, DivisionForm, OfficialForm, VenueForm
from .models import Body, Division, Official, Venue
from .operations import ReferenceDataError, save_body, save_division, save_official, save_venue

SORTS = ("code", "name")


def _lang() -> str:
    return "kk" if str(get_locale()) == "kk" else "ru"


def _sorted(model, sort: str) -> list:
    """All records, by code or by their name in the user's language."""
    lang = _lang()
    if sort != "name":
        order = [model.code]
    elif model is Official:
        order = [getattr(Official, f"last_name_{lang}"), getattr(Official, f"first_name_{lang}"),
                 Official.code]
    else:
        order = [getattr(model, f"name_{lang}"), model.code]
    return list(db.session.execute(db.select(model).order_by(*order)).scalars())


def _sort_arg() -> str:
    sort = request.args.get("sort", "code")
    return sort if sort in SORTS else "code"


def _save(form, save, values: dict, record=None):
    """Commit what ``save`` makes of the values; on refusal, roll back and mark the fields."""
    try:
        record = save(values, record)
        db.session.commit()
        return record
    except ReferenceDataError as exc:
        db.session.rollback()
        for name, messages in exc.errors.items():
            form[name].errors = [*form[name].errors, *messages]
    except IntegrityError:  # another admin saved the same code a moment ago
        db.session.rollback()
        form.code.errors = [*form.code.errors, _(
            "The code %(code)s is already used by another record; codes must be unique.",
            code=form.code.data)]
    return None


def _form_page(form, title: str, cancel: str):
    return render_template("reference/form.html", form=form, title=title, cancel=cancel)


@admin_required
def index():
    counts = {model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model))
              for model in (Body, Division, Venue, Official)}
    return render_template("reference/index.html", counts=counts)


# Bodies and their divisions

@admin_required
def bodies():
    sort = _sort_arg()
    return render_template("reference/bodies.html", records=_sorted(Body, sort), sort=sort,
                           kinds=BODY_KINDS)


@admin_required
def body_new():
    form = BodyForm()
    if form.validate_on_submit() and (body := _save(form, save_body, form.values())):
        flash(_("The body %(code)s was created.", code=body.code), "success")
        return redirect(url_for(".body", body_id=body.id))
    return _form_page(form, _("New body"), url_for(".bodies"))


@admin_required
def body(body_id: int):
    record = db.get_or_404(Body, body_id)
    return _body_page(record, DivisionForm(formdata=None))


def _body_page(record: Body, division_form):
    return render_template("reference/body.html", body=record, form=division_form,
                           kinds=BODY_KINDS)


@admin_required
def body_edit(body_id: int):
    record = db.get_or_404(Body, body_id)
    form = BodyForm(obj=record)
    if form.validate_on_submit() and _save(form, save_body, form.values(), record):
        flash(_("The body %(code)s was saved.", code=record.code), "success")
        return redirect(url_for(".body", body_id=record.id))
    return _form_page(form, _("Edit body %(code)s", code=record.code),
                      url_for(".body", body_id=record.id))


@admin_required
def division_new(body_id: int):
    record = db.get_or_404(Body, body_id)
    form = DivisionForm()
    if form.validate_on_submit() and (division := _save(
            form, save_division, {**form.values(), "body": record})):
        flash(_("The division %(code)s was added.", code=division.code), "success")
        return redirect(url_for(".body", body_id=record.id))
    return _body_page(record, form)


@admin_required
def division_edit(division_id: int):
    record = db.get_or_404(Division, division_id)
    form = DivisionForm(obj=record)
    if form.validate_on_submit() and _save(form, save_division, form.values(), record):
        flash(_("The division %(code)s was saved.", code=record.code), "success")
        return redirect(url_for(".body", body_id=record.body_id))
    return _form_page(form, _("Edit division %(code)s", code=record.code),
                      url_for(".body", body_id=record.body_id))


# Venues

@admin_required
def venues():
    sort = _sort_arg()
    return render_template("reference/venues.html", records=_sorted(Venue, sort), sort=sort,
                           kinds=VENUE_KINDS)


@admin_required
def venue_new():
    form = VenueForm()
    if form.validate_on_submit() and (venue := _save(form, save_venue, form.values())):
        flash(_("The venue %(code)s was created.", code=venue.code), "success")
        return redirect(url_for(".venues"))
    return _form_page(form, _("New venue"), url_for(".venues"))


@admin_required
def venue_edit(venue_id: int):
    record = db.get_or_404(Venue, venue_id)
    form = VenueForm(obj=record)
    if form.validate_on_submit() and _save(form, save_venue, form.values(), record):
        flash(_("The venue %(code)s was saved.", code=record.code), "success")
        return redirect(url_for(".venues"))
    return _form_page(form, _("Edit venue %(code)s", code=record.code), url_for(".venues"))


# Officials

@admin_required
def officials():
    sort = _sort_arg()
    return render_template("reference/officials.html", records=_sorted(Official, sort),
                           sort=sort, ranks=RANKS)


@admin_required
def official_new():
    form = OfficialForm()
    if form.validate_on_submit() and (official := _save(form, save_official, form.values())):
        flash(_("The official %(code)s was created.", code=official.code), "success")
        return redirect(url_for(".officials"))
    return _form_page(form, _("New official"), url_for(".officials"))


@admin_required
def official_edit(official_id: int):
    record = db.get_or_404(Official, official_id)
    form = OfficialForm(obj=record)
    if form.validate_on_submit() and _save(form, save_official, form.values(), record):
        flash(_("The official %(code)s was saved.", code=record.code), "success")
        return redirect(url_for(".officials"))
    return _form_page(form, _("Edit official %(code)s", code=record.code),
                      url_for(".officials"))
