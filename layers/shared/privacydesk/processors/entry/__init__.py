"""Admin routes, outbox delivery and the overdue check of processor notices."""
