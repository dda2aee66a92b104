"""The email intake capability."""
