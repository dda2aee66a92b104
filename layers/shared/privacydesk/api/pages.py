"""The public privacy page (HTML, no build step): /privacy, verification and status pages."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

router = APIGatewayHttpRouter()
