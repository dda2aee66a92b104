"""Logger, Metrics and Tracer singletons shared by every function.

Logs carry ids only, never emails, phones or names (see SECURITY.md).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
