"""The data map capability: which stores hold personal data, and one adapter per kind of store."""
