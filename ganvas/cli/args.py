"""Derive argparse flags from a config dataclass, so defaults live only in the dataclass."""
from __future__ import annotations

import argparse
import dataclasses
import typing
from typing import Any

from ..config.fields import shown_default, unwrap_optional


def add_config_flags(parser: argparse.ArgumentParser, cls: type, skip: tuple = ()) -> None:
    """Add one flag per field of `cls`; unset flags keep the dataclass default.

    A field whose metadata names a "group" is listed in `--help` under that title; the groups appear
    in the order their first field does, after the command's own options.
    """
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if f.name in skip or not meta.get("cli", True):
            continue
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        flag = meta.get("flag") or "--" + f.name.replace("_", "-")
        help_text = f"{meta.get('help', '')} (default: {shown_default(default, meta.get('help', ''))})"
        kwargs: dict = {"dest": f.name, "default": argparse.SUPPRESS, "help": help_text}
        tp = unwrap_optional(hints[f.name])
        if tp is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(tp) in (tuple, list):
            kwargs["nargs"] = "+"
            kwargs["type"] = typing.get_args(tp)[0]
        else:
            kwargs["type"] = tp
        if meta.get("choices"):
            kwargs["choices"] = meta["choices"]
        _group(parser, meta.get("group")).add_argument(flag, **kwargs)


def _group(parser: argparse.ArgumentParser, title: str | None):
    """The parser itself, or its argument group `title` (made on first use, so groups keep field order)."""
    if not title:
        return parser
    for group in parser._action_groups:
        if group.title == title:
            return group
    return parser.add_argument_group(title)


def config_from_args(cls: type, args: argparse.Namespace, **overrides: Any) -> Any:
    """Build `cls` from the flags the user gave, plus explicit overrides."""
    names = {f.name for f in dataclasses.fields(cls)}
    given = {k: v for k, v in vars(args).items() if k in names}
    for key, value in list(given.items()):
        if isinstance(value, list):
            given[key] = tuple(value)
    given.update(overrides)
    return cls(**given)
