"""The Plone-style document engine: items in containers, workflows as data, local roles,
versioned files, catalog search, audit and rules. It imports nothing from the reception domain."""


class Engine:
    """A Flask extension: `engine = Engine(); engine.init_app(app)`."""

    def init_app(self, app) -> None:
        app.extensions["docflow_engine"] = self


engine = Engine()
