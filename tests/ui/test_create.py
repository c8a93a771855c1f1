"""The Create tab's style mixing: drawn for a StyleGAN2 run, refused in one line for a single-latent G."""
import pytest
from PIL import Image

from ganvas.config.studio import StudioConfig
from ganvas.errors import GanvasError
from ganvas.gan.train import train
from ganvas.ui.studio import Studio
from ganvas.ui.tabs import create

TINY = dict(data="shapes", resolution=16, width=4, batch_size=8, steps=2, checkpoint_every=2, sample_every=1000,
            log_every=1, tensorboard=False, threads=1, precision="fp32")


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    train(out=str(runs / "styled"), arch="stylegan2", **TINY)
    train(out=str(runs / "classic"), arch="dcgan", **TINY)
    return Studio.open(StudioConfig(runs=str(runs)))


def test_a_stylegan2_run_draws_the_mixing_grid(studio):
    assert "seed A" in create._mixing_note(studio, "styled")
    message, path, download = create._mix(studio, "styled", 1, 2, 3)
    assert path == download and "seed 1" in message and "seed 2" in message
    with Image.open(path) as grid:  # a header row and column around 3 x 3 mixed cells, 16 px each
        assert grid.size == (4 * 18 + 2, 4 * 18 + 2)


def test_a_dcgan_run_says_why_it_cannot_mix(studio):
    assert "Not available" in create._mixing_note(studio, "classic")
    with pytest.raises(GanvasError, match="stylegan2"):
        create._mix(studio, "classic", 1, 2, 3)
