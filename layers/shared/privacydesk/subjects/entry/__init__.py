"""Entry adapters: HTTP routes and event adapters that call the domain."""
