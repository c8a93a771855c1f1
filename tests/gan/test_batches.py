import torch

from ganvas.gan.batches import Batches


def _batches(flip=False, seed=0):
    images = torch.arange(40, dtype=torch.uint8).view(40, 1, 1, 1).expand(40, 1, 2, 2).contiguous()
    images[:, :, :, 1] = 255
    return Batches(images, torch.arange(40), batch_size=8, seed=seed, flip=flip, device=torch.device("cpu"),
                   channels_last=False)


def _take(it, n):
    return [next(it) for _ in range(n)]


def test_an_epoch_sees_every_image_once_in_seeded_order():
    b = _batches()
    labels = torch.cat([lab for _, lab in _take(b.from_step(0), b.per_epoch)])
    assert sorted(labels.tolist()) == list(range(40))
    again = torch.cat([lab for _, lab in _take(_batches().from_step(0), b.per_epoch)])
    other = torch.cat([lab for _, lab in _take(_batches(seed=1).from_step(0), b.per_epoch)])
    assert torch.equal(labels, again) and not torch.equal(labels, other)


def test_starting_mid_run_replays_the_same_batches():
    whole = _take(_batches().from_step(0), 13)
    resumed = _take(_batches().from_step(7), 6)
    for (x, lab), (y, lab2) in zip(whole[7:], resumed):
        assert torch.equal(x, y) and torch.equal(lab, lab2)


def test_pixels_are_scaled_to_minus_one_one():
    x, _ = next(_batches().from_step(0))
    assert x.dtype == torch.float32 and x.min() >= -1 and x.max() == 1


def test_flip_mirrors_about_half_the_images_reproducibly():
    x, _ = next(_batches(flip=True).from_step(0))
    y, _ = next(_batches(flip=True).from_step(0))
    flipped = (x[:, 0, 0, 0] == 1).sum().item()  # the white column moved to the left
    assert 0 < flipped < 8 and torch.equal(x, y)
