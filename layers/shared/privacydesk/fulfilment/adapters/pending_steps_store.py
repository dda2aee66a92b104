"""Where external steps live: inside the request they belong to (its outcome's "external_steps"),
so a step changes with its request in one audited, conditional write (requests table). Open steps
are found through the requests waiting on them (the by_status index), never by a scan.
"""

from __future__ import annotations

from datetime import datetime

from privacydesk.datamap.domain.model import DataMap
from privacydesk.fulfilment.domain.pending_steps import ManualTask, manual_tasks
from privacydesk.requests.domain.model import PrivacyRequest, RequestStatus
from privacydesk.requests.domain.ports import RequestStore

PAGE = 100


class PendingStepsStore:
    def __init__(self, requests: RequestStore) -> None:
        self.requests = requests

    def waiting(self, limit: int = 1000) -> list[PrivacyRequest]:
        """Requests parked on an external step, oldest deadline first."""
        found: list[PrivacyRequest] = []
        cursor = None
        while len(found) < limit:
            page, cursor = self.requests.page(
                status=RequestStatus.AWAITING_EXTERNAL_STEPS, due_before=None, limit=PAGE, cursor=cursor
            )
            found.extend(page)
            if not cursor:
                break
        return found[:limit]

    def open_tasks(self, datamap: DataMap, now: datetime) -> list[ManualTask]:
        tasks = [task for request in self.waiting() for task in manual_tasks(request, datamap, now)]
        return [task for task in tasks if task.state == "open"]

    def tasks_of(self, request_id: str, datamap: DataMap, now: datetime) -> list[ManualTask]:
        return manual_tasks(self.requests.require(request_id), datamap, now)
