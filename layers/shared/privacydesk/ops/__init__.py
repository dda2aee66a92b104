"""The operator capability."""
