"""The policy capability."""
