"""The audit trail's chain (audit.domain.trail), pure: each stream verifies as written, and any
edit, removal or transplant of a record is detected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from privacydesk.audit.domain.trail import AuditEvent, next_event, subject_stream, verify_chain

T0 = datetime(2027, 1, 4, 9, tzinfo=UTC)


def chain(stream: str, actions: list[str]) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    for n, action in enumerate(actions):
        previous = (events[-1].seq, events[-1].hash) if events else None
        events.append(next_event(stream, previous, at=T0 + timedelta(minutes=n), action=action, actor="dpo"))
    return events


def test_a_chain_written_link_by_link_verifies():
    assert verify_chain("req_1", chain("req_1", ["received", "verified", "completed"])).valid


def test_an_edited_detail_is_detected_as_tampering_at_its_record():
    events = chain(subject_stream("acct-1"), ["hold_set", "hold_cleared"])
    events[0] = events[0].model_copy(update={"details": {"reason": "something else"}})
    report = verify_chain(subject_stream("acct-1"), events)
    assert (report.valid, report.broken_at, report.reason) == (False, 1, "tampered")


def test_a_removed_record_is_detected_as_a_gap():
    events = chain("retention-sweep#accounts", ["retention.swept"] * 3)
    report = verify_chain("retention-sweep#accounts", [events[0], events[2]])
    assert (report.valid, report.broken_at, report.reason) == (False, 3, "gap")


def test_a_resealed_edit_breaks_the_next_records_link():
    events = chain("req_2", ["received", "verified", "completed"])
    events[1] = events[1].model_copy(update={"actor": "someone"}).sealed()
    report = verify_chain("req_2", events)
    assert (report.valid, report.broken_at, report.reason) == (False, 3, "prev_hash")


def test_a_record_copied_from_another_stream_does_not_verify_in_this_one():
    assert not verify_chain("req_other", chain("req_3", ["received"])).valid
