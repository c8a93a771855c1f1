import torch

from ganvas.data import folder
from ganvas.data.sources import list_source

from .corpus import make_corpus, make_zip


def _decode(source, monkeypatch, threshold):
    monkeypatch.setattr(folder, "POOL_THRESHOLD", threshold)
    monkeypatch.setattr(folder, "CHUNK", 4)
    events = []
    out = folder.decode_listing(list_source(str(source)), resolution=16, channels=None, fit="pad",
                                source=str(source), progress=events.append)
    return out, events


def test_worker_processes_give_the_same_result_as_one_process(tmp_path, monkeypatch):
    for source in (make_corpus(tmp_path / "c"), make_zip(tmp_path / "c.zip")):
        (serial, _), (pooled, events) = (_decode(source, monkeypatch, t) for t in (10**9, 1))
        assert torch.equal(serial[0], pooled[0]) and serial[3] == pooled[3]
        updates = [e.step for e in events if e.kind == "update"]
        assert updates == sorted(updates) and updates[-1] == 14
        assert [e.kind for e in events][0] == "start" and events[-1].kind == "end"
