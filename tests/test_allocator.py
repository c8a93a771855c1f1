"""Each measurement runs in a fresh interpreter: resident memory is the whole process's, and threads
that other tests leave behind (servers, loaders) would move it while a block is measured."""
import json
import platform
import subprocess
import sys

import pytest

from ganvas.allocator import LARGEST_HEAP_BLOCK

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="tunes glibc's malloc only")

BLOCK = 24 * 2**20  # bytes: above glibc's default mmap threshold, below the tuned one

MEASURE = """
import json, sys
import torch
from ganvas.allocator import reuse_freed_memory
from ganvas.device import process_scope

def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096

def released_by_free(nbytes):
    block = torch.ones(nbytes // 4)  # ones, so every page is touched
    before = resident()
    del block
    return before - resident()

nbytes, scope = int(sys.argv[1]), sys.argv[2]
training = process_scope(thread_count=None, deterministic=False, seed=0)
with (reuse_freed_memory() if scope == "allocator" else training) as tuned:
    tuned = tuned is not False
    released_inside = released_by_free(nbytes)
    kept = resident()
print(json.dumps({"tuned": tuned, "released_inside": released_inside, "returned_on_exit": kept - resident()}))
"""


def measure(nbytes: int, scope: str = "allocator") -> dict:
    done = subprocess.run([sys.executable, "-c", MEASURE, str(nbytes), scope], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_freed_blocks_stay_for_reuse_inside_and_go_back_after():
    assert BLOCK < LARGEST_HEAP_BLOCK
    result = measure(BLOCK)
    assert result["tuned"]
    assert result["released_inside"] < BLOCK // 8  # kept, so the next step need not fault it in
    assert result["returned_on_exit"] > BLOCK // 2  # leaving hands the spare memory back


def test_blocks_above_the_heap_limit_still_go_straight_back():
    assert measure(4 * LARGEST_HEAP_BLOCK)["released_inside"] > 2 * LARGEST_HEAP_BLOCK


def test_a_training_run_keeps_freed_blocks():
    assert measure(BLOCK, scope="training")["released_inside"] < BLOCK // 8
