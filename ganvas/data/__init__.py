"""Training data: folders, zips and built-in sets, prepared once into square uint8 tensors."""
from .builtin import builtin_settings
from .dataset import Dataset, write_skipped_report
from .pipeline import DEFAULT_RESOLUTION, prepare

__all__ = ["DEFAULT_RESOLUTION", "Dataset", "prepare", "builtin_settings", "write_skipped_report"]
