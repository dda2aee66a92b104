"""The retention capability."""
