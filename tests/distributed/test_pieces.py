"""The parts of multi-process training that need no second process: a world of one changes nothing,
shards add up to the one-process batch, rank 0's changes replay on the others, the launcher's line."""
import contextlib
from types import SimpleNamespace

import pytest
import torch

from ganvas.config import TrainConfig
from ganvas.errors import GanvasError
from ganvas.gan.batches import Batches
from ganvas.gan.growth import GrowingBatches, Growth
from ganvas.gan.hooks import Actions
from ganvas.gan.parallel import Parallel
from ganvas.gan.runfolder import split_batch
from ganvas.gan.syncbn import CpuSyncBatchNorm, sync_batchnorm
from ganvas.launch import describe, without_nproc
from ganvas.progress import silent
from ganvas.runtime import Runtime, launched_rank, lost_contact


def test_no_launcher_environment_is_one_process_whose_collectives_return_their_input():
    for environ in ({}, {"WORLD_SIZE": "1", "RANK": "0", "LOCAL_RANK": "0"}):
        rt = Runtime.from_env(environ=environ)
        assert (rt.rank, rt.world, rt.is_main, rt.distributed, rt.device) == (0, 1, True, False, None)
    rt = Runtime()
    t = torch.ones(3)
    assert rt.all_reduce_mean(t) is t and rt.all_reduce_sum(t) is t
    assert rt.broadcast_object({"a": 1}) == {"a": 1} and rt.all_gather_object(5) == [5]
    assert rt.all_reduce_max(4) == 4 and rt.rank_seed(7) == 7
    rt.barrier()
    assert Runtime(rank=1, world=2).rank_seed(7) != Runtime(rank=0, world=2).rank_seed(7)


def test_the_launched_rank_is_read_without_torch():
    assert launched_rank({}) == 0
    assert launched_rank({"WORLD_SIZE": "4", "RANK": "3"}) == 3


def test_a_peer_failure_is_told_from_a_rank_s_own_error():
    assert lost_contact(RuntimeError("[../gloo/transport/tcp/pair.cc:561] Connection closed by peer [127.0.0.1]"))
    assert lost_contact(RuntimeError("[../gloo/unbound_buffer.cc:78] Timed out waiting 4000ms for recv"))
    assert not lost_contact(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    assert not lost_contact(ValueError("Connection closed by peer"))


def _images(n=40):
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 1, 2, 2).contiguous()
    images[:, :, :, 1] = 255
    return images


def _shard(rank, world, flip=True, batch=8):
    return Batches(_images(), torch.arange(40), batch_size=batch, seed=3, flip=flip, device=torch.device("cpu"),
                   channels_last=False, rank=rank, world=world)


def test_the_ranks_shards_of_a_step_are_the_one_process_batch_with_the_same_flips():
    single = _shard(0, 1).from_step(0)
    shards = [_shard(r, 2).from_step(0) for r in range(2)]
    assert _shard(0, 2).rank_batch == 4 and _shard(0, 2).per_epoch == _shard(0, 1).per_epoch == 5
    for _ in range(7):  # past an epoch's end
        x, labels = next(single)
        parts = [next(s) for s in shards]
        for r, (px, plabels) in enumerate(parts):
            assert torch.equal(plabels, labels[r::2]) and torch.equal(px, x[r::2])


def test_a_shard_resumed_mid_run_replays_the_same_images():
    whole = [next(it) for it in [_shard(1, 2).from_step(0)] for _ in range(9)]
    resumed = _shard(1, 2).from_step(6)
    for x, labels in whole[6:]:
        y, labels2 = next(resumed)
        assert torch.equal(x, y) and torch.equal(labels, labels2)


def _cfg(**kw):
    return TrainConfig(**{"out": "runs/x", **kw})


def test_the_batch_splits_over_the_processes_and_says_where_it_does_not():
    assert split_batch(_cfg(batch_size=64), 4, None, silent).batch_size == 64
    assert split_batch(_cfg(batch_per_rank=16), 4, None, silent).batch_size == 64
    with pytest.raises(GanvasError, match="does not split over 3 processes"):
        split_batch(_cfg(batch_size=64), 3, None, silent)
    with pytest.raises(GanvasError, match="--accumulate 3"):
        split_batch(_cfg(batch_size=64, accumulate=3), 2, None, silent)
    with pytest.raises(GanvasError, match="--level-batch 9: does not split over 2 processes"):
        split_batch(_cfg(batch_size=64, progressive=True, level_batch=(32, 9)), 2, None, silent)


def test_a_growing_run_s_shards_of_each_level_are_the_one_process_batch():
    growth = Growth.plan(2, 0.016, 8, (16, 8))  # one step at 16 images, then 8 per step
    def stream(rank, world):
        return GrowingBatches(_images(), torch.arange(40), growth, seed=3, flip=True, device=torch.device("cpu"),
                              channels_last=False, rank=rank, world=world).from_step(0)
    single, shards = stream(0, 1), [stream(r, 2) for r in range(2)]
    for size in (16, 8, 8, 8, 8, 8):  # 40 images: the last two batches come from the next epoch's order
        x, labels = next(single)
        assert len(x) == size
        for r, (px, plabels) in enumerate(next(s) for s in shards):
            assert torch.equal(plabels, labels[r::2]) and torch.equal(px, x[r::2])


def test_a_resume_with_another_world_keeps_the_batch_and_says_it_is_not_bit_identical():
    notes = []
    cfg = split_batch(_cfg(batch_size=64, batch_per_rank=32), 4, {"processes": 2}, notes.append)
    assert cfg.batch_size == 64 and cfg.batch_per_rank == 16
    assert "not bit for bit" in notes[0].message
    with pytest.raises(GanvasError, match="resume without it"):
        split_batch(_cfg(batch_size=64, batch_per_rank=8), 2, {"processes": 2}, silent)


class _Ranks:
    """Two ranks in one process: what rank 0 broadcasts, rank 1 receives."""

    def __init__(self):
        self.box = None

    def runtime(self, rank):
        ranks = self

        class One(Runtime):
            def broadcast_object(self, obj, src=0):
                if self.is_main:
                    ranks.box = obj
                return ranks.box

        return One(rank=rank, world=2)


def _loop():
    algo = SimpleNamespace(lrs={"G": 1e-3, "D": 2e-3}, skip=SimpleNamespace(threshold=None),
                           augment=SimpleNamespace(augment_more=lambda: "augmentation: none -> ada"))
    algo.learning_rates = lambda: dict(algo.lrs)
    algo.set_learning_rate = lambda name, lr: algo.lrs.__setitem__(name, lr)
    loop = SimpleNamespace(algorithm=algo, data=SimpleNamespace(flip=False), stop_reason=None, warmups=0)
    loop.restart_warmup = lambda: setattr(loop, "warmups", loop.warmups + 1)
    return loop


def test_what_a_hook_changes_on_rank_0_is_made_on_the_others():
    ranks, main, other = _Ranks(), _loop(), _loop()
    act0, act1 = Actions(main, record=True), Actions(other, record=True)
    act0.apply({"lr_d_factor": 0.5, "skip_d_below": 0.3, "flip": True})
    act0.request_stop("enough")
    act0.restart_warmup()  # progressive growing's next level: every rank's guard forgets its window
    act0.share(ranks.runtime(0))
    act1.share(ranks.runtime(1))
    assert other.algorithm.lrs == main.algorithm.lrs == {"G": 1e-3, "D": 1e-3}
    assert other.algorithm.skip.threshold == 0.3 and other.data.flip and other.stop_reason == "enough"
    assert main.warmups == other.warmups == 1
    assert act0.journal == act1.journal == []
    assert Actions(_loop()).journal == [] and not Actions(_loop())._record  # one process keeps no notes


def test_in_one_process_parallel_wraps_nothing():
    par = Parallel()
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    assert par.prepare(net) is net and par.wrap(net) is net
    # A penalty's loss still touches every logit, so Adam steps the same parameters as over several ranks.
    logits = torch.ones(3, requires_grad=True)
    touched = par.touch_all(torch.ones(()), logits)
    touched.backward()
    assert float(touched) == 1.0 and torch.equal(logits.grad, torch.zeros(3))
    assert isinstance(par.pass_of(net, last=False), contextlib.nullcontext)


def test_the_cpu_sync_batchnorm_is_batchnorm_in_one_process_with_the_same_names():
    torch.manual_seed(0)
    plain = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3))
    synced = sync_batchnorm(torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3)),
                            torch.device("cpu"))
    synced.load_state_dict(plain.state_dict())
    assert isinstance(synced[1], CpuSyncBatchNorm) and synced.state_dict().keys() == plain.state_dict().keys()
    x = torch.randn(4, 1, 8, 8)
    assert torch.equal(plain(x), synced(x))
    assert torch.equal(plain[1].running_var, synced[1].running_var)


class _Failure(SimpleNamespace):
    pass


def _failure(code, message=""):
    return _Failure(exitcode=code, error_file_data={"message": message} if message else {},
                    message={"message": message} if message else "")


def test_the_launcher_names_the_rank_that_failed_first_not_the_ones_it_took_down():
    code, line = describe({0: _failure(-15), 1: _failure(1, "RuntimeError: boom")})
    assert code == 1 and line.startswith("rank 1 failed (RuntimeError: boom)")
    code, line = describe({0: _failure(3), 1: _failure(-9)})
    assert line.startswith("rank 1 failed (stopped answering, then was ended by SIGKILL)")
    code, line = describe({0: _failure(-15), 1: _failure(-9)})
    assert line.startswith("rank 1 failed (killed by SIGKILL)")
    assert describe({0: _failure(2), 1: _failure(2)}) == (2, None)  # a user error: the worker said it
    assert describe({0: _failure(-15), 1: _failure(2)}) == (2, None)


def test_nproc_is_taken_out_of_the_relaunched_command():
    assert without_nproc(["train", "x", "--nproc", "4", "--steps", "3"]) == ["train", "x", "--steps", "3"]
    assert without_nproc(["train", "--nproc=2", "--resume"]) == ["train", "--resume"]
