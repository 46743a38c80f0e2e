"""policy-extract: structured, checked data from policy commentary."""

# The one place the version is written: pyproject.toml reads it, `--version` prints it, manifests record it.
__version__ = "0.1.0"
