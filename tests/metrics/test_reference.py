import numpy as np
import torch

from ganvas.metrics.reference import cache_path, reference_features, reference_key

from .fakes import tiny_inception


def _images():
    return torch.randint(0, 256, (6, 1, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def test_second_call_reads_the_cache():
    net, images = tiny_inception(), _images()
    first = reference_features(images, net)
    seen = net.net.seen
    notes = []
    second = reference_features(images, net, progress=notes.append)
    assert net.net.seen == seen
    assert np.array_equal(first, second)
    assert any("read from" in n.message for n in notes)


def test_other_settings_or_pixels_are_computed_afresh():
    net, images = tiny_inception(), _images()
    reference_features(images, net)
    seen = net.net.seen
    reference_features(images, net, resize="bicubic")
    changed = images.clone()
    changed[0, 0, 0, 0] ^= 1
    reference_features(changed, net)
    assert net.net.seen == seen + 2 * len(images)


def test_a_damaged_cache_file_is_recomputed():
    net, images = tiny_inception(), _images()
    first = reference_features(images, net, resize="bicubic", precision="bf16")
    cache_path(reference_key(images, net, resize="bicubic", precision="bf16")).write_bytes(b"garbage")
    again = reference_features(images, net, resize="bicubic", precision="bf16")
    assert np.allclose(first, again)


def test_no_cache_means_no_reuse():
    net, images = tiny_inception(), _images()
    reference_features(images, net)
    seen = net.net.seen
    reference_features(images, net, use_cache=False)
    assert net.net.seen == seen + len(images)
