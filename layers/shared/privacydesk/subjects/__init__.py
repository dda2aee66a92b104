"""The subjects capability."""
