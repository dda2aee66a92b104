"""What processors receive, which of them a completed request concerns, and their notices (pure)."""
