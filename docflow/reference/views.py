"""Admin pages for reference data (R2, R2-1, R4, R8). Thin: load (404), check (admin_required,
403), save through ``operations`` and commit once; a refusal goes back onto the form's fields."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..sorting import list_args, order_by, parse_sort
from . import upload
from .access import admin_required
from .forms import BODY_KINDS, RANKS, VENUE_KINDS, BodyForm, DivisionForm, OfficialForm, VenueForm
from .models import Body, Division, Official, Venue
from .operations import ReferenceDataError, save_body, save_division, save_official, save_venue


def _lang() -> str:
    return "kk" if str(get_locale()) == "kk" else "ru"


def _body_code(model):
    return db.select(Body.code).where(Body.id == model.body_id).scalar_subquery()


def sort_columns(model) -> dict:
    """The sort keys of a reference list (a whitelist, see docflow/sorting.py): names in the
    user's language; the id breaks ties."""
    lang = _lang()
    if model is Official:
        name = [getattr(Official, f"last_name_{lang}"), getattr(Official, f"first_name_{lang}")]
    else:
        name = getattr(model, f"name_{lang}")
    columns = {"code": model.code, "name": name, "status": model.active}
    if model is Body:
        columns |= {"kind": Body.kind, "bin": Body.bin,
                    "divisions": db.select(db.func.count(Division.id))
                    .where(Division.body_id == Body.id).scalar_subquery()}
    elif model is Venue:
        columns |= {"kind": Venue.kind, "body": _body_code(Venue), "hours": Venue.opens}
    else:
        columns |= {"position": getattr(Official, f"position_{lang}"), "rank": Official.rank,
                    "body": _body_code(Official)}
    return columns


#: Filters of the reference lists from the URL: q (words in the code or the name), status.
STATUSES = ("active", "inactive")


def _conditions(model, args) -> list:
    conds = []
    status = args.get("status", "")
    if status in STATUSES:
        conds.append(model.active.is_(status == "active"))
    words = (args.get("q") or "").strip()[:100]
    if words:
        if model is Official:
            fields = [Official.code, Official.last_name_kk, Official.last_name_ru,
                      Official.first_name_kk, Official.first_name_ru]
        else:
            fields = [model.code, model.name_kk, model.name_ru]
        pattern = f"%{words.replace(chr(92), '').replace('%', '').replace('_', '')}%"
        conds.append(db.or_(*(f.ilike(pattern) for f in fields),  # ilike: ASCII on SQLite
                            *(f.like(pattern) for f in fields)))
    return conds


def listing(model, args) -> dict:
    """One reference list: its records filtered and sorted on the server, the total of records
    the filters find, the sort and the arguments links keep."""
    columns = sort_columns(model)
    sort = parse_sort(args, columns, "code")
    conds = _conditions(model, args)
    records = list(db.session.execute(db.select(model).where(*conds)
                                      .order_by(*order_by(sort, columns, model.id))).scalars())
    return {"records": records, "sort": sort, "q": (args.get("q") or "")[:100],
            "status": args.get("status", "") if args.get("status") in STATUSES else "",
            "args": list_args(args, drop=("page", "sort", "dir", "lang"))}


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
    return render_template("reference/bodies.html", kinds=BODY_KINDS,
                           **listing(Body, request.args))


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
    return render_template("reference/venues.html", kinds=VENUE_KINDS,
                           **listing(Venue, request.args))


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
    return render_template("reference/officials.html", ranks=RANKS,
                           **listing(Official, request.args))


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


# Import from a CSV file, as a background job

class ImportForm(FlaskForm):
    file = FileField(_l("CSV file (UTF-8)"),
                     validators=[FileRequired(message=_l("Choose the CSV file to import."))])


@admin_required
def import_page():
    """Upload a CSV file: it is checked and imported by a background job whose progress and
    outcome (the bad rows with their lines, or the counts) show here, updated in place."""
    form = ImportForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            storage = form.file.data
            data = storage.read(upload.max_bytes() + 1)
            try:
                text = upload.check_csv(storage.filename, data)
            except upload.UploadRefused as exc:
                form.file.errors = [*form.file.errors, str(exc)]
            else:
                upload.start_import(text, current_user, str(get_locale()))
                db.session.commit()
                flash(_("The file was received; it is being checked and imported."), "success")
                return redirect(url_for(".import_page"), 303)
    return render_template("reference/import.html", form=form,
                           job=upload.latest_import(current_user),
                           limit=upload.max_bytes() // (1024 * 1024)), status
