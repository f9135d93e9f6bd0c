"""Start pages, language switching and the health check."""


def init_app(app) -> None:
    from ..auth.roles import role_label
    from .routes import bp

    app.register_blueprint(bp)
    app.jinja_env.globals["role_label"] = role_label
    # lets an area link to another's page only when that area is installed
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
