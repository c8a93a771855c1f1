import numpy as np
import torch
from PIL import Image

from ganvas.data.tensors import pad_square, resize_square, to_channels


def test_to_channels_matches_pillows_luma_and_repeats_gray():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    batch = torch.from_numpy(rgb).permute(2, 0, 1)[None]
    luma = to_channels(batch, 1)
    expected = np.asarray(Image.fromarray(rgb).convert("L"))
    assert luma.shape == (1, 1, 4, 4) and np.abs(luma[0, 0].numpy().astype(int) - expected).max() <= 1
    again = to_channels(luma, 3)
    assert again.shape == (1, 3, 4, 4) and torch.equal(again[:, 2], luma[:, 0])
    assert to_channels(batch, 3) is batch


def test_pad_square_centres_on_black():
    ones = torch.full((2, 1, 28, 28), 9, dtype=torch.uint8)
    out = pad_square(ones, 32)
    assert out.shape == (2, 1, 32, 32) and out.sum() == 9 * 2 * 28 * 28
    assert (out[:, :, 2:30, 2:30] == 9).all()


def test_resize_square_keeps_flat_colours_and_dtype():
    flat = torch.full((3, 3, 32, 32), 200, dtype=torch.uint8)
    for size in (16, 64):
        out = resize_square(flat, size, chunk=2)
        assert out.dtype == torch.uint8 and out.shape == (3, 3, size, size) and (out == 200).all()
