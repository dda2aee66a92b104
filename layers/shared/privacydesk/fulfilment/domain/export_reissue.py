"""The DPO reissues an Access export's download link (a requester lost it, or it leaked): a new
secret replaces the old one, which stops working at once. The new link expires when the old one
did, because the bucket deletes the copy then. It goes only where the request was proven (the
verified address, or by SMS to the verified number), as an outbox item of the audited reissue, so a
failure after the commit delays the message but never drops it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from privacydesk.fulfilment.domain.export_links import ExportGrantStore, download_url
from privacydesk.kernel.errors import Conflict, Gone
from privacydesk.requests.domain.intake import notify_address
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus, RequestType
from privacydesk.requests.domain.notifications import COMPANY, completed_email
from privacydesk.requests.domain.outbox import OutboxItem, email_item, sms_item
from privacydesk.requests.domain.ports import RequestServices
from privacydesk.requests.domain.tokens import challenge_for


def reissue_export_link(
    request_id: str, *, actor: str, now: datetime, services: RequestServices, grants: ExportGrantStore
) -> PrivacyRequest:
    request = services.requests.require(request_id)
    grant = grants.get(request_id)
    if request.type != RequestType.ACCESS or request.status != RequestStatus.COMPLETED or grant is None:
        raise Conflict("this request has no export to send again", code="no_export")
    expires = grant.challenge.expires_at
    if now >= expires:
        raise Gone("the export has expired and been deleted; the requester can ask again", code="export_expired")
    secret, fresh = challenge_for(request_id, grant.challenge.method, now)
    grants.save(replace(grant, challenge=replace(fresh, expires_at=expires)))
    link = download_url(services.config.public_base_url, request_id, secret)
    until = expires.strftime("%d %B %Y")
    address = notify_address(request)
    phone = request.subject.phone if request.verification_method == "sms_code" else None
    channel = "email" if address else "sms" if phone else "none"

    def new_link(audited: PrivacyRequest) -> list[OutboxItem]:
        if address:
            text = f"Here is a new link to your copy (the earlier one no longer works), valid until {until}: {link}"
            return [email_item("export_link", completed_email(address, audited, text))]
        if phone:
            text = f"{COMPANY}: a new link to your data copy, until {until}: {link}"
            return [sms_item("export_link_sms", request_id, phone, text)]
        return []

    return services.requests.change(
        request_id,
        lambda same: same,
        action="export_link_reissued",
        actor=actor,
        at=now,
        details={"channel": channel, "link_expires_at": expires.isoformat()},
        outbox=new_link,
    )
