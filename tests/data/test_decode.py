
import numpy as np
import pytest
from PIL import Image

from ganvas.data.decode import decode_file, decode_files, decode_members, fit_square
from ganvas.errors import GanvasError

from .corpus import BLUE, RED, bomb_png, good_files, make_zip, write_files

BANDS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]


def _bands(width: int = 64, height: int = 32) -> Image.Image:
    """Four vertical bands of equal width: red, green, blue, yellow."""
    arr = np.zeros((height, width, 3), dtype=np.uint8)
    for i, colour in enumerate(BANDS):
        arr[:, i * width // 4:(i + 1) * width // 4] = colour
    return Image.fromarray(arr)


def _close(pixel, colour, tol=40):
    return all(abs(int(a) - int(b)) <= tol for a, b in zip(pixel, colour))


def test_crop_keeps_the_centre_square():
    out = np.asarray(fit_square(_bands(), 16, "crop"))
    assert out.shape == (16, 16, 3)
    # the centre square of four bands holds only the middle two, each now half the width
    assert _close(out[8, 2], BANDS[1]) and _close(out[8, 13], BANDS[2])
    assert not any(_close(out[8, x], BANDS[0]) or _close(out[8, x], BANDS[3]) for x in range(16))


def test_pad_keeps_everything_and_letterboxes_with_black():
    out = np.asarray(fit_square(_bands(), 16, "pad"))
    assert out.shape == (16, 16, 3)
    assert (out[:4] == 0).all() and (out[12:] == 0).all()  # 64x32 -> 16x8, centred vertically
    for i, colour in enumerate(BANDS):
        assert _close(out[8, i * 4 + 2], colour)


def test_exif_orientation_is_applied(tmp_path):
    write_files(tmp_path, {"r.jpg": good_files()["exif_rotated.jpg"]})
    out = decode_file(tmp_path / "r.jpg", 16, "pad")
    # upright it is 20 wide x 40 tall with red on top: padded left and right, not above and below
    assert (out[:, :3] < 20).all() and (out[:, 13:] < 20).all()
    assert _close(out[3, 8], RED) and _close(out[12, 8], BLUE)


def test_modes_are_flattened(tmp_path):
    write_files(tmp_path, good_files())
    rgba = decode_file(tmp_path / "rgba.png", 16, "crop")
    assert _close(rgba[8, 3], RED, 5) and _close(rgba[8, 12], (255, 255, 255), 5)  # transparent -> white
    palette = decode_file(tmp_path / "palette_transparent.png", 24, "crop")
    assert _close(palette[12, 12], (0, 255, 0), 5) and _close(palette[1, 1], (255, 255, 255), 5)
    deep = decode_file(tmp_path / "deep16.png", 16, "crop")
    assert deep.shape == (16, 16) and deep[8, 2] == 255 and abs(int(deep[8, 13]) - 128) <= 1
    cmyk = decode_file(tmp_path / "cmyk.jpg", 16, "crop")
    assert cmyk.shape == (16, 16, 3) and _close(cmyk[8, 8], RED)
    assert decode_file(tmp_path / "gray.png", 16, "crop").shape == (16, 16)
    assert decode_file(tmp_path / "nested/deeper/small.gif", 16, "pad").shape[:2] == (16, 16)


def test_large_photo_is_decoded_small_and_right(tmp_path):
    big = _bands(4000, 2000)
    big.save(tmp_path / "big.jpg", quality=90)
    crop = decode_file(tmp_path / "big.jpg", 32, "crop")
    assert crop.shape == (32, 32, 3)
    assert _close(crop[16, 4], BANDS[1]) and _close(crop[16, 27], BANDS[2])


def test_broken_files_give_reasons_not_exceptions(tmp_path):
    write_files(tmp_path, {"bomb.png": bomb_png(), "empty.png": b"", "ok.png": good_files()["tall.png"]})
    results = decode_files([str(tmp_path / n) for n in ("bomb.png", "empty.png", "ok.png")], 16, "crop")
    assert [r[1] for r in results] == ["too many pixels (decompression-bomb guard)", "empty file", None]
    assert results[2][0].shape == (16, 16, 3)
    with pytest.raises(GanvasError, match="empty file"):
        decode_file(tmp_path / "empty.png", 16, "crop")


def test_bomb_guard_follows_pillows_limit(tmp_path, monkeypatch):
    write_files(tmp_path, {"ok.png": good_files()["tall.png"]})  # 10 x 150 = 1,500 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    [(array, reason)] = decode_files([str(tmp_path / "ok.png")], 16, "crop")
    assert array is None and reason == "too many pixels (decompression-bomb guard)"


def test_zip_members_decode_like_files(tmp_path):
    archive = make_zip(tmp_path / "c.zip")
    [(from_zip, _), (empty, reason)] = decode_members(str(archive), ["corpus/cmyk.jpg", "corpus/empty.png"], 16, "crop")
    write_files(tmp_path, {"cmyk.jpg": good_files()["cmyk.jpg"]})
    assert np.array_equal(from_zip, decode_file(tmp_path / "cmyk.jpg", 16, "crop"))
    assert empty is None and reason == "empty file"
