import torch

from ganvas.data import Dataset, cache


def _dataset(labels=True):
    images = torch.arange(2 * 1 * 4 * 4, dtype=torch.uint8).reshape(2, 1, 4, 4)
    lab = torch.tensor([0, 1]) if labels else None
    classes = ["a", "b"] if labels else []
    return Dataset(images, lab, classes, cache.fingerprint(images, lab, classes), "src", [("x.png", "empty file")])


def test_round_trip_keeps_everything(private_cache):
    original = _dataset()
    cache.store("k1", original)
    loaded = cache.load_cached("k1", "given")
    assert torch.equal(loaded.images, original.images) and torch.equal(loaded.labels, original.labels)
    assert loaded.classes == ["a", "b"] and loaded.skipped == [("x.png", "empty file")]
    assert loaded.fingerprint == original.fingerprint and loaded.source == "given"
    assert (private_cache / "prepared" / "k1.safetensors").exists()


def test_unlabelled_round_trip_and_missing_key():
    cache.store("k2", _dataset(labels=False))
    assert cache.load_cached("k2", "s").labels is None
    assert cache.load_cached("absent", "s") is None


def test_a_damaged_entry_reads_as_absent(private_cache):
    cache.store("k3", _dataset())
    (private_cache / "prepared" / "k3.safetensors").write_bytes(b"garbage")
    assert cache.load_cached("k3", "s") is None
    cache.store("k4", _dataset())
    (private_cache / "prepared" / "k4.json").write_text("{")
    assert cache.load_cached("k4", "s") is None


def test_keys_and_fingerprints_follow_their_inputs():
    assert cache.cache_key({"a": 1}) == cache.cache_key({"a": 1}) != cache.cache_key({"a": 2})
    base = _dataset()
    changed = base.images.clone()
    changed[0, 0, 0, 0] += 1
    assert cache.fingerprint(changed, base.labels, base.classes) != base.fingerprint
    assert cache.fingerprint(base.images, base.labels, ["a", "c"]) != base.fingerprint
