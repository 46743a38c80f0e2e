"""spaCy components registered by policy-extract (one per module)."""
