"""The whole training state as checkpoint tensors + JSON, and back, by name: exact resume depends on it.

Three kinds of state travel: modules (every tensor of their state_dict), optimisers (their slots keyed
by parameter *name*, so adding a module never shifts anyone's state), and stateful objects whose
`state_dict()` is plain JSON (skip-D memory, the divergence guard, the diagnostics, hooks). The global
RNG travels too, which is why everything random in a step draws from it: one process's as `rng.cpu`
(and `rng.cudaN`), and in a run of several processes every rank's, as `rng.cpu.rankR` (and
`rng.cuda.rankR` for that rank's own GPU), so each rank takes its own stream back on resume.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import torch

from .. import checkpoint as ckpt
from ..errors import GanvasError


def parameter_names(modules: Mapping[str, torch.nn.Module]) -> dict[int, str]:
    names: dict[int, str] = {}
    for prefix, module in modules.items():
        for name, param in module.named_parameters():
            names.setdefault(id(param), f"{prefix}.{name}")
    return names


def _ordered_params(optimizer: torch.optim.Optimizer) -> list[torch.nn.Parameter]:
    # state_dict() numbers parameters in this order, across groups.
    return [p for group in optimizer.param_groups for p in group["params"]]


def optimizer_tensors(prefix: str, optimizer: torch.optim.Optimizer, names: dict[int, str]) -> tuple[dict, dict]:
    state = optimizer.state_dict()
    by_index = [names[id(p)] for p in _ordered_params(optimizer)]
    tensors, scalars = {}, {}
    for index, slots in state["state"].items():
        for slot, value in slots.items():
            key = f"{prefix}.{by_index[index]}.{slot}"
            (tensors if torch.is_tensor(value) else scalars)[key] = value
    groups = [dict(g, params=[by_index[i] for i in g["params"]]) for g in state["param_groups"]]
    return tensors, {"param_groups": groups, "scalars": scalars}


def load_optimizer(prefix: str, optimizer: torch.optim.Optimizer, names: dict[int, str], tensors: dict,
                   info: dict) -> None:
    index_of = {names[id(p)]: i for i, p in enumerate(_ordered_params(optimizer))}
    state: dict[int, dict] = {}
    for key, value in [*tensors.items(), *info["scalars"].items()]:
        if key.startswith(prefix + "."):
            name, slot = key[len(prefix) + 1:].rsplit(".", 1)
            state.setdefault(_index(index_of, name, prefix), {})[slot] = value
    groups = [dict(g, params=[_index(index_of, n, prefix) for n in g["params"]]) for g in info["param_groups"]]
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def _index(index_of: dict[str, int], name: str, prefix: str) -> int:
    if name not in index_of:
        raise GanvasError(f"checkpoint's {prefix} holds state for {name}, which this network does not have")
    return index_of[name]


def rank_rng(device: Optional[torch.device]) -> dict[str, torch.Tensor]:
    """This rank's random state, to be gathered by rank 0 into `rank_rng_tensors`."""
    state = {"cpu": torch.get_rng_state()}
    if device is not None and device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def rank_rng_tensors(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {f"rng.{kind}.rank{rank}": tensor for rank, state in enumerate(states) for kind, tensor in state.items()}


def restore_rank_rng(tensors: dict, rank: int, device: Optional[torch.device]) -> bool:
    """Take rank `rank`'s stream back; False when the checkpoint has none for it (another world size)."""
    if f"rng.cpu.rank{rank}" not in tensors:
        return False
    torch.set_rng_state(tensors[f"rng.cpu.rank{rank}"])
    if device is not None and device.type == "cuda" and f"rng.cuda.rank{rank}" in tensors:
        torch.cuda.set_rng_state(tensors[f"rng.cuda.rank{rank}"], device)
    return True


def capture(modules: Mapping[str, torch.nn.Module], optimizers: Mapping[str, torch.optim.Optimizer],
            stateful: Mapping[str, Any], rng: Optional[dict[str, torch.Tensor]] = None) -> tuple[dict, dict]:
    """`rng`: every rank's random state (`rank_rng_tensors`) in a run of several processes; by default
    this process's."""
    tensors: dict[str, torch.Tensor] = {}
    for prefix, module in modules.items():
        tensors.update(ckpt.module_tensors(prefix, module))
    names = parameter_names(modules)
    optimizer_info = {}
    for prefix, optimizer in optimizers.items():
        slots, optimizer_info[prefix] = optimizer_tensors(prefix, optimizer, names)
        tensors.update(slots)
    if rng is not None:
        tensors.update(rng)
    else:
        tensors["rng.cpu"] = torch.get_rng_state()
        if torch.cuda.is_available():
            for i, state in enumerate(torch.cuda.get_rng_state_all()):
                tensors[f"rng.cuda{i}"] = state
    info = {"optimizers": optimizer_info, "state": {name: obj.state_dict() for name, obj in stateful.items()}}
    return tensors, info


def restore(modules: Mapping[str, torch.nn.Module], optimizers: Mapping[str, torch.optim.Optimizer],
            stateful: Mapping[str, Any], tensors: dict, info: dict, restore_rng: bool = True) -> None:
    """`restore_rng=False` leaves the random state to the caller (a rank of a multi-process run)."""
    for prefix, module in modules.items():
        module.load_state_dict(ckpt.module_state(prefix, tensors))
    names = parameter_names(modules)
    for prefix, optimizer in optimizers.items():
        load_optimizer(prefix, optimizer, names, tensors, info["optimizers"][prefix])
    saved = info.get("state", {})
    for name, obj in stateful.items():
        if name in saved:
            obj.load_state_dict(saved[name])
    if not restore_rng:
        return
    # A checkpoint of a multi-process run, resumed by one process, goes on with rank 0's stream.
    torch.set_rng_state(tensors["rng.cpu"] if "rng.cpu" in tensors else tensors["rng.cpu.rank0"])
    cuda_states = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda") and k[8:].isdigit()]
    if cuda_states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states[: torch.cuda.device_count()])
