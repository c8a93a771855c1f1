"""ADA in a real run: p rises where D memorises a tiny set, and stays low where G keeps up."""
import numpy as np
from PIL import Image

from ganvas import checkpoint as ckpt
from ganvas.gan.train import train
from tests.gan.helpers import TINY_RUN


def _folder(path, images):
    path.mkdir()
    for i, pixels in enumerate(images):
        Image.fromarray(pixels).save(path / f"{i:04d}.png")
    return path


def _final_p(data, out):
    options = dict(TINY_RUN, data=str(data), batch_size=8, augment="ada", ada_kimg=0.5, steps=240,
                   checkpoint_every=240)
    train(out=str(out), **options)
    tensors, _ = ckpt.load_latest(out)
    return float(tensors["augment.p"])


def test_p_rises_on_a_tiny_set_that_d_memorises_and_stays_low_on_an_easy_one(tmp_path):
    rng = np.random.default_rng(0)
    tiny = _folder(tmp_path / "tiny", [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(8)])
    grey = np.full((16, 16, 3), 128, dtype=np.uint8)
    easy = _folder(tmp_path / "easy", [grey] * 64)
    memorised, easy_p = _final_p(tiny, tmp_path / "tiny-run"), _final_p(easy, tmp_path / "easy-run")
    assert memorised > 0.3, memorised
    assert easy_p < memorised / 3, (easy_p, memorised)
