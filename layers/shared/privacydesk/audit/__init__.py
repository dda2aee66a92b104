"""The audit capability."""
