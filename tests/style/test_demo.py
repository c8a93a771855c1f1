"""The demo's packaged photo and painting, the side-by-side strip, and what `stylize --demo` paints."""
from importlib import resources

import numpy as np
import pytest
from PIL import Image

import ganvas.style.run as style_run
from ganvas.cli import main
from ganvas.config import StyleConfig
from ganvas.style import demo_images
from ganvas.style.inputs import load_picture
from ganvas.style.pyramid import resized
from ganvas.style.strip import GAP, side_by_side

DATA = resources.files("ganvas.style") / "data"


def test_the_classic_pair_loads_from_package_data_at_its_shipped_size():
    photo, painting = demo_images.classic_pair()
    assert (photo.size, photo.mode) == ((768, 576), "RGB")
    assert (painting.size, painting.mode) == ((768, 480), "RGB")
    assert sum(len((DATA / name).read_bytes()) for name in demo_images.PACKAGED_FILES.values()) < 1_000_000


def test_the_notice_credits_the_photographer_and_both_licences():
    notice = (DATA / "NOTICE.md").read_text(encoding="utf-8")
    for credit in ("tubingen.jpg", "Andreas Praefcke", "CC BY 3.0", "starry_night.jpg", "Vincent van Gogh",
                   "public domain"):
        assert credit in notice


def solid(colour, width, height):
    return Image.new("RGB", (width, height), colour)


def test_the_strip_puts_the_panels_in_order_at_one_height_with_gaps():
    red, green, blue = (255, 0, 0), (0, 255, 0), (0, 0, 255)
    strip = side_by_side([solid(red, 40, 20), solid(green, 30, 30), solid(blue, 10, 20)], height=20)
    # green is 30x30, so at 20 px high it is 20 wide
    assert strip.size == (40 + GAP + 20 + GAP + 10, 20) and strip.mode == "RGB"
    pixels = np.asarray(strip)
    panels = {red: (0, 40), green: (40 + GAP, 60 + GAP), blue: (60 + 2 * GAP, 70 + 2 * GAP)}
    for colour, (left, right) in panels.items():
        assert (pixels[:, left:right] == colour).all()
    assert (pixels[:, 40:40 + GAP] == 255).all() and (pixels[:, 60 + GAP:60 + 2 * GAP] == 255).all()


def test_the_strip_defaults_to_the_first_images_height():
    strip = side_by_side([solid("red", 30, 15), solid("blue", 40, 40)], gap=0)
    assert strip.size == (45, 15)


@pytest.fixture
def captured_demo(monkeypatch, tmp_path, capsys):
    """Run `stylize --demo --strip` with the painting replaced by a stand-in that records its inputs."""
    seen = {}

    def fake_paint(content, styles, config, progress, on_save=None, should_stop=None):
        seen.update(content=content, styles=styles, config=config)
        photo = load_picture(content, config.size, "content")
        seen["result"] = Image.new("RGB", photo.size, (10, 200, 30))
        return seen["result"]

    monkeypatch.setattr(style_run, "paint", fake_paint)
    out, strip = tmp_path / "stylized.png", tmp_path / "strip.png"
    assert main(["stylize", "--demo", "--out", str(out), "--strip", str(strip)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    return seen, out, strip


def test_demo_paints_the_packaged_photo_as_the_starry_night_with_the_default_settings(captured_demo):
    seen, out, strip = captured_demo
    config = seen["config"]
    assert (seen["content"], seen["styles"]) == (demo_images.PHOTO, [demo_images.PAINTING])
    assert config == StyleConfig(content=demo_images.PHOTO, styles=(demo_images.PAINTING,), out=str(out),
                                 strip=str(strip))
    assert config.size == 512
    photo, painting = demo_images.classic_pair()
    for name, original in ((config.content, photo), (config.styles[0], painting)):
        assert np.array_equal(np.asarray(load_picture(name, 64, "x")), np.asarray(resized(original, 64)))


def test_demo_strip_shows_photo_painting_and_result(captured_demo):
    seen, _, strip_path = captured_demo
    strip = np.asarray(Image.open(strip_path).convert("RGB")).astype(int)
    photo = np.asarray(resized(demo_images.classic_pair()[0], 512)).astype(int)  # 512x384
    painting = np.asarray(side_by_side([resized(demo_images.classic_pair()[1], 512)], height=384)).astype(int)
    assert strip.shape == (384, 512 + GAP + painting.shape[1] + GAP + 512, 3)
    assert np.abs(strip[:, :512] - photo).max() <= 1
    start = 512 + GAP
    assert np.abs(strip[:, start:start + painting.shape[1]] - painting).max() <= 1
    assert (strip[:, -512:] == (10, 200, 30)).all()


def test_strip_may_not_be_the_output(capsys, tmp_path):
    out = tmp_path / "same.png"
    code = main(["stylize", "--demo", "--out", str(out), "--strip", str(out)])
    assert code == 2 and "--strip" in capsys.readouterr().err and not out.exists()


def test_the_procedural_pair_still_paints(tmp_path, capsys):
    landscape, swirls = demo_images.procedural_pair()
    assert landscape.size == (512, 384) and swirls.size == (384, 384)
    out = tmp_path / "drawn.png"
    code = main(["stylize", demo_images.PROCEDURAL_PHOTO, demo_images.PROCEDURAL_PAINTING, "--out", str(out),
                 "--size", "48", "--steps", "2", "--precision", "fp32"])
    assert code == 0 and Image.open(out).size == (48, 36)
