"""Training data: folders, zips and built-in sets, prepared once into square uint8 tensors."""
from .builtin import builtin_settings
from .dataset import Dataset, write_skipped_report
from .pipeline import prepare

__all__ = ["Dataset", "prepare", "builtin_settings", "write_skipped_report"]
