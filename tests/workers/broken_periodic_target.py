"""A module that exists but cannot be imported (test_periodic): its job must fail, not skip."""
import no_such_dependency  # noqa: F401


def run():  # pragma: no cover - never reached
    return None
