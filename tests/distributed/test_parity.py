"""Two CPU ranks (gloo) train as one process would: the same gradients for the same global batch, and the
same skip-D choice on every rank when only one rank's own loss meets the threshold."""
import json

import pytest

from .helpers import torchrun

pytestmark = pytest.mark.slow

PARITY = ("dcgan-sn (BatchNorm in G only)", "dcgan (BatchNorm in G and D)", "mlp, --accumulate 2",
          "dcgan-sn, lazy R1 phase", "msg, lazy R1 phase",
          "dcgan --progressive, 8 px", "dcgan --progressive, mid-fade", "stylegan2, lazy R1 phase")


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    out = tmp_path_factory.mktemp("parity") / "parity.json"
    job = torchrun("worker_parity.py", out)
    assert job.returncode == 0, job.stderr[-4000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize("case", PARITY)
def test_two_ranks_of_half_the_batch_give_the_one_process_gradients(measured, case):
    # <= 1 means every gradient and weight after the step is within rtol 1e-4, atol 1e-6 of one process's.
    assert measured["parity"][case] <= 1.0


def test_per_rank_batchnorm_would_not(measured):
    assert measured["parity"]["dcgan, --no-sync-bn"] > 10.0


@pytest.mark.parametrize("side", ["below one rank only", "above one rank only"])
def test_skip_d_is_one_choice_on_every_rank(measured, side):
    result = measured["skip"][side]
    low, high = sorted(result["losses"])
    mean = result["mean_seen"][0]
    assert low < mean < high  # the threshold lies between one rank's own loss and the mean
    assert result["mean_seen"][0] == result["mean_seen"][1]
    # The step after: the mean decides, on both ranks (it is above the threshold, or below it).
    assert result["first_skipped"] == ([1, 1] if side == "above one rank only" else [0, 0])
    assert result["skipped"][0] == result["skipped"][1]
    assert result["weights_equal"]  # no rank went its own way over the following steps


def test_stylegan2_s_path_length_keeps_every_rank_on_one_set_of_weights(measured):
    result = measured["path_length"]
    assert result["own_lengths_differ"]  # each rank's probes and styles are its own
    assert result["pl_mean"][0] == result["pl_mean"][1] > 0.0
    assert result["weights_equal"]
