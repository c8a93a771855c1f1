"""`ganvas ui`: the studio, a local web app (needs the `ui` extra: pip install 'ganvas[ui]')."""
from __future__ import annotations

import importlib.util

from ..config.studio import StudioConfig
from ..errors import GanvasError
from .args import add_config_flags, config_from_args


def add_parser(sub) -> None:
    parser = sub.add_parser("ui", help="the studio: train, watch, sample and stylise in the browser",
                            description="Serve the studio on this machine (http://127.0.0.1:7860 by default). "
                                        "Jobs run on when the page is closed; Ctrl-C stops them with a checkpoint.")
    add_config_flags(parser, StudioConfig)
    parser.set_defaults(run=run)


def run(args) -> None:
    if importlib.util.find_spec("gradio") is None:
        raise GanvasError("ui: needs Gradio; install the ui extra: pip install 'ganvas[ui]'")
    from ..api import studio

    studio(config_from_args(StudioConfig, args))
