import platform

import pytest
import torch

from ganvas.allocator import reuse_freed_memory

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="tunes glibc's malloc only")

from ganvas.allocator import LARGEST_HEAP_BLOCK

BLOCK = 24 * 2**20  # bytes: above glibc's default mmap threshold, below the tuned one


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def rss_change_after_free() -> int:
    block = torch.ones(BLOCK // 4)  # ones, so every page is touched
    before = resident_bytes()
    del block
    return before - resident_bytes()


def test_freed_blocks_stay_for_reuse_inside_and_go_back_after():
    assert BLOCK < LARGEST_HEAP_BLOCK
    with reuse_freed_memory() as tuned:
        assert tuned
        assert rss_change_after_free() < BLOCK // 8  # kept, so the next step need not fault it in
        kept = resident_bytes()
    assert resident_bytes() < kept - BLOCK // 2  # leaving hands the spare memory back


def test_blocks_above_the_heap_limit_still_go_straight_back():
    with reuse_freed_memory():
        block = torch.ones(4 * LARGEST_HEAP_BLOCK // 4)
        before = resident_bytes()
        del block
        assert before - resident_bytes() > 2 * LARGEST_HEAP_BLOCK
