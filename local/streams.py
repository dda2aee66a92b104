"""DynamoDB stream event sources, delivered the way Lambda's stream poller does.

For each `Type: DynamoDB` event of a function in template.yaml, and each DynamoDB
`AWS::Lambda::EventSourceMapping` the stack creates (its Condition holds: an existing table's stream
whose ARN was given as a parameter): read the table's stream from
TRIM_HORIZON, keep the records its FilterCriteria match (eventName patterns), and invoke the
function with batches of at most BatchSize records shaped like Lambda's DynamoDB event. A batch
that fails (the handler raises, or reports `batchItemFailures`) is retried from its first failed
record on the next poll, up to MaximumRetryAttempts; then the records' positions go to the
OnFailure SQS destination, as Lambda sends them, and the shard moves on.

One poll makes at most one attempt per shard, so a test (or `make run`) sees retries happen over
time, as on AWS, instead of a failure burning every retry at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from local import sam_template
from local.provision import LocalStack
from privacydesk.kernel.observability import logger

Invoke = Callable[[str, Any], Any]


def matches(pattern: dict[str, Any], record: dict[str, Any]) -> bool:
    """EventBridge-style matching as Lambda filters use it: lists of allowed values, nested keys."""
    for key, allowed in pattern.items():
        value = record.get(key)
        if isinstance(allowed, dict):
            if not isinstance(value, dict) or not matches(allowed, value):
                return False
        elif value not in allowed:
            return False
    return True


@dataclass
class StreamSource:
    function: str
    stream_arn: str
    batch_size: int
    max_retries: int
    patterns: list[dict[str, Any]]
    on_failure_queue: str | None  # queue URL
    shard_id: str | None = None
    last_sequence: str | None = None  # of the last record read from the shard
    pending: list[dict[str, Any]] = field(default_factory=list)  # records read, not yet delivered
    failures: int = 0  # failed attempts of the batch at the head of `pending`


class StreamDelivery:
    def __init__(self, stack: LocalStack, invoke: Invoke) -> None:
        self.stack = stack
        self.invoke = invoke
        # botocore addresses stream calls to "<account>.streams-ddb..." which moto does not serve.
        config = Config(account_id_endpoint_mode="disabled")
        self.streams = boto3.client(
            "dynamodbstreams", region_name=stack.region, endpoint_url=stack.endpoint_url, config=config
        )
        self.sqs = boto3.client("sqs", region_name=stack.region, endpoint_url=stack.endpoint_url)
        self.sources: list[StreamSource] = []
        self._lock = threading.Lock()
        resolver = stack.resolver()
        for spec in sam_template.functions().values():
            for event in spec.events:
                if event.type == "DynamoDB":
                    props = event.properties
                    self.sources.append(self._source(spec.logical_id, resolver.resolve(props["Stream"]), props))
        for logical_id, resource in sam_template.load()["Resources"].items():
            if resource["Type"] != "AWS::Lambda::EventSourceMapping":
                continue
            if "Condition" in resource and not resolver.condition(resource["Condition"]):
                continue  # not created with these parameters (an existing table whose stream ARN is not given)
            props = resource["Properties"]
            source_arn = str(resolver.resolve(props["EventSourceArn"]))
            if ":dynamodb:" not in source_arn:
                continue  # only DynamoDB streams are delivered here
            function = props["FunctionName"]
            if not (isinstance(function, dict) and set(function) == {"Ref"}):
                raise ValueError(f"{logical_id}: the stand-in needs FunctionName as a Ref to a template function")
            self.sources.append(self._source(function["Ref"], source_arn, props))

    def _source(self, function: str, stream_arn: str, props: dict[str, Any]) -> StreamSource:
        """A SAM DynamoDB event's properties and a mapping's share these names (Stream vs EventSourceArn apart)."""
        resolver = self.stack.resolver()
        on_failure = (props.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
        return StreamSource(
            function=function,
            stream_arn=str(stream_arn),
            batch_size=int(props.get("BatchSize", 100)),
            max_retries=int(props.get("MaximumRetryAttempts", 3)),
            patterns=[json.loads(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", [])],
            on_failure_queue=self._queue_url(str(resolver.resolve(on_failure))) if on_failure else None,
        )

    def _queue_url(self, queue_arn: str) -> str:
        url: str = self.sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
        return url

    def poll(self, function: str | None = None) -> int:
        """One attempt per source (or `function`'s): returns how many records were offered."""
        offered = 0
        with self._lock:  # the dispatcher's poller and drain() share the sources' positions
            for source in self.sources:
                if function is None or source.function == function:
                    offered += self._poll_source(source)
        return offered

    def _read(self, source: StreamSource) -> None:
        # A fresh iterator after the last record seen, each poll: moto's failed transactions
        # restore a copy of the table (and its stream), which an old iterator would not see.
        if source.shard_id is None:
            shards = self._shards(source.stream_arn)
            if not shards:
                return
            source.shard_id = shards[0]  # a table's stream has one shard here
        position: dict[str, Any] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": source.last_sequence}
            if source.last_sequence
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self.streams.get_shard_iterator(StreamArn=source.stream_arn, ShardId=source.shard_id, **position)
        reply = self.streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)
        for record in reply.get("Records", []):
            source.last_sequence = record["dynamodb"]["SequenceNumber"]
            shaped = self._lambda_record(record, source.stream_arn)
            if not source.patterns or any(matches(p, shaped) for p in source.patterns):
                source.pending.append(shaped)

    def _shards(self, stream_arn: str) -> list[str]:
        description = self.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description.get("Shards", [])]

    def _poll_source(self, source: StreamSource) -> int:
        self._read(source)
        if not source.pending:
            return 0
        batch = source.pending[: source.batch_size]
        failed_from = self._attempt(source.function, batch)
        if failed_from is None:
            del source.pending[: len(batch)]
            source.failures = 0
            return len(batch)
        del source.pending[:failed_from]  # records before the first failure are done
        source.failures += 1
        if source.failures > source.max_retries:
            self._give_up(source, source.pending[: len(batch) - failed_from])
        return len(batch)

    def _attempt(self, function: str, batch: list[dict[str, Any]]) -> int | None:
        """None if every record succeeded, else the index of the first failed one."""
        try:
            result = self.invoke(function, {"Records": batch})
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - a crashed sandbox fails the whole batch
            logger.exception("stream batch failed", extra={"function": function})
            return 0
        failed = (
            {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
            if isinstance(result, dict)
            else set()
        )
        for index, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failed:
                return index
        return None

    def _give_up(self, source: StreamSource, records: list[dict[str, Any]]) -> None:
        """Lambda's OnFailure message: where the records are, never their content."""
        logger.warning(
            "stream records exhausted their retries", extra={"function": source.function, "records": len(records)}
        )
        if source.on_failure_queue and records:
            body = {
                "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": source.failures},
                "DDBStreamBatchInfo": {
                    "streamArn": source.stream_arn,
                    "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                    "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                    "batchSize": len(records),
                },
            }
            self.sqs.send_message(QueueUrl=source.on_failure_queue, MessageBody=json.dumps(body))
        del source.pending[: len(records)]
        source.failures = 0

    def _lambda_record(self, record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
        dynamodb = dict(record.get("dynamodb", {}))
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = created.astimezone(UTC).timestamp()
        return {
            "eventID": record.get("eventID"),
            "eventName": record.get("eventName"),
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": self.stack.region,
            "dynamodb": dynamodb,
            "eventSourceARN": stream_arn,
            **({"userIdentity": record["userIdentity"]} if "userIdentity" in record else {}),
        }
