"""Defaults by data size: "auto" becomes a value once, from the prepared data."""
from ganvas.config import TrainConfig
from ganvas.gan.presets import ARCH_FAMILIES, SMALL_DATA, resolve


def test_a_small_folder_gets_augmentation_and_a_builtin_keeps_the_classic_recipe():
    assert resolve(TrainConfig(), 300, builtin=False).augment == "diffaugment"
    assert resolve(TrainConfig(), SMALL_DATA, builtin=False).augment == "none"
    assert resolve(TrainConfig(), 300, builtin=True).augment == "none"


def test_what_the_user_chose_is_kept():
    assert resolve(TrainConfig(augment="ada"), 300, builtin=False).augment == "ada"
    assert resolve(TrainConfig(augment="none"), 300, builtin=False).augment == "none"


def test_a_small_folder_trains_a_half_width_dcgan_and_the_rest_keep_their_width():
    assert resolve(TrainConfig(), 300, builtin=False).width == 32
    assert resolve(TrainConfig(), 300, builtin=True).width == 64
    assert resolve(TrainConfig(), SMALL_DATA, builtin=False).width == 64
    assert resolve(TrainConfig(arch="mlp"), 300, builtin=False).width == 64
    assert resolve(TrainConfig(width=48), 300, builtin=False).width == 48


def test_a_small_folder_halves_the_dcgan_batch_and_an_explicit_batch_is_kept():
    assert resolve(TrainConfig(), 300, builtin=False).batch_size == 32
    assert resolve(TrainConfig(), 300, builtin=True).batch_size == 64
    assert resolve(TrainConfig(), SMALL_DATA, builtin=False).batch_size == 64
    assert resolve(TrainConfig(arch="msg", resolution=64), 300, builtin=False).batch_size == 64
    assert resolve(TrainConfig(batch_size=16), 300, builtin=False).batch_size == 16


def test_each_modern_family_brings_its_papers_optimiser_and_loss():
    sg2 = resolve(TrainConfig(arch="stylegan2", resolution=64), 300, builtin=False)
    assert (sg2.beta1, sg2.beta2, sg2.lr_g, sg2.lr_d, sg2.loss) == (0.0, 0.99, 2.5e-3, 2.5e-3, "ns")
    assert sg2.r1_gamma == 0.0002 * 64 ** 2 / 64
    resnet = resolve(TrainConfig(arch="resnet", resolution=64), 300, builtin=False)
    assert resnet.loss == "rpgan" and resnet.r1_gamma > 0
    classic = resolve(TrainConfig(), 300, builtin=True)
    assert (classic.beta1, classic.lr_g, classic.loss, classic.r1_gamma) == (0.5, 2e-4, "ns", 0.0)


def test_auto_is_the_default_and_becomes_a_family():
    assert TrainConfig().arch == "auto"
    for n_images, builtin, resolution in [(300, False, 64), (300, False, 128), (60_000, True, 28), (20_000, False, 32)]:
        chosen = resolve(TrainConfig(resolution=resolution), n_images, builtin=builtin)
        assert chosen.arch in ARCH_FAMILIES


def test_auto_keeps_the_builtins_on_the_recipe_measured_for_them():
    chosen = resolve(TrainConfig(resolution=28), 60_000, builtin=True)
    assert (chosen.arch, chosen.width, chosen.augment, chosen.beta1) == ("dcgan", 64, "none", 0.5)


def test_auto_with_progressive_grows_the_dcgan_family_and_an_explicit_arch_is_kept():
    assert resolve(TrainConfig(progressive=True, resolution=64), 300, builtin=False).arch == "dcgan"
    for arch in ARCH_FAMILIES:
        assert resolve(TrainConfig(arch=arch, resolution=64), 300, builtin=False).arch == arch
