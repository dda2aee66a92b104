"""The processor-notice table and the webhook transport."""
