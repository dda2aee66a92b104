"""Requests with known clocks written straight through the repository (frozen-time tests)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from privacydesk.requests.adapters.requests_store import RequestRepository
from privacydesk.requests.domain.deadlines import clocks_for
from privacydesk.requests.domain.model import Channel, PrivacyRequest, RequestStatus, RequestType, Subject


def stored(
    request_type: RequestType,
    received: datetime,
    status: RequestStatus,
    email: str,
    channel: Channel = Channel.API,
    **changes: Any,
) -> PrivacyRequest:
    """A request received at `received` (clocks as intake computes them), stored with its audit event."""
    clocks = clocks_for(received)
    request = PrivacyRequest(
        request_id=f"req_{uuid.uuid4().hex}",
        type=request_type,
        status=status,
        channel=channel,
        subject=Subject(email=email),
        received_at=received,
        acknowledge_by=clocks.acknowledge_by,
        respond_by=clocks.respond_by,
        policy_version="2025-11-30",
        datamap_version="1",
    )
    request = request.model_copy(update=changes)
    return RequestRepository().create(request, actor="test", details={}, challenge=None)
