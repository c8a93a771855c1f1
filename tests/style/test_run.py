import pytest
import torch
from PIL import Image

import ganvas
from ganvas import native
from ganvas.errors import GanvasError
from ganvas.style.color import rgb_to_yiq
from ganvas.style.pyramid import to_tensor



def collect():
    events = []
    return events, events.append


def test_small_real_run_lowers_the_loss_and_returns_an_image(TUBINGEN, STARRY):
    events, progress = collect()
    out = ganvas.stylize(TUBINGEN, STARRY, size=64, steps=12, progress=progress)
    assert isinstance(out, Image.Image) and out.size == (64, 48)
    losses = [e.values["loss"] for e in events if e.kind == "update"]
    assert losses[-1] < 0.5 * losses[0]
    assert {"content", "style", "tv", "loss"} <= set(events[-2].values)


def test_first_tiled_run_on_a_machine_says_it_compiles_the_kernels(TUBINGEN, STARRY, session_cache, tmp_path,
                                                                   monkeypatch):
    fresh = tmp_path / "cache"
    fresh.mkdir()
    for weights in session_cache.glob("*.safetensors"):
        (fresh / weights.name).symlink_to(weights)
    monkeypatch.setenv("GANVAS_CACHE", str(fresh))
    native.load.cache_clear()
    try:
        notes = []
        for _ in range(2):
            events, progress = collect()
            ganvas.stylize(TUBINGEN, STARRY, size=48, steps=1, precision="bf16", progress=progress)
            notes.append([e.message for e in events if e.kind == "note"])
    finally:
        native.load.cache_clear()
    assert any("compiling" in n for n in notes[0]) and notes[1] == []


def test_multi_scale_runs_each_scale_at_its_size(TUBINGEN, STARRY):
    events, progress = collect()
    out = ganvas.stylize(TUBINGEN, [STARRY], size=96, scales=(48, 96), steps=3, coarse_steps=2,
                         progress=progress)
    assert out.size == (96, 72)
    sides = [e.values["px"] for e in events if e.kind == "update"]
    assert sides[0] == 48 and sides[-1] == 96
    assert events[-1].kind == "end" and events[-1].total == 5


def test_luminance_run_keeps_the_photos_colours(TUBINGEN, STARRY):
    photo = Image.open(TUBINGEN).convert("RGB").resize((64, 48))
    out = ganvas.stylize(photo, STARRY, size=64, steps=5, preserve_color="luminance")
    chroma = lambda img: rgb_to_yiq(to_tensor(img))[:, 1:]  # noqa: E731
    assert (chroma(out) - chroma(photo)).abs().mean() < 2.0


def test_two_styles_and_noise_start_are_deterministic(TUBINGEN, STARRY):
    kwargs = dict(size=48, steps=4, style_weights=(0.7, 0.3), init="noise", seed=3, deterministic=True)
    a = ganvas.stylize(TUBINGEN, [STARRY, STARRY], **kwargs)
    b = ganvas.stylize(TUBINGEN, [STARRY, STARRY], **kwargs)
    assert torch.equal(to_tensor(a), to_tensor(b))


def test_adam_runs_and_keeps_pixels_in_range(TUBINGEN, STARRY, monkeypatch):
    import ganvas.style.run as run_module

    iterates = []

    def recording(*args, **kwargs):
        iterates.append(real_optimise(*args, **kwargs))
        return iterates[-1]

    real_optimise = run_module.optimise
    monkeypatch.setattr(run_module, "optimise", recording)
    out = ganvas.stylize(TUBINGEN, STARRY, size=48, steps=3, optimizer="adam", precision="fp32", init="noise")
    assert out.size == (48, 36)
    # The iterate itself, before any clamping at save time, stays within the pixel range.
    assert iterates and all(0.0 <= float(x.min()) and float(x.max()) <= 255.0 for x in iterates)
    assert any(float(x.max()) - float(x.min()) > 10 for x in iterates)


def test_style_weights_must_match_the_styles(TUBINGEN, STARRY):
    with pytest.raises(GanvasError, match="--style-weights"):
        ganvas.stylize(TUBINGEN, [STARRY], size=48, steps=1, style_weights=(0.5, 0.5))


def test_torchvision_model_offline_says_it_could_not_download(monkeypatch, TUBINGEN, STARRY):
    import torch.hub

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(GanvasError, match="could not download.*caffe-vgg19"):
        ganvas.stylize(TUBINGEN, STARRY, size=48, steps=1, model="torchvision-vgg19")



def test_should_stop_ends_early_and_keeps_the_image_at_the_asked_size(TUBINGEN, STARRY):
    calls = []

    def stop() -> bool:  # polled once after every step
        calls.append(1)
        return len(calls) >= 3

    events, progress = collect()
    out = ganvas.stylize(TUBINGEN, STARRY, size=96, scales=(48, 96), steps=20, coarse_steps=20,
                         progress=progress, should_stop=stop)
    assert out.size == (96, 72)  # stopped at the coarse scale, still the size asked for
    assert len(calls) == 3 and events[-1].kind == "end" and (events[-1].step, events[-1].total) == (3, 40)
    assert any("stopped" in e.message for e in events if e.kind == "note")
