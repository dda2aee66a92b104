"""The deadlines capability."""
