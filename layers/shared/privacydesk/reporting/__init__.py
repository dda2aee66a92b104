"""The reporting capability."""
