"""The reception domain: appeals, materials, schedules, receptions, surveys, reports."""


def init_app(app) -> None:
    pass
