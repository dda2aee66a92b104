"""The fulfilment capability."""
