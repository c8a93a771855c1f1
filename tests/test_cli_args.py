import argparse
from dataclasses import dataclass
from typing import Optional

from ganvas.cli.args import add_config_flags, config_from_args
from ganvas.config.fields import opt


@dataclass
class Settings:
    data: str = opt("shapes", "what to train on", group="data")
    arch: str = opt("dcgan", "network family", group="model", choices=("dcgan", "mlp"))
    verbose: bool = opt(False, "say more")
    resolution: Optional[int] = opt(None, "image size", group="data")
    width: int = opt(64, "base channel count", group="model")
    seed: int = opt(0, "random seed", group="speed and repeatability")
    hidden: int = opt(1, "not a flag", group="never shown", cli=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganvas demo")
    parser.add_argument("source")
    add_config_flags(parser, Settings)
    return parser


def test_fields_are_listed_under_their_groups_in_field_order():
    text = _parser().format_help()
    titles = [line.rstrip(":") for line in text.splitlines() if line and not line.startswith(" ") and
              line.endswith(":")]
    assert titles[-3:] == ["data", "model", "speed and repeatability"]
    assert "never shown" not in text
    sections = {title: text.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0] for title in titles[-3:]}
    assert "--data" in sections["data"] and "--resolution" in sections["data"]
    assert "--arch" in sections["model"] and "--width" in sections["model"] and "--data" not in sections["model"]
    assert "--seed" in sections["speed and repeatability"]
    ungrouped = text.split(f"\n{titles[-4]}:\n", 1)[1].split("\n\n", 1)[0]  # the command's own options
    assert "--verbose" in ungrouped and "--width" not in ungrouped and "--data" not in ungrouped


def test_grouped_flags_parse_like_any_other():
    args = _parser().parse_args(["pics", "--width", "32", "--resolution", "16", "--verbose"])
    settings = config_from_args(Settings, args)
    assert (settings.width, settings.resolution, settings.verbose, settings.arch) == (32, 16, True, "dcgan")


def test_opt_stores_the_group():
    from dataclasses import fields

    groups = {f.name: f.metadata["group"] for f in fields(Settings)}
    assert groups["data"] == "data" and groups["verbose"] is None
