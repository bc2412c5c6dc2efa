import pytest

from roost import Roost


@pytest.fixture(scope="module")
def roost():
    """One running instance shared by a module's read-only tests."""
    r = Roost()
    try:
        r.start()
        yield r
    finally:
        r.finish()


@pytest.fixture
def fresh():
    """A not-yet-started instance of the test's own; always stopped."""
    r = Roost()
    try:
        yield r
    finally:
        r.finish()


@pytest.fixture(scope="module")
def held_queue(roost):
    """For modules that read the entries they queue: qmgr stays down, so
    nothing is delivered (and removed) while they look."""
    roost.service("qmgr", False)
    yield
    roost.service("qmgr", True)
