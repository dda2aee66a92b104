"""Admin request routes: queue, detail with audit trail, and DPO actions."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

router = APIGatewayHttpRouter()
