"""Entry points for scheduled and stream-driven functions: each wires one logic function to its
dal and integration ports, records the outcome (audit, metrics) and returns a plain summary.
They play for jobs the part `api/` plays for HTTP routes."""
