"""Reading YAML a user wrote (scenario files, sweep specs, values of CLI options), defensively.

PyYAML's safe loader builds only plain data, but three kinds of input still hurt the program
that validates the data afterwards, and one silently loses data. This loader refuses them
with a message naming the line:

* **alias bombs**: a few hundred bytes of nested aliases (``&a [*b, *b, ...]``) expand to
  hundreds of millions of nodes once anything walks the data. The expanded size of the node
  graph is counted (each node once, memoised) before any Python object is built, and a
  document above :data:`MAX_EXPANDED_NODES` is refused; a recursive alias is refused too;
* **deep nesting**: composing is recursive, so 20,000 nested ``[`` would end in a
  ``RecursionError``; documents deeper than :data:`MAX_DEPTH` are refused while composing;
* **impossible dates** such as ``2026-13-45`` (PyYAML raises a bare ``ValueError``);
* **duplicate keys** in one mapping, which YAML says are an error and PyYAML keeps the last
  of (merge keys ``<<`` may still be overridden, as YAML intends).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from munigrid.models.errors import InputError
from munigrid.models.errors import quote

# A scenario has a few hundred nodes; a sweep spec with long value lists some thousands.
MAX_EXPANDED_NODES = 200_000
MAX_DEPTH = 64


class _Refused(yaml.YAMLError):
    """A document the loader will not build (with the line where it was noticed)."""

    def __init__(self, problem: str, mark=None):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


def _expanded_size(root: Node, limit: int) -> int:
    """Nodes in the tree the graph ``root`` expands to (aliases copied out), stopping above ``limit``."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise _Refused("an alias refers to a node that contains it (a recursive document); "
                           "write the data out instead", node.start_mark)
        on_path.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            children = node.value
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                raise _Refused(f"aliases expand this document to more than {limit:,} values; a scenario "
                               "needs far fewer: write the data out or use fewer nested aliases",
                               node.start_mark)
        on_path.discard(key)
        sizes[key] = total
        return total

    return size(root)


class GuardedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with the limits of this module (see the module docstring)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # noqa: D102
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep; a scenario needs fewer than 10",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node):  # noqa: D102
        _expanded_size(node, MAX_EXPANDED_NODES)
        return super().construct_document(node)

    def construct_mapping(self, node, deep=False):  # noqa: D102
        if isinstance(node, MappingNode):
            seen: dict[Any, Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, ScalarNode):
                    continue
                key = self.construct_object(key_node)
                if key in seen:
                    raise ConstructorError("while reading a mapping", node.start_mark,
                                           f"key {quote(key)} is given twice (first on line "
                                           f"{seen[key].start_mark.line + 1}); keep one", key_node.start_mark)
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):  # noqa: D102
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as err:
            raise ConstructorError(None, None, f"{quote(node.value)} is not a real date or time ({err}); "
                                   "use YYYY-MM-DD", node.start_mark) from None


GuardedLoader.add_constructor("tag:yaml.org,2002:timestamp", GuardedLoader.construct_yaml_timestamp)


def load_yaml(text: str, where: str, lines: bool = True) -> Any:
    """Parse YAML ``text`` with :class:`GuardedLoader`; problems become :class:`InputError` at
    ``where:line`` (``where`` alone when ``lines`` is false, e.g. for a CLI option)."""
    try:
        return yaml.load(text, Loader=GuardedLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f"{where}:{mark.line + 1}" if mark is not None and lines else where
        problem = getattr(err, "problem", None) or str(err)
        raise InputError(f"not valid YAML: {problem}", at) from None
    except RecursionError:
        raise InputError(f"not valid YAML: nested too deeply (more than {MAX_DEPTH} levels)", where) from None


def option_value(text: str, option: str) -> Any:
    """The value of a CLI option item read as YAML (``100`` -> 100, ``true``, ``abc``); errors name ``option``."""
    if len(text) > 10_000:
        raise InputError(f"value of {len(text):,} characters; give a short value", option)
    return load_yaml(text, option, lines=False)
