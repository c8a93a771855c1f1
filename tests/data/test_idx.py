import gzip
import hashlib
import io
import struct
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch

from ganvas.data import idx, prepare
from ganvas.data.builtin import FASHION_MNIST
from ganvas.errors import GanvasError

DEBIAN = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(array: np.ndarray) -> bytes:
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.tobytes()


def write_tiny_set(folder: Path, n: int = 3, split_prefix: str = "train") -> np.ndarray:
    folder.mkdir(parents=True, exist_ok=True)
    images = np.arange(n * 28 * 28, dtype=np.int64).reshape(n, 28, 28).astype(np.uint8)
    (folder / f"{split_prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
    (folder / f"{split_prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(n, dtype=np.uint8) % 10))
    return images


def test_reads_the_debian_fashion_mnist_files():
    train = prepare("fashion-mnist")
    assert train.images.shape == (60_000, 1, 32, 32) and train.images.dtype == torch.uint8
    assert train.labels.dtype == torch.int64 and np.bincount(train.labels.numpy()).tolist() == [6000] * 10
    assert len(train.classes) == 10 and train.classes[9] == "Ankle boot"
    raw = idx.read_idx(DEBIAN / "train-images-idx3-ubyte.gz")
    # padded 28 -> 32 with two black pixels each side, the 28x28 pixels untouched
    assert torch.equal(train.images[:, 0, 2:30, 2:30], torch.from_numpy(raw.copy()))
    assert train.images[:, :, :2].sum() == 0 and train.images[:, :, :, 30:].sum() == 0

    test = prepare("fashion-mnist", split="test")
    assert test.images.shape == (10_000, 1, 32, 32) and len(test.labels) == 10_000
    assert test.fingerprint != train.fingerprint


def test_other_resolutions_and_channels_of_a_builtin():
    data = prepare("fashion-mnist", split="test", resolution=16, channels=3)
    assert data.images.shape == (10_000, 3, 16, 16)
    assert torch.equal(data.images[:, 0], data.images[:, 1])


def test_read_idx_refuses_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(GanvasError, match="bad magic"):
        idx.read_idx(tmp_path / "bad")
    whole = idx_bytes(np.zeros((2, 28, 28), np.uint8))
    (tmp_path / "short").write_bytes(whole[:-5])
    with pytest.raises(GanvasError, match="truncated"):
        idx.read_idx(tmp_path / "short")
    (tmp_path / "int.idx").write_bytes(idx_bytes(np.arange(6, dtype=">i4").reshape(2, 3)))
    assert idx.read_idx(tmp_path / "int.idx").tolist() == [[0, 1, 2], [3, 4, 5]]


def test_data_root_comes_first_and_takes_plain_or_gzipped_files(tmp_path):
    images = write_tiny_set(tmp_path / "root" / "mnist")
    data = prepare("mnist", data_root=str(tmp_path / "root"))
    assert data.images.shape == (3, 1, 32, 32) and data.labels.tolist() == [0, 1, 2]
    assert torch.equal(data.images[:, 0, 2:30, 2:30], torch.from_numpy(images))
    assert data.classes == [str(d) for d in range(10)]


def test_mismatched_images_and_labels_are_refused(tmp_path):
    folder = tmp_path / "mnist"
    write_tiny_set(folder, n=3)
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(GanvasError, match="do not belong together"):
        prepare("mnist", data_root=str(tmp_path))


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No local copies anywhere: the system folder is an empty one."""
    monkeypatch.setattr(idx, "SYSTEM_ROOT", tmp_path / "system")
    return tmp_path / "root"


def test_download_failure_is_one_line_saying_where_it_looked(nowhere, monkeypatch):
    def offline(url):
        raise URLError("network is unreachable")

    monkeypatch.setattr(idx, "_open_url", offline)
    with pytest.raises(GanvasError) as err:
        prepare("fashion-mnist", data_root=str(nowhere))
    message = str(err.value)
    assert "\n" not in message
    assert str(nowhere / "fashion-mnist") in message and str(idx.SYSTEM_ROOT / "fashion-mnist") in message
    assert "network is unreachable" in message and "--data-root" in message
    assert FASHION_MNIST.mirrors[0] in message
    assert not any(p.is_file() for p in nowhere.rglob("*"))


def test_checksum_mismatch_is_refused_and_nothing_kept(nowhere, monkeypatch):
    monkeypatch.setattr(idx, "_open_url", lambda url: io.BytesIO(b"<html>a captive portal</html>"))
    with pytest.raises(GanvasError, match="checksum mismatch"):
        prepare("mnist", data_root=str(nowhere))
    assert not any(p.is_file() for p in nowhere.rglob("*"))


def test_download_with_matching_checksums_is_used(nowhere, monkeypatch):
    images = np.full((4, 28, 28), 7, np.uint8)
    payloads = {"train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
                "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(np.array([1, 2, 3, 4], np.uint8)))}
    spec = idx.IdxSet(name="tiny", mirrors=("https://example.invalid/a/", "https://example.invalid/b/"),
                      md5={k: hashlib.md5(v).hexdigest() for k, v in payloads.items()},
                      splits={"train": tuple(payloads)})
    asked = []

    def second_mirror_works(url):
        asked.append(url)
        if "/a/" in url:
            raise URLError("first mirror down")
        return io.BytesIO(payloads[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(idx, "_open_url", second_mirror_works)
    paths = idx.locate(spec, "train", str(nowhere))
    assert [p.parent for p in paths] == [nowhere / "tiny"] * 2
    got, labels = idx.load_split(*paths)
    assert np.array_equal(got, images) and labels.tolist() == [1, 2, 3, 4]
    assert len(asked) == 4
    # found locally now: no second download
    monkeypatch.setattr(idx, "_open_url", lambda url: pytest.fail("downloaded twice"))
    assert idx.locate(spec, "train", str(nowhere)) == paths
