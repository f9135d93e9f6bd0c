"""Rendering: template -> HTML -> PDF with WeasyPrint. No queue logic here."""


def init_app(app) -> None:
    pass
