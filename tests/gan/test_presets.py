"""Defaults by data size: "auto" becomes a value once, from the prepared data."""
from ganvas.config import TrainConfig
from ganvas.gan.presets import SMALL_DATA, resolve


def test_a_small_folder_gets_augmentation_and_a_builtin_keeps_the_classic_recipe():
    assert resolve(TrainConfig(), 300, builtin=False).augment == "diffaugment"
    assert resolve(TrainConfig(), SMALL_DATA, builtin=False).augment == "none"
    assert resolve(TrainConfig(), 300, builtin=True).augment == "none"


def test_what_the_user_chose_is_kept():
    assert resolve(TrainConfig(augment="ada"), 300, builtin=False).augment == "ada"
    assert resolve(TrainConfig(augment="none"), 300, builtin=False).augment == "none"
