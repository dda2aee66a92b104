"""What an audit record is and how its chain is sealed and checked (pure: no AWS)."""
