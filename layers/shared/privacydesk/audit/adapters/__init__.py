"""The AuditTable: the one PynamoDB model of it, and its writes and reads."""
