"""Wire formats -> domain models. Pure functions, no I/O: one module per source."""
