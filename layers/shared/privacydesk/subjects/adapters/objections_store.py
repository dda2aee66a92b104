"""The objection registry's table: one item per subject reference, a map of purposes."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import MapAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.subjects.domain.ports import Objection


@table("subject_preferences_table")
class SubjectPreferenceRecord(Model):
    class Meta:
        table_name = "subject-preferences"

    subject_ref = UnicodeAttribute(hash_key=True)  # sha256 of the subject's canonical identity
    purposes = MapAttribute[str, object](default=dict)  # purpose -> {objected, at, request_id}
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()  # optimistic lock: PynamoDB saves on the condition it did not move


class ObjectionRegistry:
    def get(self, subject_ref: str) -> dict[str, Objection]:
        try:
            record = SubjectPreferenceRecord.get(subject_ref, consistent_read=True)
        except SubjectPreferenceRecord.DoesNotExist:
            return {}
        found: dict[str, Objection] = {}
        for purpose, raw in record.purposes.as_dict().items():
            entry = dict(raw)
            found[purpose] = Objection(
                purpose=purpose,
                objected=bool(entry.get("objected")),
                at=datetime.fromisoformat(str(entry["at"])),
                request_id=str(entry["request_id"]) if entry.get("request_id") else None,
            )
        return found

    def record(self, subject_ref: str, objections: list[Objection]) -> None:
        """Merge these purposes into the subject's map; a version check makes concurrent changes retry."""
        if not objections:
            return
        for _ in range(5):
            try:
                record = SubjectPreferenceRecord.get(subject_ref, consistent_read=True)
            except SubjectPreferenceRecord.DoesNotExist:
                record = SubjectPreferenceRecord(subject_ref=subject_ref, purposes={})
            purposes = dict(record.purposes.as_dict() if record.purposes else {})
            for o in objections:
                purposes[o.purpose] = {"objected": o.objected, "at": o.at.isoformat(), "request_id": o.request_id or ""}
            record.purposes = purposes
            record.updated_at = max(o.at for o in objections)
            try:
                record.save()
                return
            except PutError as error:
                if not condition_failed(error):
                    raise
        raise RuntimeError("the objection registry kept changing; try again")
