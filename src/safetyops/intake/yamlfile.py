"""Read a YAML file so that every problem names the file, the line and the field (pure: no database)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from safetyops.errors import InvalidInput, Problem

M = TypeVar("M", bound=BaseModel)


def _line_of(root: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node on the path `loc` (the key's line for a mapping entry)."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if match is None:
                return line
            node, line = match[1], match[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def parse_yaml_text(text: str, file: str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree of a YAML document; InvalidInput with the line on a syntax error."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidInput(f"{file} is not valid YAML", [Problem(str(reason), file=file, line=line)]) from exc
    return data, root


def validate_yaml_text(text: str, file: str, model: type[M], what: str) -> M:
    """Parse YAML text into `model`; every problem carries file, line and dotted field."""
    data, root = parse_yaml_text(text, file)
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{what} must be a YAML mapping of fields", [Problem("expected 'field: value' lines", file=file, line=1)]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                str(err["msg"]),
                field=".".join(str(p) for p in err["loc"]) or None,
                line=_line_of(root, [p for p in err["loc"] if isinstance(p, str | int)]),
                file=file,
            )
            for err in exc.errors()
        ]
        raise InvalidInput(f"{what} is invalid", problems) from exc


def validate_yaml_file(path: Path, model: type[M], what: str) -> M:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", [Problem("cannot read", file=str(path))]) from exc
    return validate_yaml_text(text, str(path), model, what)
