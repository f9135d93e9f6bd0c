"""Fixtures for the renderer tests: one warm renderer for the module (as a worker has)."""
import pytest

from docflow.documents.render import Renderer


@pytest.fixture(scope="session")
def renderer():
    return Renderer()
