"""Rendering: template -> HTML -> PDF with WeasyPrint. No queue logic here.

Generated documents are the applicant's and the government's copy of a decision: reply letters
(R29), reference briefs (R26), schedule posters (R8) and quarterly reports (R40). Callers build a
plain context dict (``docflow.documents.contexts`` documents each kind) and call::

    doc = render_pdf("reply_letter", context, language="kk", title="...")
    doc.pdf, doc.template_version, doc.data_hash, doc.pages

Workers call it; this package knows nothing of queues, the database or the signed-in user.
"""
from .contexts import KINDS
from .render import RenderedDocument, Renderer, get_renderer, render_pdf, warm_up

__all__ = ["KINDS", "RenderedDocument", "Renderer", "get_renderer", "render_pdf", "warm_up"]


def init_app(app) -> None:
    """Nothing to bind: the renderer is per process and built on first use (or ``warm_up()``
    in a worker), so web processes that never render pay nothing at start-up."""
