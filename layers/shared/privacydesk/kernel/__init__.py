"""The shared kernel: what every capability uses (clock, settings, observability, AWS clients)."""
