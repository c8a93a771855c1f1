"""Forms generated from a config dataclass's metadata, as the CLI's flags are (ganvas/cli/args.py).

Each field's default, help text, choices and group come from the dataclass, so the studio keeps no
second copy: a new TrainConfig field appears in the form, with its help, without touching this file.
"""
from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass
from typing import Any, Optional

from ..config.fields import shown_default, unwrap_optional
from ..errors import GanvasError

NONE_CHOICE = "(none)"  # what an optional choice field shows for "not set"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # bool, choice, int, float, list, text
    default: Any
    help: str
    choices: tuple
    group: Optional[str]
    optional: bool
    item: type = str  # element type of a list field

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def info(self) -> str:
        if "(default:" in self.help:
            return self.help
        shown = shown_default(self.default, self.help)
        return f"{self.help} (default: {'not set' if shown is None else shown})"


def field_specs(cls: type, skip: tuple = ()) -> list[FieldSpec]:
    """The fields a form shows: every field the CLI has a flag for, in the dataclass's order."""
    hints = typing.get_type_hints(cls)
    specs = []
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if f.name in skip or not meta.get("cli", True):
            continue
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        tp = unwrap_optional(hints[f.name])
        optional = tp is not hints[f.name]
        item = str
        if meta.get("choices"):
            kind = "choice"
        elif tp is bool:
            kind = "bool"
        elif typing.get_origin(tp) in (tuple, list):
            kind, item = "list", typing.get_args(tp)[0]
        elif tp in (int, float):
            kind = tp.__name__
        else:
            kind = "text"
        specs.append(FieldSpec(f.name, kind, default, meta.get("help", ""), tuple(meta.get("choices") or ()),
                               meta.get("group"), optional, item))
    return specs


def component(spec: FieldSpec, elem_id: str):
    """The Gradio input for one field, showing its default."""
    import gradio as gr

    common = {"label": spec.label, "info": spec.info, "elem_id": elem_id, "min_width": 150}
    if spec.kind == "bool":
        return gr.Checkbox(value=spec.default, **common)
    if spec.kind == "choice":
        choices = ([NONE_CHOICE] if spec.optional else []) + list(spec.choices)
        return gr.Dropdown(choices=choices, value=NONE_CHOICE if spec.default is None else spec.default, **common)
    if spec.kind in ("int", "float") and not spec.optional:
        return gr.Number(value=spec.default, precision=0 if spec.kind == "int" else None, **common)
    if spec.kind in ("int", "float"):
        # A Number box cannot be empty, and empty is how an optional field says "not set".
        placeholder = "auto" if shown_default(None, spec.help) == "auto" else "not set"
        return gr.Textbox(value="" if spec.default is None else str(spec.default), placeholder=placeholder, **common)
    if spec.kind == "list":
        text = "" if spec.default is None else " ".join(map(str, spec.default))
        return gr.Textbox(value=text, **common)
    return gr.Textbox(value="" if spec.default is None else str(spec.default), **common)


def parse(spec: FieldSpec, raw: Any) -> Any:
    """A form value as the config field's type; a GanvasError names the field when it cannot be."""
    if spec.kind == "bool":
        return bool(raw)
    if spec.kind == "choice":
        return None if raw in (NONE_CHOICE, None, "") and spec.optional else raw
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None if spec.optional else spec.default
    try:
        if spec.kind == "int":
            value = float(raw)
            if value != int(value):
                raise ValueError
            return int(value)
        if spec.kind == "float":
            return float(raw)
        if spec.kind == "list":
            return tuple(spec.item(x) for x in re.split(r"[\s,]+", str(raw).strip()) if x)
    except (TypeError, ValueError):
        raise GanvasError(f"{spec.label}: {raw!r} is not a valid {spec.kind if spec.kind != 'list' else 'list'}; "
                          f"{spec.help}") from None
    return str(raw)


class Form:
    """The inputs of one config, drawn in the current Gradio layout: main fields, then an advanced fold."""

    def __init__(self, cls: type, prefix: str, main: tuple[str, ...], skip: tuple = ()):
        self.cls, self.prefix = cls, prefix
        self.specs = field_specs(cls, skip)
        unknown = set(main) - {s.name for s in self.specs}
        if unknown:
            raise ValueError(f"not fields of {cls.__name__}: {sorted(unknown)}")
        self.main = main
        self.components: list = []

    def render(self, advanced_label: str = "advanced") -> None:
        import gradio as gr

        by_name = {s.name: s for s in self.specs}
        drawn: dict[str, Any] = {}
        self._rows([by_name[n] for n in self.main], drawn)
        with gr.Accordion(advanced_label, open=False, elem_id=f"{self.prefix}-advanced"):
            for group, specs in self._groups([s for s in self.specs if s.name not in self.main]):
                if group:
                    gr.Markdown(f"**{group}**")
                self._rows(specs, drawn)
        self.components = [drawn[s.name] for s in self.specs]

    def _rows(self, specs: list[FieldSpec], drawn: dict, per_row: int = 3) -> None:
        import gradio as gr

        for start in range(0, len(specs), per_row):
            with gr.Row(equal_height=False):
                for spec in specs[start:start + per_row]:
                    drawn[spec.name] = component(spec, f"{self.prefix}-{spec.name}")

    @staticmethod
    def _groups(specs: list[FieldSpec]) -> list[tuple[Optional[str], list[FieldSpec]]]:
        groups: dict[Optional[str], list[FieldSpec]] = {}
        for spec in specs:
            groups.setdefault(spec.group, []).append(spec)
        return list(groups.items())

    def values(self, raw: list) -> dict:
        """Every field, parsed, from the components' values in `self.components` order."""
        return {spec.name: parse(spec, value) for spec, value in zip(self.specs, raw)}

    def explicit(self, raw: list) -> dict:
        """The fields set away from their defaults: what the CLI would have been given as flags."""
        return {k: v for k, v in self.values(raw).items()
                if v != next(s.default for s in self.specs if s.name == k)}
