"""The Python face of ganvas: every CLI command is one of these functions."""
from .gan.train import train
from .generate import export, interpolate, sample
from .metrics.evaluate import evaluate
from .report.html import report
from .style.run import stylize

__all__ = ["train", "sample", "interpolate", "export", "evaluate", "report", "stylize"]
