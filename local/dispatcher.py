"""Delivers what AWS would deliver to Lambda: SQS event sources, EventBridge rules, schedules.

- SQS: long-polls each queue a function is wired to and sends batches shaped like Lambda's
  SQS event. Items listed in `batchItemFailures` (or every item, if the handler raises) are
  left for redelivery, so the queue's redrive policy moves poison messages to its DLQ (moto counts
  receives and moves a message on the receive after maxReceiveCount, as SQS does). They come back
  after the queue's VisibilityTimeout, or after `retry_after_seconds` when set (a time control for
  tests and `--retry-after`: real timeouts run to 90 minutes).
- EventBridge: moto matches each rule's pattern and puts the event on a local queue
  (see provision._route_eventbridge_rules); here it is handed to the function.
- Schedules: fire at their rate, and on demand through `tick()` (`make tick`).
- DynamoDB streams: the request outbox (and any other `Type: DynamoDB` source) is polled every
  `stream_poll_seconds` and delivered by local.streams, as Lambda's stream poller does.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from local import sam_template
from local.invoker import FunctionRunner
from local.streams import StreamDelivery
from privacydesk.kernel.observability import logger


@dataclass
class Schedule:
    function: str
    name: str
    interval_seconds: float | None
    input: str | None  # the JSON text of the schedule's Input, with Scheduler's <aws.scheduler.*> keywords
    next_at: float = 0.0


_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def interval_of(expression: str) -> float | None:
    found = re.fullmatch(r"rate\((\d+)\s+(\w+)\)", expression.strip())
    if found:
        return int(found.group(1)) * _UNITS[found.group(2)]
    return None  # cron(...) schedules fire on demand locally


def scheduled_event(rule: str, region: str, account: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/{rule}"],
        "detail": {},
    }


def scheduler_input(template: str, name: str, region: str, account: str) -> Any:
    """A Schedule's Input with EventBridge Scheduler's context keywords filled in, as Scheduler does."""
    values = {
        "<aws.scheduler.scheduled-time>": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.execution-id>": uuid.uuid4().hex[:16],
        "<aws.scheduler.schedule-arn>": f"arn:aws:scheduler:{region}:{account}:schedule/default/{name}",
        "<aws.scheduler.attempt-number>": "1",
    }
    for keyword, value in values.items():
        template = template.replace(keyword, value)
    return json.loads(template)


class Dispatcher:
    def __init__(
        self, runner: FunctionRunner, poll_seconds: float = 1.0, retry_after_seconds: int | None = None
    ) -> None:
        self.runner = runner
        self.retry_after_seconds = retry_after_seconds
        self.stack = runner.stack
        self.sqs = boto3.client("sqs", region_name=self.stack.region, endpoint_url=self.stack.endpoint_url)
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.sqs_sources: list[tuple[str, str, int]] = []  # (function, queue url, batch size)
        # Every failed invocation, in order: `make tick` reports those its run caused.
        self.failures: list[dict[str, str]] = []
        self._failures_lock = threading.Lock()
        self.schedules: list[Schedule] = []
        resolver = self.stack.resolver()
        for spec in sam_template.functions().values():
            for event in spec.events:
                props = event.properties
                if event.type == "SQS":
                    queue_arn = str(resolver.resolve(props["Queue"]))
                    url = self._queue_url(queue_arn)
                    self.sqs_sources.append((spec.logical_id, url, int(props.get("BatchSize", 10))))
                elif event.type in ("Schedule", "ScheduleV2"):
                    expression = props.get("Schedule") or props.get("ScheduleExpression", "")
                    raw_input = resolver.resolve(props["Input"]) if props.get("Input") else None
                    self.schedules.append(
                        Schedule(
                            spec.logical_id,
                            event.name,
                            interval_of(expression),
                            str(raw_input) if raw_input else None,
                        )
                    )
        for key, url in self.stack.eventbridge_queues.items():
            self.sqs_sources.append((key.split("/")[0], url, -1))  # -1: EventBridge envelope, one at a time
        self.streams = StreamDelivery(self.stack, self.runner.invoke)
        self.stream_poll_seconds = 0.1  # Lambda polls a stream about 4 times a second per shard

    def _queue_url(self, queue_arn: str) -> str:
        name = queue_arn.rsplit(":", 1)[-1]
        url: str = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return url

    def start(self) -> None:
        for function, url, batch in self.sqs_sources:
            thread = threading.Thread(target=self._poll_queue, args=(function, url, batch), daemon=True)
            thread.start()
            self._threads.append(thread)
        now = time.monotonic()
        for schedule in self.schedules:
            if schedule.interval_seconds:
                schedule.next_at = now + schedule.interval_seconds
        thread = threading.Thread(target=self._run_schedules, daemon=True)
        thread.start()
        self._threads.append(thread)
        self._start_stream_polling()

    def _start_stream_polling(self) -> None:
        def poll_streams() -> None:
            while not self._stop.wait(self.stream_poll_seconds):
                try:
                    self.streams.poll()
                except Exception:  # noqa: BLE001 - keep polling; the failure is logged
                    logger.exception("stream polling failed")

        thread = threading.Thread(target=poll_streams, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def record_failure(self, function: str, error: Exception) -> dict[str, str]:
        failure = {"function": function, "error": type(error).__name__, "message": str(error)}
        with self._failures_lock:
            self.failures.append(failure)
        return failure

    def failures_since(self, mark: int) -> list[dict[str, str]]:
        """Failures after `mark` (a previous `len(self.failures)`)."""
        with self._failures_lock:
            return list(self.failures[mark:])

    def tick(self, function: str | None = None) -> list[dict[str, Any]]:
        """Fire every schedule (or one function's) now; returns what each handler returned
        (a failed run's result is {"error": ...}, and the failure is recorded)."""
        fired = []
        for schedule in self.schedules:
            if function and schedule.function != function:
                continue
            fired.append({"function": schedule.function, "schedule": schedule.name, "result": self._fire(schedule)})
        return fired

    def drain(self, timeout: float = 30.0, function: str | None = None) -> None:
        """Process queued work until every source queue (or `function`'s) is empty (tests, `make tick`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = function is None and self.streams.poll() > 0
            for source, url, batch in self.sqs_sources:
                if function is not None and source != function:
                    continue
                if self._deliver_once(source, url, batch, wait=0):
                    busy = True
            if not busy:
                return

    def _fire(self, schedule: Schedule) -> Any:
        rule = f"{schedule.function}-{schedule.name}"
        event = (
            scheduler_input(schedule.input, rule, self.stack.region, self.stack.account)
            if schedule.input is not None
            else scheduled_event(rule, self.stack.region, self.stack.account)
        )
        try:
            return self.runner.invoke(schedule.function, event)
        except Exception as error:  # noqa: BLE001 - a failed run is reported, the loop goes on
            logger.exception("scheduled invocation failed", extra={"function": schedule.function})
            return {"error": self.record_failure(schedule.function, error)}

    def _run_schedules(self) -> None:
        while not self._stop.wait(1.0):
            now = time.monotonic()
            for schedule in self.schedules:
                if schedule.interval_seconds and now >= schedule.next_at:
                    schedule.next_at = now + schedule.interval_seconds
                    self._fire(schedule)

    def _poll_queue(self, function: str, url: str, batch: int) -> None:
        while not self._stop.is_set():
            try:
                self._deliver_once(function, url, batch, wait=1)
            except Exception as error:  # noqa: BLE001 - keep polling; the failure is logged
                logger.exception("delivery failed", extra={"function": function})
                self.record_failure(function, error)
                self._stop.wait(self.poll_seconds)

    def _deliver_once(self, function: str, url: str, batch: int, wait: int) -> bool:
        received = self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=max(1, min(batch, 10)),
            WaitTimeSeconds=wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return False
        if batch == -1:
            for message in received:
                try:
                    self.runner.invoke(function, json.loads(message["Body"]))
                except Exception as error:  # noqa: BLE001 - Lambda retries async events; the message stays
                    logger.exception("event delivery failed", extra={"function": function})
                    self.record_failure(function, error)
                    self._retry_later(url, [message])
                    continue
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return True
        event = {"Records": [self._sqs_record(message, url) for message in received]}
        try:
            result = self.runner.invoke(function, event)
        except Exception as error:  # noqa: BLE001 - the whole batch becomes visible again
            logger.exception("batch failed", extra={"function": function})
            self.record_failure(function, error)
            self._retry_later(url, received)
            return True
        failed = (
            {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
            if isinstance(result, dict)
            else set()
        )
        for message in received:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        self._retry_later(url, [m for m in received if m["MessageId"] in failed])
        return True

    def _retry_later(self, url: str, messages: list[dict[str, Any]]) -> None:
        """Failed messages come back after `retry_after_seconds` (else the queue's VisibilityTimeout)."""
        if self.retry_after_seconds is None:
            return
        for message in messages:
            self.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=self.retry_after_seconds
            )

    def _sqs_record(self, message: dict[str, Any], url: str) -> dict[str, Any]:
        name = url.rsplit("/", 1)[-1]
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                key: {"stringValue": value.get("StringValue"), "dataType": value.get("DataType", "String")}
                for key, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{self.stack.region}:{self.stack.account}:{name}",
            "awsRegion": self.stack.region,
        }
