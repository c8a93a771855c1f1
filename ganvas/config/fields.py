"""Helpers that let one dataclass field carry its default, help text and CLI spelling."""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any


def opt(default: Any, help: str, *, choices: tuple | None = None, flag: str | None = None,
        cli: bool = True, group: str | None = None) -> Any:
    """A config field: its default, the help line the CLI shows, and optional choices.

    `group` names the section of `--help` the flag is listed under (e.g. "model"); fields without
    one are listed with the command's other options.
    """
    meta = {"help": help, "choices": choices, "flag": flag, "cli": cli, "group": group}
    if isinstance(default, (list, dict, set)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def to_dict(config: Any) -> dict:
    """A JSON-ready copy of a config (tuples become lists)."""
    return dataclasses.asdict(config)


def from_dict(cls: type, data: dict) -> Any:
    """Rebuild a config from `to_dict` output, ignoring keys a newer or older version lacks."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    values = {}
    for key, value in data.items():
        if key not in known:
            continue
        if isinstance(value, list) and typing.get_origin(hints[key]) is tuple:
            value = tuple(value)
        values[key] = value
    return cls(**values)


def field_default(cls: type, name: str) -> Any:
    """The default of one field, for code that must agree with the config without a copy."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.default_factory() if f.default is dataclasses.MISSING else f.default
    raise KeyError(name)


def shown_default(default: Any, help_text: str) -> Any:
    """How `--help` and the studio's forms show a default."""
    # A field left at None that the run sets from its data says so in its help ("auto: ..."); "None"
    # would read as "off".
    if default is None and "(auto:" in help_text:
        return "auto"
    if isinstance(default, tuple):
        return " ".join(map(str, default))
    return default


def unwrap_optional(tp: Any) -> Any:
    """T for Optional[T]; any other type as it is."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(inner) == 1:
            return inner[0]
    return tp
