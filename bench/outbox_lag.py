"""[issue 16] The lag the outbox adds: from a request's commit to its event on the bus, and to the
fulfilment function starting, on the stand-in (moto's server on loopback, each function in its own
worker, the real dispatcher polling the outbox stream and the fulfilment queue), beside the
direct-publish path that the outbox replaced (commit, then PutEvents from the same call) as the
baseline. Also counts what each outbox item
costs (DynamoDB writes, consumer invocations) for bench/cost_model.py.

On AWS the stream adds its own propagation (typically well under a second; Lambda polls each
shard about four times a second); locally the dispatcher polls every 0.1 s.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from bench.common import BenchResult, Figure

REQUESTS = int(os.environ.get("BENCH_OUTBOX_REQUESTS", 15))
TIMEOUT = 20.0


def _median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1) if values else float("nan")


def main() -> None:
    import json
    import logging

    from moto.server import ThreadedMotoServer

    from bench.first_response import _free_port
    from tests.support.harness import fake_aws_environment

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the server's request log
    fake_aws_environment()
    from local.dispatcher import Dispatcher
    from local.invoker import FunctionRunner
    from local.provision import provision

    bus_at: dict[str, float] = {}
    fulfil_at: dict[str, float] = {}
    fulfil_done: set[str] = set()
    invocations: Counter[str] = Counter()
    lock = threading.Lock()

    # As `make run`: moto's server on loopback, each function in a worker process of its own. This
    # process commits as the public API would; the outbox consumer publishes from its own worker, so
    # its event is on the bus when its invocation returns.
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        stack = provision(endpoint_url=endpoint)
        runner = FunctionRunner(stack, extra_env={"PUBLIC_BASE_URL": "http://127.0.0.1:3000"})
        runner.activate("PublicApiFunction")

        from privacydesk.kernel.event_bus import EventBridgePublisher
        from privacydesk.kernel.events import DomainEvent

        original_publish = EventBridgePublisher.publish

        def timed_publish(self: EventBridgePublisher, *events: DomainEvent) -> None:
            original_publish(self, *events)  # the baseline: published by the committing call itself
            with lock:
                for event in events:
                    if event.detail_type == "Request.Verified":
                        bus_at.setdefault(str(getattr(event, "request_id", "")), time.perf_counter())

        EventBridgePublisher.publish = timed_publish  # type: ignore[method-assign]

        original_invoke = runner.invoke

        def timed_invoke(logical_id: str, event: Any) -> Any:
            invocations[logical_id] += 1
            carried = json.dumps(event)
            with lock:
                mine = [request_id for request_id in pending if request_id in carried]
            if logical_id == "FulfilmentFunction":
                now = time.perf_counter()
                with lock:
                    for request_id in mine:
                        fulfil_at.setdefault(request_id, now)
            try:
                return original_invoke(logical_id, event)
            finally:
                if logical_id == "RequestOutboxFunction":
                    now = time.perf_counter()
                    with lock:
                        for request_id in mine:
                            bus_at.setdefault(request_id, now)
                if logical_id == "FulfilmentFunction":
                    fulfil_done.update(mine)

        pending: set[str] = set()
        runner.invoke = timed_invoke  # type: ignore[method-assign]
        dispatcher = Dispatcher(runner, poll_seconds=0.1)
        dispatcher.start()
        try:
            marks = (pending, bus_at, fulfil_at, fulfil_done)
            direct = _run(stack, runner, marks, invocations, through_outbox=False)
            outbox = _run(stack, runner, marks, invocations, through_outbox=True)
        finally:
            dispatcher.stop()
            EventBridgePublisher.publish = original_publish  # type: ignore[method-assign]
            runner.close()
    finally:
        server.stop()

    result = BenchResult(
        "outbox lag (commit -> bus -> fulfilment, stand-in)",
        details={
            "requests": REQUESTS,
            "outbox": outbox,
            "direct": direct,
            "explanation": (
                "Each request's Request.Verified is committed with the request (outbox item) and put on the "
                "bus by request_outbox from the outbox table's stream; the baseline commits and publishes in "
                "the same call, as before issue 16. Medians over "
                f"{REQUESTS} requests; the stand-in's dispatcher polls the stream every 0.1 s and long-polls "
                "the fulfilment queue, so both paths share the queue's delay."
            ),
        },
    )
    result.figures += [
        Figure(
            # for the outbox: until its consumer's invocation returns (the event is on the bus by then)
            "commit -> event on the bus",
            outbox["to_bus_ms"],
            "ms",
            baseline=direct["to_bus_ms"],
            baseline_label="publish after commit",
            goal="< 1000 ms",
            ok=outbox["to_bus_ms"] < 1000,
        ),
        Figure(
            "commit -> fulfilment starts",
            outbox["to_fulfilment_ms"],
            "ms",
            baseline=direct["to_fulfilment_ms"],
            baseline_label="publish after commit",
            goal="< 2000 ms",
            ok=outbox["to_fulfilment_ms"] < 2000,
        ),
        Figure("outbox items / verify", outbox["items_per_commit"], "items"),
        Figure(
            "DynamoDB writes / outbox item",
            outbox["writes_per_item"],
            "writes",
            note="put in the transaction + claim + delivered",
        ),
        Figure(
            "consumer invocations / request",
            outbox["consumer_invocations_per_commit"],
            "invocations",
            note="the verify and the completion commits",
        ),
    ]
    result.emit()


def _run(
    stack: Any,
    runner: Any,
    marks: tuple[set[str], dict[str, float], dict[str, float], set[str]],
    invocations: Counter[str],
    *,
    through_outbox: bool,
) -> dict[str, float]:
    from privacydesk.bootstrap import request_services
    from privacydesk.kernel.events import RequestVerified
    from privacydesk.requests.adapters.requests_store import RequestRepository
    from privacydesk.requests.domain import lifecycle
    from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus, RequestType
    from tests.support.stored_requests import stored

    pending, bus_at, fulfil_at, fulfil_done = marks
    # The baseline publishes from the function, as before issue 16: one whose role and variables have the
    # bus (the public API's no longer do); the outbox path commits as the public API does.
    runner.activate("PublicApiFunction" if through_outbox else "DeadlineMonitorFunction")
    services = request_services()
    committed: dict[str, float] = {}
    before = invocations["RequestOutboxFunction"]
    outbox_items = 0
    for _ in range(REQUESTS):
        email = f"bench-{uuid.uuid4().hex[:10]}@example.org"
        request = stored(RequestType.DELETE, datetime.now(UTC), RequestStatus.PENDING_VERIFICATION, email)
        rid = request.request_id
        now = datetime.now(UTC)

        def verified(current: PrivacyRequest, now: datetime = now) -> PrivacyRequest:
            return current.model_copy(
                update={"status": RequestStatus.VERIFIED, "verified_at": now, "verification_method": "email_link"}
            )

        pending.add(rid)
        if through_outbox:
            done = lifecycle.commit(services, rid, "verified", verified, actor="requester", now=now)
            committed[rid] = time.perf_counter()
            outbox_items += len(lifecycle.consequences("verified", done, now))
        else:
            done = RequestRepository().change(rid, verified, action="verified", actor="requester", at=now)
            committed[rid] = time.perf_counter()
            services.events.publish(lifecycle.request_event(RequestVerified, done, now))
        # The stand-in runs one function at a time: let this request's fulfilment finish first, so
        # the next commit's lag is not the previous request's fulfilment.
        deadline = time.perf_counter() + TIMEOUT
        while rid not in fulfil_done and time.perf_counter() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
    to_bus = [bus_at[r] - t for r, t in committed.items() if r in bus_at]
    to_fulfil = [fulfil_at[r] - t for r, t in committed.items() if r in fulfil_at]
    consumer = invocations["RequestOutboxFunction"] - before
    return {
        "to_bus_ms": _median_ms(to_bus),
        "to_fulfilment_ms": _median_ms(to_fulfil),
        "delivered": float(len(to_fulfil)),
        "items_per_commit": round(outbox_items / REQUESTS, 2) if through_outbox else 0.0,
        # By construction (requests/adapters/outbox_store.py): the put in the change's transaction, the claim, the mark.
        "writes_per_item": 3.0 if through_outbox else 0.0,
        "consumer_invocations_per_commit": round(consumer / REQUESTS, 2),
    }


if __name__ == "__main__":
    main()
