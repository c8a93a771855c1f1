"""A model spec: which architecture, the data shape it makes, and the architecture's own options.

The spec is the one description of a network that travels: the trainer builds from it, every
checkpoint stores it, and sampling, evaluation and export rebuild the generator from it. Options that
only one family understands live in that family's own dataclass (e.g. `dcgan.Options`), never as
fields every other family must carry.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# ganvas 0.1 stored a flat dict; these were its architecture options.
_LEGACY_OPTION_KEYS = ("width", "spectral_norm")


@dataclass(frozen=True)
class ModelSpec:
    arch: str
    z_dim: int
    resolution: int
    channels: int
    num_classes: int = 0
    classes: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"arch": self.arch, "z_dim": self.z_dim, "resolution": self.resolution, "channels": self.channels,
                "num_classes": self.num_classes, "classes": list(self.classes), "options": dict(self.options)}

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSpec":
        """Read a stored spec, including the flat form that ganvas 0.1 checkpoints carry."""
        options = data.get("options")
        if options is None:
            options = {k: data[k] for k in _LEGACY_OPTION_KEYS if k in data}
        return cls(arch=data["arch"], z_dim=int(data["z_dim"]), resolution=int(data["resolution"]),
                   channels=int(data["channels"]), num_classes=int(data.get("num_classes", 0)),
                   classes=tuple(data.get("classes") or ()), options=dict(options))

    def public(self) -> dict:
        """What an exported file or a sampler needs to know, flat."""
        return {"arch": self.arch, "z_dim": self.z_dim, "resolution": self.resolution, "channels": self.channels,
                "num_classes": self.num_classes, "classes": list(self.classes), **self.options}


def options_of(options_type: type, spec: ModelSpec) -> Any:
    """The spec's options as the family's dataclass; unknown keys are refused, missing ones defaulted."""
    known = {f.name for f in dataclasses.fields(options_type)}
    unknown = sorted(set(spec.options) - known)
    if unknown:
        raise ValueError(f"{spec.arch} has no option {unknown[0]!r}; it takes {', '.join(sorted(known))}")
    return options_type(**spec.options)


def parse_options(options_type: type, pairs: tuple[str, ...] | list[str], arch: str = "") -> dict:
    """`KEY=VALUE` strings (from --arch-options) as typed values of the family's options dataclass."""
    fields = {f.name: f for f in dataclasses.fields(options_type)}
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in fields:
            known = ", ".join(fields)
            raise ValueError(f"{pair!r}: {arch or 'this arch'} takes KEY=VALUE with KEY one of {known}")
        parsed[key] = _typed(fields[key], text.strip(), pair)
    return parsed


def _typed(f: dataclasses.Field, text: str, pair: str) -> Any:
    kind = type(f.default)
    if kind is bool:
        if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{pair!r}: {f.name} is true or false")
        return text.lower() in ("true", "1", "yes")
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{pair!r}: {f.name} takes a {kind.__name__}") from None
