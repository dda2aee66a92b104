"""Download secrets of Access exports (fulfilment.domain.export_links), in the tokens table beside the
verification challenges: one item per request, `token_id` "export#<request id>"."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import UpdateError

from privacydesk.fulfilment.domain.export_links import ExportGrant
from privacydesk.kernel.dynamo import condition_failed, table
from privacydesk.requests.adapters.requests_store import ChallengeRecord, challenge_fields, iso


def grant_id(request_id: str) -> str:
    return f"export#{request_id}"


@table("tokens_table")
class ExportGrantRecord(ChallengeRecord):
    class Meta:
        table_name = "tokens"

    request_id = UnicodeAttribute()  # the secret's hash is keyed by it
    bucket = UnicodeAttribute()
    object_key = UnicodeAttribute()

    def to_grant(self) -> ExportGrant:
        challenge = replace(self.to_domain(), request_id=self.request_id)
        return ExportGrant(challenge=challenge, bucket=self.bucket, key=self.object_key)


class ExportGrants:
    """Implements fulfilment.domain.export_links.ExportGrantStore."""

    def save(self, grant: ExportGrant) -> None:
        """Replaces the request's earlier grant, if any (a repeated fulfilment mails a new link)."""
        ExportGrantRecord(
            token_id=grant_id(grant.request_id),
            request_id=grant.request_id,
            bucket=grant.bucket,
            object_key=grant.key,
            **challenge_fields(grant.challenge),
        ).save()

    def get(self, request_id: str) -> ExportGrant | None:
        try:
            return ExportGrantRecord.get(grant_id(request_id), consistent_read=True).to_grant()
        except ExportGrantRecord.DoesNotExist:
            return None

    def revoke(self, request_id: str, now: datetime) -> bool:
        """End a grant now (its subject was erased): the link then answers 410 like an expired one.
        The item stays until its TTL, so the answer is the same for the link's remaining life."""
        try:
            ExportGrantRecord(token_id=grant_id(request_id)).update(
                actions=[ExportGrantRecord.valid_until.set(iso(now))],
                condition=ExportGrantRecord.token_id.exists() & (ExportGrantRecord.valid_until > iso(now)),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return False  # no grant, or already expired
        return True
