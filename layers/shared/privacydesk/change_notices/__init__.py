"""The change notices capability."""
