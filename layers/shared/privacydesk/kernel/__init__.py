"""The shared kernel every capability may use: clock, settings, observability, AWS clients, errors."""
