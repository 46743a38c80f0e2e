"""policy-extract: structured, checked data from policy commentary."""

__version__ = "0.1.0"
