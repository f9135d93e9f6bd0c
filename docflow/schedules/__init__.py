"""Monthly reception schedules (R7-1, R8): prepared, approved by the Office of the Government,
published in Kazakh and Russian."""


def init_app(app) -> None:
    pass
