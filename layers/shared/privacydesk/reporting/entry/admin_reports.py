"""Admin report routes: the compliance report (JSON and CSV)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from privacydesk.kernel.clock import utc_now
from privacydesk.reporting.domain import compliance_report
from privacydesk.requests.adapters.requests_store import RequestRepository

router = APIGatewayHttpRouter()


def _wants_csv(chosen: str | None) -> bool:
    if chosen is not None:
        return chosen == "csv"
    accept = (router.current_event.headers or {}).get("accept", "")
    return "text/csv" in accept.lower()


@router.get(
    "/v1/admin/reports/requests",
    summary="Compliance report over requests received in [from, to): JSON, or CSV with format=csv",
)
def requests_report(
    from_: Annotated[str, Query(alias="from", min_length=10, max_length=40)],
    to: Annotated[str, Query(min_length=10, max_length=40)],
    output: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
) -> Response[Any]:
    report = compliance_report.for_period(RequestRepository(), from_, to, utc_now())
    if _wants_csv(output):
        name = f"privacy-requests-{report.period_from.date()}-{report.period_to.date()}.csv"
        return Response(
            status_code=200,
            content_type="text/csv; charset=utf-8",
            body=compliance_report.to_csv(report),
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return Response(status_code=200, content_type="application/json", body=report.model_dump(mode="json"))
