"""The retention schedule: periods, anchors and methods from the data map, and the sweep's position."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from privacydesk.datamap.domain import retention_schedule as retention
from privacydesk.datamap.domain.model import ErasureMethod, load_datamap
from privacydesk.datamap.domain.retention_schedule import Checkpoint
from privacydesk.retention.domain.ttl_accounting import group, is_ttl_deletion, table_of

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
RULES = retention.schedule(load_datamap())


@pytest.mark.parametrize(
    ("store", "days", "method"),
    [
        ("technical_events", 90, ErasureMethod.DELETE),
        ("message_logs", 180, ErasureMethod.ANONYMIZE),
        ("api_usage", 395, ErasureMethod.DELETE),
        ("accounts", 365, ErasureMethod.DELETE),
        ("billing_records", 3653, ErasureMethod.DELETE),
    ],
)
def test_the_schedule_keeps_each_store_for_its_documented_period(store, days, method):
    rule = RULES[store]
    assert (rule.period_days, rule.method) == (days, method)
    assert rule.reason
    assert rule.legal_basis


def test_billing_records_survive_an_erasure_request_for_the_legal_period():
    billing = load_datamap().store("billing_records")
    assert billing.erasure.method == ErasureMethod.KEEP
    assert "Sec. 235" in billing.erasure.reason


def test_a_technical_event_is_due_90_days_after_it_happened():
    at = NOW - timedelta(days=10)
    assert RULES["technical_events"].due_at({"at": at.isoformat()}) == at + timedelta(days=90)


def test_an_open_account_never_expires_and_a_closed_one_a_year_after_closing():
    accounts = RULES["accounts"]
    assert accounts.due_at({"closed_at": None}) is None
    closed = NOW - timedelta(days=3)
    assert accounts.due_at({"closed_at": closed}) == closed + timedelta(days=365)


def test_anonymized_stores_leave_ttl_a_backstop_after_the_sweep_is_due():
    logs = RULES["message_logs"]
    due = NOW
    assert logs.ttl_for(due) == int(due.timestamp()) + 7 * 86_400
    assert not logs.is_live({"expires_at": logs.ttl_for(NOW - timedelta(seconds=1))}, NOW)
    assert logs.is_live({"expires_at": logs.ttl_for(NOW + timedelta(hours=1))}, NOW)
    assert logs.is_live({}, NOW)  # anonymized: no TTL, visible again


def test_an_override_changes_one_store_and_an_unknown_store_is_refused():
    overridden = retention.schedule(load_datamap(), retention.parse_overrides("technical_events=30"))
    assert overridden["technical_events"].period_days == 30
    assert overridden["technical_events"].overridden
    assert overridden["message_logs"].period_days == 180
    with pytest.raises(ValueError, match="unknown stores"):
        retention.schedule(load_datamap(), {"no_such_store": 3})
    with pytest.raises(ValueError, match="store=days"):
        retention.parse_overrides("technical_events=0")


def test_privacy_request_records_expire_three_years_after_closing():
    closed = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert retention.request_record_expiry(closed) == closed + timedelta(days=1095)


def test_an_item_already_due_when_written_goes_under_todays_index_day():
    assert retention.index_day(NOW - timedelta(days=40), NOW) == NOW.date()
    assert retention.index_day(NOW + timedelta(days=40), NOW) == (NOW + timedelta(days=40)).date()


# ------------------------------------------------------------------ the sweep's position

TODAY = NOW.date()


def test_a_page_with_more_to_read_stays_on_its_shard():
    position = retention.after_page(Checkpoint(TODAY, 3), '{"k": 1}', NOW, 8)
    assert position == Checkpoint(TODAY, 3, '{"k": 1}')


def test_a_finished_past_day_moves_on_to_the_next_day():
    assert retention.after_page(Checkpoint(TODAY - timedelta(days=2), 7), None, NOW, 8) == Checkpoint(
        TODAY - timedelta(days=1)
    )


def test_a_finished_pass_over_today_is_marked_complete():
    position = retention.after_page(Checkpoint(TODAY, 7), None, NOW, 8)
    assert position.shard == 8
    assert position.completed_at == retention.epoch_ms(NOW)


def test_a_continuation_skips_a_store_its_run_finished_but_a_new_run_passes_today_again():
    finished = Checkpoint(TODAY, 8, completed_at=retention.epoch_ms(NOW))
    assert retention.resume_from(finished, TODAY, 8, run_started=retention.epoch_ms(NOW - timedelta(minutes=5))) is None
    later_run = retention.epoch_ms(NOW + timedelta(hours=1))
    assert retention.resume_from(finished, TODAY, 8, run_started=later_run) == Checkpoint(TODAY)


def test_yesterdays_partial_pass_gets_a_final_pass_the_next_day():
    yesterday = TODAY - timedelta(days=1)
    finished = Checkpoint(yesterday, 8, completed_at=retention.epoch_ms(NOW - timedelta(days=1)))
    assert retention.resume_from(finished, TODAY, 8, run_started=retention.epoch_ms(NOW)) == Checkpoint(yesterday)


def test_a_first_sweep_starts_a_lookback_before_today():
    assert retention.first_checkpoint(date(2026, 11, 28), 7) == Checkpoint(date(2026, 11, 21))


# ------------------------------------------------------------------ TTL accounting


def _remove(principal: str | None, sequence: str, at: float) -> dict:
    record = {
        "eventName": "REMOVE",
        "eventSourceARN": "arn:aws:dynamodb:ap-southeast-1:1:table/tech/stream/2026",
        "dynamodb": {
            "ApproximateCreationDateTime": at,
            "SequenceNumber": sequence,
            "Keys": {"account_id": {"S": "a1"}, "event_id": {"S": sequence}},
            "OldImage": {"ip_address": {"S": "203.0.113.1"}},
        },
    }
    if principal:
        record["userIdentity"] = {"type": "Service", "principalId": principal}
    return record


def test_only_removals_by_the_dynamodb_service_count_as_ttl_deletions():
    assert is_ttl_deletion(_remove("dynamodb.amazonaws.com", "1", 0))
    assert not is_ttl_deletion(_remove(None, "1", 0))
    assert not is_ttl_deletion(_remove("someone-else", "1", 0))
    assert table_of("arn:aws:dynamodb:r:1:table/privacydesk-x/stream/2026-01-01") == "privacydesk-x"


def test_ttl_deletions_are_grouped_per_store_and_day_with_key_ids_only():
    store = load_datamap().store("technical_events")
    day_one = NOW.timestamp()
    day_two = (NOW + timedelta(days=1)).timestamp()
    records = [
        _remove("dynamodb.amazonaws.com", "300", day_one),
        _remove("dynamodb.amazonaws.com", "200", day_one),
        _remove("dynamodb.amazonaws.com", "400", day_two),
        _remove(None, "500", day_two),
    ]
    batches = {b.day: b for b in group(records, {"tech": store})}
    assert batches[NOW.date()].first_sequence == 200
    assert batches[NOW.date()].item_keys == ["account_id=a1|event_id=300", "account_id=a1|event_id=200"]
    assert len(batches[(NOW + timedelta(days=1)).date()].item_keys) == 1
    assert "203.0.113.1" not in str(batches)


def test_a_forty_digit_stream_sequence_number_still_keys_an_audit_record():
    store = load_datamap().store("technical_events")
    forty_digits = "1" + "0" * 30 + "123456789"
    (batch,) = group([_remove("dynamodb.amazonaws.com", forty_digits, NOW.timestamp())], {"tech": store})
    assert batch.first_sequence < 10**38
    assert str(batch.first_sequence).endswith("123456789")
