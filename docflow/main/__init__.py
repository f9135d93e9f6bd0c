"""Start pages, language switching and the health check."""


def init_app(app) -> None:
    from ..auth.roles import role_label
    from .routes import bp

    app.register_blueprint(bp)
    app.jinja_env.globals["role_label"] = role_label
