"""Where to run and at what precision: bf16 autocast where the hardware has bf16 arithmetic, fp16 when asked."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import torch

from .allocator import reuse_freed_memory
from .errors import GanvasError


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise GanvasError(f"--device {name}: not a device; use cpu, cuda, cuda:N or auto") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise GanvasError(f"--device {name}: no CUDA GPU is visible; use --device cpu")
    return device


# AVX-512 BF16 or AMX make bf16 matmuls faster than fp32; without them bf16 is emulated and slower.
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in BF16_FLAGS)


def use_bf16(precision: str, device: torch.device) -> bool:
    if precision == "fp32":
        return False
    if precision == "bf16":
        return True
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return cpu_has_bf16()


def autocast(device: torch.device, bf16: bool, fp16: bool = False) -> contextlib.AbstractContextManager:
    if fp16:
        return torch.autocast(device.type, dtype=torch.float16)
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


@contextlib.contextmanager
def threads(count: Optional[int]) -> Iterator[None]:
    """Use `count` CPU threads inside the block (None or 0: PyTorch's choice), then restore the previous count."""
    before = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def set_determinism(deterministic: bool, seed: int) -> None:
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    elif torch.cuda.is_available():
        torch.backends.cudnn.benchmark = True


@dataclass(frozen=True)
class Placement:
    """Where a network runs and at what precision: one choice shared by training, sampling and metrics."""

    device: torch.device
    bf16: bool
    fp16: bool = False  # fp16 autocast, whose gradients need a loss scale (GPUs without bf16)

    @classmethod
    def choose(cls, device: str = "auto", precision: str = "auto",
               where: Optional[torch.device] = None) -> "Placement":
        """`where`, when given, is the device a launcher assigned (cuda:LOCAL_RANK); it wins over `device`."""
        where = where if where is not None else pick_device(device)
        if precision == "fp16":
            return cls(where, False, True)
        return cls(where, use_bf16(precision, where))

    @property
    def channels_last(self) -> bool:
        # oneDNN's convolutions run fastest in NHWC on CPU, and bf16 tensor cores want it on GPU.
        return self.device.type == "cpu" or self.bf16 or self.fp16

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def autocast(self) -> contextlib.AbstractContextManager:
        return autocast(self.device, self.bf16, self.fp16)

    def place(self, module: torch.nn.Module) -> torch.nn.Module:
        return module.to(self.device, memory_format=self.memory_format)

    def describe(self) -> str:
        kind = "fp16 autocast, scaled losses" if self.fp16 else "bf16 autocast" if self.bf16 else "fp32"
        return f"{self.device}, {kind}"


@contextlib.contextmanager
def process_scope(*, thread_count: Optional[int], deterministic: bool, seed: int) -> Iterator[None]:
    """Set the process-wide torch state a run needs, and give the caller's back when it ends.

    A notebook or a web server that calls `train` keeps its own thread count, determinism flags and
    random stream afterwards. Freed blocks stay in the heap meanwhile: a training step frees and
    re-allocates the same activations, and page-faulting them in afresh cost 6-16% of Fashion-MNIST's
    img/s on a 2-core AMD EPYC.
    """
    saved_flags = (torch.are_deterministic_algorithms_enabled(),
                   torch.is_deterministic_algorithms_warn_only_enabled(), torch.backends.cudnn.benchmark)
    saved_rng = torch.get_rng_state()
    saved_cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    try:
        with threads(thread_count), reuse_freed_memory():
            set_determinism(deterministic, seed)
            yield
    finally:
        torch.use_deterministic_algorithms(saved_flags[0], warn_only=saved_flags[1])
        torch.backends.cudnn.benchmark = saved_flags[2]
        torch.set_rng_state(saved_rng)
        if saved_cuda_rng is not None:
            torch.cuda.set_rng_state_all(saved_cuda_rng)
