"""Loading of YAML data files (office profiles, SOPs) into frozen pydantic models.

A malformed file never produces a traceback: every fault becomes one line of a
``ConfigError`` that names the file, the key and what is expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class Frozen(BaseModel):
    """Base of every configuration model: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning I/O and syntax faults into ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None


def _location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _hint(model: type[BaseModel], error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, error["loc"][:-1])
        tail = f"; allowed keys here: {', '.join(sorted(allowed))}" if allowed else ""
        return f"unknown key (remove it or fix its spelling{tail})"
    if kind == "missing":
        return "required key is missing (add it)"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Best effort: the field names of the model found at ``loc``."""
    current: Any = model
    for item in loc:
        if isinstance(item, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or item not in fields:
            return []
        current = _inner_model(fields[item].annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", {})
    return [info.alias or name for name, info in fields.items() if name != "source"]


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def load_model(model: type[M], data: Any, source: Path | str) -> M:
    """Validate ``data`` against ``model``; every fault is reported with file and key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keys at the top level, found {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{source}: key '{_location(err['loc'])}': {_hint(model, err)}"
            for err in exc.errors(include_url=False)
        ]
        raise ConfigError("\n".join(lines)) from None


def load_file(model: type[M], path: Path) -> M:
    """Read a YAML file and validate it into ``model``."""
    return load_model(model, read_yaml(path), path)
