"""The local AWS stand-in: moto on loopback plus the glue AWS would provide. Never packaged."""
