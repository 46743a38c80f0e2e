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


def load_bounded(text: str, *, max_values: int, max_depth: int) -> Any:
    """`load`, refusing before construction a document that nests deeper than `max_depth` or whose aliases
    expand to more than `max_values` values (a "billion laughs" is a few hundred bytes).

    The parser's events are counted in one pass, each alias adding the size of what it names,
    so the check costs no more than the parse and never expands anything.

    >>> load_bounded("a: &x [1, 2]\\nb: [*x, *x]", max_values=20, max_depth=5)
    {'a': [1, 2], 'b': [[1, 2], [1, 2]]}
    >>> load_bounded("a: &x [1, 2, 3]\\nb: [*x, *x, *x]", max_values=10, max_depth=5)
    Traceback (most recent call last):
    ...
    ValueError: its aliases expand to more than 10 values
    """
    anchored: dict[str, int] = {}
    open_nodes: list[list[Any]] = [[None, 0]]  # [anchor, values so far] of each open collection
    for event in yaml.parse(text, Loader=SAFE_LOADER):
        if isinstance(event, yaml.AliasEvent):
            open_nodes[-1][1] += anchored.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent):
            open_nodes[-1][1] += 1
            if event.anchor:
                anchored[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            open_nodes.append([event.anchor, 1])
            if len(open_nodes) > max_depth + 1:
                raise ValueError(f"it nests deeper than {max_depth} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, values = open_nodes.pop()
            open_nodes[-1][1] += values
            if anchor:
                anchored[anchor] = values
        if open_nodes[0][1] + sum(values for _, values in open_nodes[1:]) > max_values:
            raise ValueError(f"its aliases expand to more than {max_values:,} values")
    return load(text)


def compose(text: str) -> yaml.Node | None:
    """`yaml.compose` (the node tree, with line marks) with the safe loader, through libyaml when available."""
    return yaml.compose(text, Loader=SAFE_LOADER)
