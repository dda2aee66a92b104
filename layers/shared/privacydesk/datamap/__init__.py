"""The datamap capability."""
