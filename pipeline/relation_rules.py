"""The relation rules of `patterns/relations.yml`: DependencyMatcher patterns with ids, checked on load.

A rule has a relation `label`, a description, `examples` (sentences with the [head, child]
pairs the rule must relate) and its shapes, written one of two ways:

- `patterns`: spaCy DependencyMatcher patterns in which the nodes `head` and `child` stand for
  the root tokens of the two spans;
- `centre` (the token attributes of the word the two spans hang from, often a verb), `head` and
  `child`: each a list of paths down the parse from the centre to that span's root, a path being
  a list of steps `"dep"`, `"dep1|dep2"` or `"dep=word1|word2"` / `"dep=@list"` (the step's token
  must also be one of those words), or `"*"`, any chain of dependents; an empty path makes the
  centre itself that span's root, and a list of paths in place of a path (a YAML alias of a
  shared list) stands for its paths.
  Every head path with every child path is one DependencyMatcher pattern.

Word lists are written once, under `word_lists`, and referred to as "@name" in any IN / NOT_IN
list of a node's `RIGHT_ATTRS` or after `=` in a step; they are expanded here, so the component
receives plain DependencyMatcher patterns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Messages, PatternFileError
from .spans import RELATION_SIGNATURES

RELATION_SECTIONS = ("statuses", "word_lists", "rules")
RULE_KEYS = ("id", "label", "description", "examples", "patterns", "centre", "head", "child")
REQUIRED_RULE_KEYS = ("id", "label", "description", "examples")
PATH_KEYS = ("centre", "head", "child")
EXAMPLE_KEYS = ("text", "relations", "no_relation")
NODE_KEYS = ("LEFT_ID", "REL_OP", "RIGHT_ID", "RIGHT_ATTRS")
# The DependencyMatcher's operators (spaCy 3.8).
REL_OPS = ("<", ">", "<<", ">>", ".", ".*", ";", ";*", "$+", "$-", "$++", "$--", ">+", ">-", ">++", ">--", "<+",
           "<-", "<++", "<--")  # fmt: skip
# The nodes that stand for the two spans a match relates.
HEAD_NODE, CHILD_NODE = "head", "child"
# A path step that stands for any chain of dependents (DependencyMatcher's `>>`).
ANY_DEPTH = "*"
# The token attribute a root token of a span carries: its span's label (set by policy_relations).
SPAN_LABEL_ATTRIBUTE = "span_label"


@dataclass(frozen=True)
class RelationExample:
    """A sentence and the [head, child] span texts the rule must relate, or that no rule may relate."""

    text: str
    relations: tuple[tuple[str, str], ...] = ()
    no_relation: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RulePaths:
    """A rule written as a centre and paths, word lists expanded: what `PathMatcher` walks.

    `centre` holds token tests `(attribute, words, negated)`; a step is `(dependencies, words)`,
    `words` empty for any word, or `ANY_DEPTH` for a chain of dependents.
    """

    centre: tuple[tuple[str, tuple[str, ...], bool], ...]
    head: tuple[tuple[Any, ...], ...]
    child: tuple[tuple[Any, ...], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"centre": self.centre, "head": self.head, "child": self.child}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RulePaths:
        def steps(paths: Any) -> tuple[tuple[Any, ...], ...]:
            return tuple(
                tuple(step if step == ANY_DEPTH else (tuple(step[0]), tuple(step[1])) for step in path)
                for path in paths
            )

        centre = tuple((attribute, tuple(words), bool(negated)) for attribute, words, negated in data["centre"])
        return cls(centre=centre, head=steps(data["head"]), child=steps(data["child"]))


@dataclass(frozen=True)
class RelationRule:
    """One rule: its id, label, DependencyMatcher patterns (word lists expanded), its paths when it was
    written as a centre and paths, and its examples."""

    id: str
    label: str
    description: str
    patterns: tuple[tuple[dict[str, Any], ...], ...]
    examples: tuple[RelationExample, ...] = ()
    paths: RulePaths | None = None

    def as_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data (its examples stay with the rule files)."""
        data = {"id": self.id, "label": self.label, "description": self.description, "patterns": self.patterns}
        return {**data, "paths": self.paths.as_dict()} if self.paths else data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RelationRule:
        patterns = tuple(tuple(dict(node) for node in pattern) for pattern in data["patterns"])
        paths = RulePaths.from_dict(data["paths"]) if data.get("paths") else None
        return cls(id=data["id"], label=data["label"], description=data["description"], patterns=patterns, paths=paths)


@dataclass(frozen=True)
class RelationRules:
    """The relation rules in file order, and the word forms of each commitment status."""

    rules: tuple[RelationRule, ...] = ()
    statuses: dict[str, tuple[str, ...]] = field(default_factory=dict)


def validate_relation_rules(path: Path, raw: Any, lines: dict[int | str, int], expand: Any) -> RelationRules:
    """The rules and statuses of a `relations` document; `expand(pattern, lists, where)` expands word lists.

    Raises:
        PatternFileError: naming the file, the line and the rule, for an unknown key or section, a
            label with no signature, a pattern without its `head` and `child` nodes, a node that
            refers to no earlier node, an unknown operator or attributes spaCy refuses.
    """
    if not isinstance(raw, dict) or set(raw) - set(RELATION_SECTIONS):
        got = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise PatternFileError(Messages.P002.format(path=path, allowed=", ".join(RELATION_SECTIONS), got=got))
    lists = {name: [str(word) for word in words] for name, words in (raw.get("word_lists") or {}).items()}
    rules = []
    seen: set[str] = set()
    for index, item in enumerate(raw.get("rules") or []):
        rule_id = item.get("id") if isinstance(item, dict) else None
        where = {"path": path, "line": lines.get(f"rules.{index}", "-"), "entry": rule_id or f"#{index + 1}"}

        def fail(problem: str, where: dict[str, Any] = where) -> PatternFileError:
            return PatternFileError(Messages.P022.format(**where, problem=problem))

        if not isinstance(item, dict):
            raise fail("a rule must be a mapping with id, label, description, patterns and examples")
        unknown = set(item) - set(RULE_KEYS)
        missing = [key for key in REQUIRED_RULE_KEYS if key not in item]
        if unknown or missing:
            raise fail(f"unknown keys {sorted(unknown)}, missing keys {missing}; a rule has {', '.join(RULE_KEYS)}")
        if ("patterns" in item) == any(key in item for key in PATH_KEYS) or (
            "patterns" not in item and not all(key in item for key in PATH_KEYS)
        ):
            raise fail("give either `patterns`, or `centre`, `head` and `child`")
        if not isinstance(rule_id, str) or not rule_id or rule_id in seen:
            raise fail("the id must be a string no other relation rule has")
        seen.add(rule_id)
        if item["label"] not in RELATION_SIGNATURES:
            raise fail(f"label {item['label']!r} is not one of {', '.join(RELATION_SIGNATURES)}")
        paths = None if "patterns" in item else _rule_paths(item, lists, where, fail)
        patterns = item["patterns"] if paths is None else _path_patterns(paths)
        if not isinstance(patterns, list) or not patterns:
            raise fail("`patterns` must be a list of DependencyMatcher patterns")
        checked = tuple(_checked_pattern(pattern, item["label"], lists, where, fail, expand) for pattern in patterns)
        rules.append(
            RelationRule(
                id=rule_id,
                label=item["label"],
                description=str(item["description"]),
                patterns=checked,
                examples=_examples(item["examples"], fail),
                paths=paths,
            )
        )
    statuses = raw.get("statuses") or {}
    if not isinstance(statuses, dict) or not all(isinstance(forms, list) for forms in statuses.values()):
        where = {"path": path, "line": "-", "entry": "statuses"}
        raise PatternFileError(Messages.P022.format(**where, problem="`statuses` maps each status to its word forms"))
    return RelationRules(tuple(rules), {str(status): tuple(map(str, forms)) for status, forms in statuses.items()})


# The token attributes a centre may test, and how: a word or a list under IN or NOT_IN.
CENTRE_ATTRIBUTES = ("LOWER", "ORTH", "TEXT", "DEP")


def _rule_paths(item: dict[str, Any], lists: dict[str, list[str]], where: dict[str, Any], fail: Any) -> RulePaths:
    """A rule's centre and paths, checked, with its word lists expanded."""
    from .vocabulary import expand_words

    def words(listed: list[Any], lower: bool) -> tuple[str, ...]:
        return tuple(expand_words(listed, lists, where, lower=lower))

    def paths(role: str) -> tuple[tuple[Any, ...], ...]:
        value = item[role]
        if not isinstance(value, list) or not value or not all(isinstance(path, list) for path in value):
            raise fail(f"`{role}` must be a list of paths, each a list of steps such as [dobj] or [prep=of, pobj]")
        # A list of paths among them (a YAML alias of a shared list) stands for its paths.
        flat = [path for group in value for path in (group if group and isinstance(group[0], list) else [group])]
        made = []
        for path in flat:
            steps: list[Any] = []
            for step in path:
                if not isinstance(step, str) or not step:
                    raise fail(f"`{role}`: a step is a string such as dobj, nsubj|nsubjpass, prep=of|for or *")
                if step == ANY_DEPTH:
                    steps.append(ANY_DEPTH)
                    continue
                dependencies, _, listed = step.partition("=")
                chosen = words(listed.split("|") if not listed.startswith("@") else [listed], True) if listed else ()
                steps.append((tuple(dependencies.split("|")), chosen))
            made.append(tuple(steps))
        return tuple(made)

    centre = item["centre"]
    if not isinstance(centre, dict):
        raise fail("`centre` must be token attributes, such as {LOWER: {IN: ['@commit_verbs']}} or {}")
    tests = []
    for attribute, value in centre.items():
        operator, listed = next(iter(value.items())) if isinstance(value, dict) and len(value) == 1 else ("=", value)
        if attribute not in CENTRE_ATTRIBUTES or operator not in ("=", "IN", "NOT_IN"):
            raise fail(f"`centre` tests {', '.join(CENTRE_ATTRIBUTES)} with a word, IN or NOT_IN; not {attribute}")
        listed = listed if isinstance(listed, list) else [listed]
        tests.append((attribute, words(listed, attribute == "LOWER"), operator == "NOT_IN"))
    head, child = paths(HEAD_NODE), paths(CHILD_NODE)
    if any(not head_path and not child_path for head_path in head for child_path in child):
        raise fail("a head path and a child path cannot both be empty")
    return RulePaths(centre=tuple(tests), head=head, child=child)


def _path_patterns(paths: RulePaths) -> list[Any]:
    """The DependencyMatcher patterns of a rule written as a centre and paths: one per head and child path."""

    def nodes(role: str, path: tuple[Any, ...], parent: str) -> list[dict[str, Any]]:
        made = []
        operator = ">"
        for number, step in enumerate(path):
            attributes: dict[str, Any] = {}
            if step == ANY_DEPTH:  # the next token (or the span's root, at the end) lies anywhere below
                operator = ">>"
                if number < len(path) - 1:
                    continue
            else:
                dependencies, chosen = step
                attributes["DEP"] = {"IN": list(dependencies)}
                if chosen:
                    attributes["LOWER"] = {"IN": list(chosen)}
            name = role if number == len(path) - 1 else f"{role}_{number + 1}"
            made.append({"LEFT_ID": parent, "REL_OP": operator, "RIGHT_ID": name, "RIGHT_ATTRS": attributes})
            parent, operator = name, ">"
        return made

    centre = {attribute: {"NOT_IN" if negated else "IN": list(chosen)} for attribute, chosen, negated in paths.centre}
    patterns = []
    for head_path in paths.head:
        for child_path in paths.child:
            empty = HEAD_NODE if not head_path else CHILD_NODE if not child_path else None
            name = empty or "centre"  # an empty path makes the centre that span's root
            patterns.append(
                [
                    {"RIGHT_ID": name, "RIGHT_ATTRS": centre},
                    *nodes(HEAD_NODE, head_path, name),
                    *nodes(CHILD_NODE, child_path, name),
                ]
            )
    return patterns


def _checked_pattern(
    pattern: Any, label: str, lists: dict[str, list[str]], where: dict[str, Any], fail: Any, expand: Any
) -> tuple[dict[str, Any], ...]:
    from spacy.schemas import validate_token_pattern  # spaCy loads only when a rule is checked

    if not isinstance(pattern, list) or not all(isinstance(node, dict) for node in pattern) or not pattern:
        raise fail("a pattern must be a list of nodes (mappings)")
    names: list[str] = []
    nodes = []
    for position, node in enumerate(pattern):
        unknown = set(node) - set(NODE_KEYS)
        if unknown or "RIGHT_ID" not in node:
            raise fail(f"node {position + 1}: keys {sorted(node)}; a node has {', '.join(NODE_KEYS)} (RIGHT_ID always)")
        if position and (node.get("LEFT_ID") not in names or node.get("REL_OP") not in REL_OPS):
            raise fail(
                f"node {node['RIGHT_ID']!r}: LEFT_ID must name an earlier node and REL_OP be one of {' '.join(REL_OPS)}"
            )
        if not position and ("LEFT_ID" in node or "REL_OP" in node):
            raise fail(f"node {node['RIGHT_ID']!r}: the first node has no LEFT_ID or REL_OP")
        attributes = expand([node.get("RIGHT_ATTRS") or {}], lists, where)[0]
        problems = validate_token_pattern([attributes])
        if problems:
            raise fail(f"node {node['RIGHT_ID']!r}: {'; '.join(problems)}")
        names.append(node["RIGHT_ID"])
        nodes.append({**node, "RIGHT_ATTRS": _anchored(node["RIGHT_ID"], attributes, label, fail)})
    if HEAD_NODE not in names or CHILD_NODE not in names:
        raise fail(f"every pattern has a node {HEAD_NODE!r} and a node {CHILD_NODE!r}; this one has {names}")
    return tuple(nodes)


def _anchored(name: str, attributes: dict[str, Any], label: str, fail: Any) -> dict[str, Any]:
    """A head or child node's attributes with its span labels required: the signature's, or a subset of them."""
    if name not in (HEAD_NODE, CHILD_NODE):
        return attributes
    allowed = RELATION_SIGNATURES[label][0 if name == HEAD_NODE else 1]
    extension = dict(attributes.get("_") or {})
    given = extension.get(SPAN_LABEL_ATTRIBUTE, {"IN": list(allowed)})
    labels = given["IN"] if isinstance(given, dict) else [given]
    if not set(labels) <= set(allowed):
        raise fail(f"node {name!r} asks for span labels {labels}; a {label} {name} is one of {list(allowed)}")
    extension[SPAN_LABEL_ATTRIBUTE] = {"IN": list(labels)}
    return {**attributes, "_": extension}


def _examples(raw: Any, fail: Any) -> tuple[RelationExample, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail("`examples` must be a non-empty list of {text, relations, no_relation}")
    examples = []
    for example in raw:
        if not isinstance(example, dict) or set(example) - set(EXAMPLE_KEYS) or "text" not in example:
            raise fail(f"an example is a mapping with {', '.join(EXAMPLE_KEYS)} (text always)")
        pairs = {key: example.get(key) or [] for key in ("relations", "no_relation")}
        for key, value in pairs.items():
            if not all(isinstance(pair, list) and len(pair) == 2 for pair in value):
                raise fail(f"example {example['text']!r}: `{key}` must be a list of [head text, child text]")
        examples.append(
            RelationExample(
                text=example["text"],
                relations=tuple((str(h), str(c)) for h, c in pairs["relations"]),
                no_relation=tuple((str(h), str(c)) for h, c in pairs["no_relation"]),
            )
        )
    return tuple(examples)
