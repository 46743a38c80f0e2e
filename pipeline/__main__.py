"""`python -m pipeline` is the `policy-extract` command."""

from .cli import app

app(prog_name="policy-extract")
