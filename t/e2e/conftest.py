import os

import pytest

from roost import Roost


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With ROOST_NO_SKIP=1 (CI) a skipped test is a failure: a run must
    never pass because something it needs was missing."""
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and not hasattr(rep, "wasxfail") and \
            os.environ.get("ROOST_NO_SKIP", "0") not in ("", "0"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) \
            else rep.longrepr
        rep.outcome = "failed"
        rep.longrepr = "skipped, and ROOST_NO_SKIP is set: %s" % (reason,)


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
