"""Fast tests: the core flows on in-memory fakes of the ports (tests/support/fakes.py), no moto.

Every test here is marked `fast` (pytestmark) and must stay well under 50 ms: the budget is checked per test, in
CPU time of this process, so a busy machine (other workers, other jobs) does not make it flaky.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from privacydesk.requests.domain import intake
from privacydesk.requests.domain.model import Channel, RequestType
from tests.support.fakes import FakeDesk

BUDGET_SECONDS = 0.05


@pytest.fixture(scope="session", autouse=True)
def _warm() -> None:
    """Pay, untimed, what a process pays once: the data map parsed, and the lazy imports of the
    holiday calendar, the email validator and the phone number metadata on a first submit, and the
    modules fulfilment loads on first use (processors' map, external steps)."""
    import privacydesk.fulfilment.domain.pending_steps
    import privacydesk.processors.domain.decision
    import privacydesk.processors.domain.notices  # noqa: F401
    from privacydesk.processors.domain.model import load_processors

    load_processors()
    desk = FakeDesk()
    for contact in ({"email": "warm@example.org"}, {"phone": "+639170000000"}):
        new = intake.NewRequest(type=RequestType.ACCESS, **contact)
        intake.submit(new, channel=Channel.API, now=desk.now, services=desk.services())


@pytest.fixture(autouse=True)
def _within_budget(request: pytest.FixtureRequest) -> Iterator[None]:
    """A fast test that takes 50 ms or more has stopped being one (setup of the desk included)."""
    started = time.process_time()
    yield
    spent = time.process_time() - started
    if spent >= BUDGET_SECONDS and not request.config.getoption("--pdb", default=False):
        pytest.fail(f"{request.node.name} took {spent * 1000:.0f} ms (a fast test stays under 50 ms)")
