"""Worker jobs of the schedules area (queue ``documents``)."""
from ..documents import get_renderer
from ..documents.hashing import data_hash
from ..engine.files import EngineFile, add_file_version
from ..extensions import db
from .feeds import poster_context
from .models import Schedule

POSTER_FILE = "poster"
KIND = "schedule_poster"


def poster_version(schedule: Schedule):
    """The stored poster (the latest version of the schedule's file ``poster``), or None."""
    file = db.session.execute(db.select(EngineFile).where(
        EngineFile.item_id == schedule.id, EngineFile.name == POSTER_FILE)).scalar()
    return file.current if file is not None else None


def render_poster(schedule_id: int) -> dict:
    """Render the bilingual A4 poster (R8) of a published schedule and store it as a generated
    file version of the schedule item. Idempotent: when the stored poster was made from the same
    template and data, nothing is rendered or added (a retry never makes a second version). ``run_job`` commits."""
    schedule = db.session.get(Schedule, schedule_id)
    if schedule is None or schedule.published_at is None:
        return {"status": "skipped", "reason": "not published"}
    context = poster_context(schedule)
    renderer = get_renderer()
    fingerprint = {"template_version": renderer.template_version(KIND),
                   "data_hash": data_hash(context)}
    current = poster_version(schedule)
    if current is not None and all((current.meta or {}).get(k) == v
                                   for k, v in fingerprint.items()):
        return {"status": "exists", "version": current.number}
    doc = renderer.render(KIND, context, language="kk",
                          title=f"{schedule.venue.name_kk} {schedule.month_code}")
    version = add_file_version(
        schedule, POSTER_FILE, doc.pdf, None, generated=True, text=doc.text or None,
        filename=f"schedule-{schedule.venue.code}-{schedule.month_code}-v{schedule.number}.pdf",
        meta={"template_version": doc.template_version, "data_hash": doc.data_hash,
              "media_type": "application/pdf", "pages": doc.pages})
    return {"status": "rendered", "version": version.number}
