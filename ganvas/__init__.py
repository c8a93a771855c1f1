"""ganvas: train GANs on your own images and repaint photos with neural style transfer."""
from .errors import GanvasError

__all__ = ["GanvasError", "train", "sample", "interpolate", "export", "evaluate", "report", "stylize",
           "stylize_to_file", "studio"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Importing torch-heavy modules only on first use keeps `import ganvas` and the CLI's --help quick.
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'ganvas' has no attribute {name!r}")
