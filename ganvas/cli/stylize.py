"""`ganvas stylize`: repaint a photo in the style of one or more paintings."""
from __future__ import annotations

import argparse

from ..config import StyleConfig
from ..config.fields import field_default
from ..errors import GanvasError
from .args import add_config_flags, config_from_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stylize", help="neural style transfer (Gatys) on the CPU",
                       description="Repaint CONTENT in the style of STYLE (several styles blend).")
    p.add_argument("images", nargs="*", metavar="CONTENT STYLE [STYLE ...]",
                   help="the photo, then one or more style images")
    p.add_argument("--out", default=argparse.SUPPRESS,
                   help=f"output image (default: {field_default(StyleConfig, 'out')})")
    p.add_argument("--strip", metavar="PATH", default=argparse.SUPPRESS,
                   help="also write photo | style images | result side by side to PATH")
    p.add_argument("--demo", action="store_true",
                   help="repaint the built-in photo of Tübingen as The Starry Night instead of CONTENT "
                        "and STYLE, with the default settings")
    add_config_flags(p, StyleConfig)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    from ..api import stylize_to_file
    from .display import Display

    config = _config(args)
    with Display() as show:
        path = stylize_to_file(config, progress=show)
    print(path)


def _config(args: argparse.Namespace) -> StyleConfig:
    if args.demo:
        if args.images:
            raise GanvasError("--demo: takes no CONTENT or STYLE images; drop them or drop --demo")
        from ..style.demo_images import DEMO_OVERRIDES

        # Only the pictures are overridden; every flag given (--size, --steps...) still applies.
        return config_from_args(StyleConfig, args, **DEMO_OVERRIDES)
    if len(args.images) < 2:
        raise GanvasError("stylize: needs CONTENT and at least one STYLE image (or --demo)")
    content, *styles = args.images
    return config_from_args(StyleConfig, args, content=content, styles=tuple(styles))
