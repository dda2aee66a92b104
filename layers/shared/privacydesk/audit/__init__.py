"""The audit capability: one hash-chained trail for every stream of the AuditTable (a request's
changes, a subject's legal holds, retention sweeps and TTL deletions)."""
