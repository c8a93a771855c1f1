"""Typed run options: the one home of every default. The CLI derives its flags from these."""
from .evaluate import EvalConfig
from .style import StyleConfig
from .train import TrainConfig

__all__ = ["TrainConfig", "StyleConfig", "EvalConfig"]
