import pytest
import torch

from ganvas.gan.augment import ADA_OPS, GEOMETRIC_OPS, P_MAX, POLICIES, AugmentPipe


def images(n=8, channels=3, size=16, seed=0):
    """Photo-like images in [-1, 1]: a brightness per pixel plus modest colour."""
    gen = torch.Generator().manual_seed(seed)
    luma = torch.rand(n, 1, size, size, generator=gen) * 1.6 - 0.8
    colour = (torch.rand(n, channels, size, size, generator=gen) - 0.5) * 0.4
    return (luma + colour).clamp(-1, 1)


def on_pipes():
    """One pipe per way of being on: each DiffAugment policy, all of them, ADA with all ops and alone."""
    pipes = {f"diffaugment-{name}": AugmentPipe("diffaugment", policy=(name,)) for name in POLICIES}
    pipes["diffaugment-all"] = AugmentPipe("diffaugment")
    pipes.update({f"ada-{op}": AugmentPipe("ada", p=1.0, ops=(op,)) for op in ADA_OPS})
    pipes["ada-all-p1"] = AugmentPipe("ada", p=1.0)
    pipes["ada-all-p0.5"] = AugmentPipe("ada", p=0.5)
    pipes["ada-geometry-p0.1"] = AugmentPipe("ada", p=0.1, ops=GEOMETRIC_OPS)  # moves a few
    return pipes


ON_PIPES = on_pipes()


@pytest.mark.parametrize("pipe", [AugmentPipe(), AugmentPipe("ada", p=0.0)], ids=["none", "ada-p0"])
def test_an_off_pipe_returns_its_input_and_draws_nothing(pipe):
    x = images()
    state = torch.get_rng_state()
    assert pipe(x) is x and not pipe.active
    assert torch.equal(torch.get_rng_state(), state)


def test_an_active_pipe_draws_every_call():
    pipe, x = AugmentPipe("ada", p=1e-6), images()
    state = torch.get_rng_state()
    pipe(x)
    assert pipe.active and not torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("name", list(ON_PIPES))
def test_gradients_flow_through_every_op(name):
    x = images().requires_grad_()
    weights = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    (ON_PIPES[name](x) * weights).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ["diffaugment-all", "ada-all-p0.5", "ada-all-p1"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "grayscale"])
def test_shape_dtype_and_memory_format_are_kept(name, dtype, layout):
    x = images(channels=1 if layout == "grayscale" else 3, size=32).to(dtype)
    if layout == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    torch.manual_seed(0)
    y = ON_PIPES[name](x)
    assert y.shape == x.shape and y.dtype == dtype
    if layout != "grayscale":  # one channel is contiguous in both layouts
        assert y.is_contiguous(memory_format=torch.channels_last) == (layout == "channels_last")
    assert not torch.equal(y, x)


@pytest.mark.parametrize("name", ["diffaugment-all", "ada-all-p0.5", "ada-all-p1"])
def test_values_stay_finite_and_of_the_same_order(name):
    # Colour ops may leave [-1, 1] (both papers allow it); a scale slip, e.g. brightness in 0..255
    # units or a contrast that compounds, would not stay this close.
    x = images(size=32)
    for seed in range(20):
        torch.manual_seed(seed)
        y = ON_PIPES[name](x).abs()
        assert torch.isfinite(y).all() and y.quantile(0.95) < 2.0 and y.max() < 8.0


@pytest.mark.parametrize("name", ["diffaugment-all", "ada-all-p0.5"])
def test_the_seed_decides_the_transform(name):
    pipe, x = ON_PIPES[name], images()
    outputs = []
    for seed in (0, 0, 1):
        torch.manual_seed(seed)
        outputs.append(pipe(x))
    assert torch.equal(outputs[0], outputs[1]) and not torch.equal(outputs[0], outputs[2])


def test_translation_moves_content_by_at_most_an_eighth():
    x = torch.zeros(16, 1, 16, 16)
    x[:, :, 8, 8] = 1.0  # one bright pixel on grey: where it lands is the shift
    torch.manual_seed(0)
    y = AugmentPipe("diffaugment", policy=("translation",))(x)
    shifts = []
    for image in y[:, 0]:
        spots = (image == 1.0).nonzero()
        assert len(spots) == 1 and image.sum() == 1.0  # moved, not blurred; the rest is padding grey
        shifts.append((spots[0] - 8).tolist())
    assert all(abs(dy) <= 2 and abs(dx) <= 2 for dy, dx in shifts)
    assert len({tuple(s) for s in shifts}) > 4


def test_cutout_zeroes_one_square_of_half_the_side():
    x = torch.full((32, 3, 32, 32), 0.5)
    torch.manual_seed(0)
    y = AugmentPipe("diffaugment", policy=("cutout",))(x)
    full_squares = 0
    for image in y:
        cut = (image == 0).all(dim=0)
        rows, cols = cut.any(dim=1), cut.any(dim=0)
        assert torch.equal(cut, rows[:, None] & cols[None, :])  # one axis-aligned rectangle
        height, width = int(rows.sum()), int(cols.sum())
        assert 0 < height <= 16 and 0 < width <= 16
        inside = not (rows[0] or rows[-1] or cols[0] or cols[-1])
        if inside:  # clipped only where it runs off the image
            assert height == width == 16
            full_squares += 1
    assert full_squares > 0


def test_color_changes_each_images_statistics():
    x = images()
    torch.manual_seed(0)
    y = AugmentPipe("diffaugment", policy=("color",))(x)
    mean_moved = (y.mean(dim=(1, 2, 3)) - x.mean(dim=(1, 2, 3))).abs()
    spread_changed = (y.std(dim=(1, 2, 3)) / x.std(dim=(1, 2, 3)) - 1).abs()
    assert ((mean_moved > 1e-3) | (spread_changed > 1e-3)).all()


def test_xflip_at_p1_mirrors_every_image():
    x = images()
    torch.manual_seed(0)
    y = AugmentPipe("ada", p=1.0, ops=("xflip",))(x)
    assert torch.allclose(y, x.flip(dims=[3]), atol=1e-5)


def test_rot90_at_p1_gives_quarter_turns():
    x = images(n=16)
    torch.manual_seed(0)
    y = AugmentPipe("ada", p=1.0, ops=("rot90",))(x)
    turns = []
    for image, out in zip(x, y):
        matches = [k for k in range(4) if torch.allclose(out, image.rot90(k, dims=(1, 2)), atol=1e-5)]
        assert len(matches) == 1
        turns.append(matches[0])
    assert len(set(turns)) == 4


def mirrored_indices(size, shift):
    """Source rows (or columns) of a shift with the border mirrored about the image's edge."""
    index = torch.arange(size) + shift
    return torch.where(index < 0, -index - 1, torch.where(index >= size, 2 * size - 1 - index, index))


def test_integer_translation_at_p1_moves_whole_pixels_and_mirrors_the_border():
    x = images(n=16)
    torch.manual_seed(0)
    y = AugmentPipe("ada", p=1.0, ops=("translate",))(x)
    shifts = set()
    for image, out in zip(x, y):
        moved = {(dy, dx): image[:, mirrored_indices(16, dy)][:, :, mirrored_indices(16, dx)]
                 for dy in range(-2, 3) for dx in range(-2, 3)}
        found = [shift for shift, expected in moved.items() if torch.allclose(out, expected, atol=1e-5)]
        assert len(found) == 1
        shifts.add(found[0])
    assert len(shifts) > 4


def test_grayscale_skips_saturation_and_hue():
    x = images(channels=1)
    assert torch.equal(AugmentPipe("ada", p=1.0, ops=("saturation", "hue"))(x), x)


def feed(pipe, logits, steps, batch_size=8):
    for _ in range(steps):
        pipe.observe(logits)
        pipe.adjust(batch_size)


CONFIDENT, MIXED = torch.full((8,), 3.0), torch.tensor([2.0, -2.0] * 4)
STEP = 8 * 4 / (100 * 1000)  # batch * interval / (ada_kimg * 1000)


def test_ada_p_moves_one_step_per_interval_while_d_is_sure_of_reals():
    pipe = AugmentPipe("ada")
    feed(pipe, CONFIDENT, 3)
    assert float(pipe.p) == 0.0 and float(pipe.sign_count) == 24
    feed(pipe, CONFIDENT, 1)
    assert float(pipe.p) == pytest.approx(STEP, rel=1e-5) and float(pipe.sign_count) == 0
    feed(pipe, CONFIDENT, 36)
    assert float(pipe.p) == pytest.approx(10 * STEP, rel=1e-4)


def test_ada_p_falls_and_stays_at_zero_below_the_target():
    pipe = AugmentPipe("ada", p=0.5)
    feed(pipe, MIXED, 4)
    assert float(pipe.p) == pytest.approx(0.5 - STEP, rel=1e-5)
    zero = AugmentPipe("ada")
    feed(zero, MIXED, 40)
    assert float(zero.p) == 0.0


def test_ada_p_stays_in_zero_to_one():
    pipe = AugmentPipe("ada", p=0.99, ada_kimg=0.001)  # each step is far larger than the range
    feed(pipe, CONFIDENT, 8)
    assert float(pipe.p) == P_MAX and P_MAX < 1.0
    feed(pipe, -CONFIDENT, 4)
    assert float(pipe.p) == 0.0


def test_ada_holds_p_without_observations_and_other_modes_never_adjust():
    pipe = AugmentPipe("ada", p=0.3)
    for _ in range(8):
        pipe.adjust(8)
    assert float(pipe.p) == pytest.approx(0.3)
    for mode in ("none", "diffaugment"):
        other = AugmentPipe(mode)
        feed(other, CONFIDENT, 8)
        assert float(other.p) == 0.0 and float(other.sign_count) == 0


def test_state_dict_round_trip_carries_mode_p_target_and_tally():
    pipe = AugmentPipe("ada", p=0.25)
    pipe.augment_more()
    feed(pipe, CONFIDENT, 6)  # one update, then two steps into the next interval
    fresh = AugmentPipe()
    fresh.load_state_dict(pipe.state_dict())
    assert fresh.mode == "ada" and float(fresh.target) == pytest.approx(0.5)
    assert {"mode_index", "p", "target", "sign_sum", "sign_count"} <= set(fresh.state_dict())
    for name, buffer in pipe.named_buffers():
        assert torch.equal(buffer, getattr(fresh, name)), name
    x = images()
    torch.manual_seed(3)
    expected = pipe(x)
    torch.manual_seed(3)
    assert torch.equal(fresh(x), expected)


def test_augment_more_steps_up_the_augmentation():
    none = AugmentPipe()
    assert none.augment_more() == "augmentation: none -> ada (target 0.6, p 0)"
    assert none.mode == "ada" and float(none.p) == 0.0
    diff = AugmentPipe("diffaugment")
    assert diff.augment_more() == "augmentation: diffaugment -> ada (target 0.6, p 0.2)"
    assert diff.mode == "ada" and diff.active
    messages = [diff.augment_more() for _ in range(4)]
    assert messages == ["augmentation: ada target 0.6 -> 0.5", "augmentation: ada target 0.5 -> 0.4",
                        "augmentation: ada target 0.4 -> 0.3",
                        "augmentation: ada target already at its floor 0.3"]
    assert float(diff.target) == pytest.approx(0.3)


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "strong"}, "augment mode 'strong': choose from none, diffaugment, ada"),
    ({"policy": ("color", "blur")}, "augment policy 'blur': choose from color, translation, cutout"),
    ({"ops": ("xflip", "shear")}, "augment op 'shear': choose from xflip"),
    ({"target": 1.5}, "augment target 1.5: must be between 0 and 1"),
    ({"p": -0.1}, "augment p -0.1: must be from 0 to 1"),
    ({"interval": 0}, "augment interval 0: must be a whole number, at least 1"),
    ({"ada_kimg": 0}, "augment ada_kimg 0: must be positive"),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        AugmentPipe(**kwargs)


def grey_and_chroma(x):
    grey = x.mean(dim=1, keepdim=True)
    return grey, (x - grey).norm(dim=1)


def test_hue_turns_colour_around_the_grey_axis_and_saturation_stretches_from_it():
    x = images()
    grey, chroma = grey_and_chroma(x)
    torch.manual_seed(0)
    turned_grey, turned_chroma = grey_and_chroma(AugmentPipe("ada", p=1.0, ops=("hue",))(x))
    assert torch.allclose(turned_grey, grey, atol=1e-5) and torch.allclose(turned_chroma, chroma, atol=1e-5)
    torch.manual_seed(0)
    y = AugmentPipe("ada", p=1.0, ops=("saturation",))(x)
    stretched_grey, stretched_chroma = grey_and_chroma(y)
    ratio = stretched_chroma / chroma
    assert torch.allclose(stretched_grey, grey, atol=1e-5)
    assert torch.allclose(ratio, ratio[:, :1, :1].expand_as(ratio), rtol=1e-3)  # one factor per image
    assert torch.allclose(y - stretched_grey, (x - grey) * ratio[:, None, :1, :1], atol=1e-5)  # not turned


def test_brightness_adds_and_contrast_multiplies_one_amount_per_image():
    x = images()
    torch.manual_seed(0)
    shifted = AugmentPipe("ada", p=1.0, ops=("brightness",))(x) - x
    assert torch.allclose(shifted, shifted[:, :1, :1, :1].expand_as(x), atol=1e-6)
    assert shifted[:, 0, 0, 0].abs().min() > 0
    torch.manual_seed(0)
    y = AugmentPipe("ada", p=1.0, ops=("contrast",))(x)
    gain = (y * x).sum(dim=(1, 2, 3), keepdim=True) / (x * x).sum(dim=(1, 2, 3), keepdim=True)
    assert torch.allclose(y, x * gain, atol=1e-5) and (gain - 1).abs().min() > 0


def test_diffaugment_color_is_brightness_then_saturation_then_contrast():
    x = images()
    torch.manual_seed(0)
    y = AugmentPipe("diffaugment", policy=("color",))(x)
    torch.manual_seed(0)  # the three ops one after another, on DiffAugment's [0, 1] ranges scaled to [-1, 1]
    expected = x + (torch.rand(8, 1, 1, 1) - 0.5) * 2.0
    mean = expected.mean(dim=1, keepdim=True)
    expected = (expected - mean) * (torch.rand(8, 1, 1, 1) * 2.0) + mean
    mean = expected.mean(dim=(1, 2, 3), keepdim=True)
    expected = (expected - mean) * (torch.rand(8, 1, 1, 1) + 0.5) + mean
    assert torch.allclose(y, expected, atol=1e-5)
