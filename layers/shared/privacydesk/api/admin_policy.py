"""Admin policy routes: publish versions, manage notices, notice delivery progress."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

router = APIGatewayHttpRouter()
