"""The network families by name, each in one line: what `--help` shows and the registry's summaries.

It lives here, without torch, so `ganvas --help` stays quick; ganvas.models checks that its registry
and this list name the same families.
"""
from __future__ import annotations

SUMMARIES = {
    "dcgan": "DCGAN: a dense layer, then transposed convolutions; D a strided-conv classifier",
    "mlp": "the fully connected GAN of the original paper, for small images",
    "msg": "MSG-GAN: G emits an image at every scale and D sees the whole pyramid (stable at high resolution)",
    "stylegan2": "StyleGAN2 G (mapping network, modulated convs, noise, skip to-RGB) with a residual D",
    "resnet": "lean residual GAN in the manner of R3GAN: bottleneck blocks, no normalisation; pairs with --loss rpgan",
}

NAMES = tuple(SUMMARIES)
AUTO = "auto"
AUTO_SUMMARY = "the family that measured best for data of this size and this resolution (docs/architectures.md)"
CHOICES = (AUTO, *NAMES)


def help_text() -> str:
    return "network family, or auto (each is described under 'architectures' below)"


def table() -> str:
    """One line per family, for the end of `ganvas train --help`."""
    lines = {AUTO: AUTO_SUMMARY, **SUMMARIES}
    width = max(map(len, lines))
    return "architectures (--arch):\n" + "\n".join(f"  {name:<{width}}  {line}" for name, line in lines.items())
