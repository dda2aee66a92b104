"""The requests capability: a request's lifecycle (each transition with its audit action, events
and notices) and the outbox that carries those consequences from the committed change."""
