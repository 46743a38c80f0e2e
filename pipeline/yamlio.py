"""YAML parsing through libyaml where PyYAML was built with it: ten times faster than pure Python.

Pattern files are parsed on every run, warm re-runs included, and front matter once per article.
"""

from __future__ import annotations

from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """`yaml.safe_load`, through libyaml when available."""
    return yaml.load(text, Loader=SAFE_LOADER)


def compose(text: str) -> yaml.Node | None:
    """`yaml.compose` (the node tree, with line marks) with the safe loader, through libyaml when available."""
    return yaml.compose(text, Loader=SAFE_LOADER)
