"""Loading an agreement from YAML, with errors that name the field, the expectation and the value.

geography.territories[1].party: expected a party id (party-a, party-b), found 'x'

The YAML is read within bounds: at most MAX_AGREEMENT_CHARS characters (a version must
fit in one ledger entry, well under 64 KiB, so 1 MiB leaves room for comments), and the
document, with every alias (`*a`) expanded, at most 64 levels deep and of at most
MAX_AGREEMENT_NODES nodes: a few lines of aliases can otherwise stand for a document
too large to validate ("billion laughs"). Recursive aliases are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from truceline.agreement.model import Agreement
from truceline.codec.jsonlimits import MAX_JSON_DEPTH
from truceline.errors import TrucelineError

MAX_AGREEMENT_CHARS = 1 << 20
MAX_AGREEMENT_NODES = 1_000_000


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class AgreementError(TrucelineError, ValueError):
    """The document is not a valid agreement; `errors` lists every problem found."""

    hint = "fix each field listed above in the agreement YAML (docs/agreement.md), then retry"

    def __init__(self, source: str, errors: list[FieldError]) -> None:
        self.source = source
        self.errors = errors
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(f"{source}: {len(errors)} error(s)\n{lines}")


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _found(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # Pydantic adds the union member's tag (e.g. 'function-after[...]') to locations; drop it.
    return tuple(
        p
        for p in loc
        if not (isinstance(p, str) and ("[" in p or p.startswith("function") or p[:1].isupper()))
    )


def field_errors(exc: ValidationError) -> list[FieldError]:
    """One FieldError per pydantic error, with a JSON-path-like location."""
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        path = _path(_clean_loc(tuple(err["loc"])))
        msg = str(err["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if not path and "\n" in msg or (not path and ": expected" in msg):
            # cross-reference problems arrive as `path: message` lines from the model
            for line in msg.splitlines():
                head, _, tail = line.partition(": ")
                out.append(FieldError(head, tail) if tail else FieldError("", line))
            continue
        if err["type"] == "missing":
            out.append(FieldError(path, "expected a value, found nothing (required field)"))
        elif err["type"] == "extra_forbidden":
            out.append(FieldError(path, f"expected no such field, found {_found(err['input'])}"))
        else:
            out.append(FieldError(path, f"{_lower(msg)}, found {_found(err.get('input'))}"))
    return out


def _lower(msg: str) -> str:
    msg = msg.rstrip(".")
    if msg.startswith("Input should be "):
        return "expected " + msg[len("Input should be ") :]
    if msg.startswith("String should match pattern "):
        return "expected a string matching " + msg[len("String should match pattern ") :]
    return msg[:1].lower() + msg[1:]


def parse_agreement(doc: Any, source: str = "agreement") -> Agreement:
    if not isinstance(doc, dict):
        raise AgreementError(
            source, [FieldError("", f"expected a mapping at the top, found {type(doc).__name__}")]
        )
    try:
        return Agreement.model_validate(doc)
    except ValidationError as exc:
        raise AgreementError(source, field_errors(exc)) from exc


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that checks the composed document's expanded size and depth before the
    (recursive) construction of its Python objects, and refuses a key given twice in one
    mapping: YAML keeps the last silently, so two readers of the signed text could
    disagree on what the parties agreed."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue  # an unhashable key ("? [a, b]"): the base class refuses it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"the key {key!r} is given twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        # the composer recurses per level: stop it at the limit, before Python's own
        self._depth += 1
        try:
            if self._depth > MAX_JSON_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested deeper than {MAX_JSON_DEPTH} levels",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> Any:
        node = super().compose_document()
        if node is not None:
            _check_expanded(node)
        return node


def _check_expanded(root: yaml.Node) -> None:
    """yaml.YAMLError if `root`, aliases expanded, is deeper than MAX_JSON_DEPTH or has more
    than MAX_AGREEMENT_NODES nodes. Iterative, memoized per node: an alias costs one lookup."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, depth) expanded
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if done:
            active.discard(key)
            got = [sizes[id(c)] for c in children]
            nodes = 1 + sum(n for n, _ in got)
            depth = 1 + max((d for _, d in got), default=0)
            if depth > MAX_JSON_DEPTH:
                raise yaml.YAMLError(f"nested deeper than {MAX_JSON_DEPTH} levels")
            if nodes > MAX_AGREEMENT_NODES:
                raise yaml.YAMLError(
                    f"more than {MAX_AGREEMENT_NODES} values once aliases are expanded"
                )
            sizes[key] = (nodes, depth)
            continue
        if key in sizes:
            continue
        if key in active:
            raise yaml.YAMLError("a recursive alias (a node that contains itself)")
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)


def load_yaml(text: str) -> Any:
    """The YAML document in `text`, within the bounds above (yaml.YAMLError beyond)."""
    if len(text) > MAX_AGREEMENT_CHARS:
        raise yaml.YAMLError(f"{len(text)} characters, at most {MAX_AGREEMENT_CHARS}")
    return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass


def load_agreement_text(text: str, source: str = "agreement") -> Agreement:
    try:
        doc = load_yaml(text)
    except yaml.YAMLError as exc:
        raise AgreementError(source, [FieldError("", f"not valid YAML: {exc}")]) from exc
    return parse_agreement(doc, source)


def load_agreement(path: Path | str) -> Agreement:
    """An Agreement from a YAML (or JSON, which is YAML) file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AgreementError(str(path), [FieldError("", f"cannot read: {exc.strerror}")]) from exc
    return load_agreement_text(text, str(path))


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    """The JSON value of an agreement version (what is canonicalized and signed)."""
    return agreement.model_dump(mode="json", exclude_none=True)


def agreement_json_schema() -> dict[str, Any]:
    schema = Agreement.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://truceline.org/schemas/agreement.schema.json"
    return schema
