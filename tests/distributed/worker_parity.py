"""Run by torchrun with 2 processes (gloo): one step of 2 ranks x B/2 against one process with batch B,
and skip-D decided on a loss met by one rank only. Rank 0 writes what it measured to argv[1] as JSON."""
import contextlib
import json
import sys

import torch

from ganvas.gan.augment import AugmentPipe
from ganvas.gan.classic import ClassicGAN
from ganvas.gan.growing import GrowingGAN
from ganvas.gan.growth import Growth
from ganvas.gan.multiscale import MultiScaleGAN
from ganvas.gan.parallel import Parallel
from ganvas.gan.stylegan import StyleGAN2Method
from ganvas.models import ModelSpec, build_discriminator, build_generator
from ganvas.runtime import Runtime

B, Z = 8, 8
CASES = {  # name: (arch, spectral norm on D, passes, R1 gamma, R1 every, synchronised BatchNorm)
    "dcgan-sn (BatchNorm in G only)": ("dcgan", True, 1, 0.0, 16, True),
    "dcgan (BatchNorm in G and D)": ("dcgan", False, 1, 0.0, 16, True),
    "mlp, --accumulate 2": ("mlp", False, 2, 0.0, 16, True),
    "dcgan-sn, lazy R1 phase": ("dcgan", True, 1, 1.0, 2, True),
    # The control: per-rank BatchNorm statistics are not the one-process step (why --sync-bn is on).
    "dcgan, --no-sync-bn": ("dcgan", False, 1, 0.0, 16, False),
    # MSG-GAN's pyramid through DDP; minibatch-stddev in groups of 1, since ranks group other images.
    "msg, lazy R1 phase": ("msg", False, 1, 1.0, 2, True),
    # Progressive growing: at 8 px the 16 px level's weights get no gradient (DDP must not wait for
    # them); mid-fade both levels' to-RGBs and from-RGBs are in the graph.
    "dcgan --progressive, 8 px": ("progressive", False, 1, 0.0, 16, True),
    "dcgan --progressive, mid-fade": ("progressive", False, 1, 0.0, 16, True),
    # StyleGAN2's mapping and synthesis through one wrapper, with 'const' noise and no mixing so both
    # sides draw nothing at random; the path length's random probes are checked across ranks below.
    "stylegan2, lazy R1 phase": ("stylegan2", False, 1, 1.0, 2, True),
}
STEPS = {"dcgan --progressive, mid-fade": 3}  # the others take step 0
GROWTH = Growth.plan(2, 0.016, B)  # 8 px for steps 0-1, then 16 px fades in over steps 2-3
OPTIONS = {"dcgan": {"width": 8}, "mlp": {"width": 8}, "msg": {"width": 8, "mbstd_group": 1},
           "progressive": {"width": 8, "progressive": True}, "stylegan2": {"width": 8, "w_dim": 16, "mbstd_group": 1}}


def without_randomness(G, D, **kwargs):
    algo = StyleGAN2Method(G, D, style_mixing=0.0, pl_weight=0.0, **kwargs)
    getattr(algo.G_step, "module", algo.G_step).noise = "const"
    return algo


METHODS = {"msg": MultiScaleGAN, "progressive": GrowingGAN, "stylegan2": without_randomness}


class Given:
    """A latent sampler that hands out fixed latents, so both sides draw the same ones."""

    def __init__(self, z):
        self.z = z

    def draw(self, n, device=None):
        assert n == len(self.z)
        return self.z, None


def algorithm(case, z, runtime=None):
    arch, sn, passes, gamma, every, sync_bn = case
    growing = arch == "progressive"
    parallel = Parallel(runtime, sync_bn=sync_bn, partial_graph=growing) if runtime is not None else Parallel()
    torch.manual_seed(0)
    spec = ModelSpec("dcgan" if growing else arch, z_dim=Z, resolution=16, channels=1,
                     options={**OPTIONS[arch], "spectral_norm": sn})
    G, D = build_generator(spec), build_discriminator(spec)
    return METHODS.get(arch, ClassicGAN)(G, D, augment=AugmentPipe("none"), sampler=Given(z), autocast=contextlib.nullcontext,
                      ema_decay=0.0, r1_gamma=gamma, r1_every=every, parallel=parallel, passes=passes,
                      **({"growth": GROWTH} if growing else {}))


def grads_and_weights(algo):
    out = {}
    for name, module in (("G", algo.G), ("D", algo.D)):
        for key, p in module.named_parameters():
            # None where the last backward (a lazy R1 pass) does not reach the parameter, e.g. D's last bias.
            out[f"{name}.{key}.grad"] = torch.zeros_like(p) if p.grad is None else p.grad.detach().clone()
            out[f"{name}.{key}"] = p.detach().clone()
    return out


RTOL, ATOL = 1e-4, 1e-6  # float32 tolerance: sums taken in another order, and a few cancellations


def worst(a, b):
    """max |a - b| / (ATOL + RTOL |b|) over every gradient and weight: at most 1 when they match."""
    return max(float(((a[k] - b[k]).abs() / (ATOL + RTOL * b[k].abs())).max()) for k in b)


def parity(runtime):
    gen = torch.Generator().manual_seed(7)
    real = torch.rand(B, 1, 16, 16, generator=gen) * 2 - 1
    z = torch.randn(B, Z, generator=gen)
    mine = slice(runtime.rank, None, runtime.world)  # this rank's shard of the global batch
    results = {}
    for name, case in CASES.items():
        step = STEPS.get(name, 0)
        ranks = algorithm(case, z[mine], runtime)
        ranks.step(real[mine], None, step)
        spread = grads_and_weights(ranks)
        if runtime.is_main:
            single = algorithm(case, z)
            single.step(real, None, step)
            results[name] = worst(spread, grads_and_weights(single))
        runtime.barrier()
    return results


def path_length_over_ranks(runtime):
    """StyleGAN2 with mixing, random noise and its path length every step: the ranks' own draws differ,
    yet after each step every rank holds the same weights and the same path-length mean."""
    torch.manual_seed(5 + runtime.rank)  # each rank its own latents, noise and probes
    spec = ModelSpec("stylegan2", z_dim=Z, resolution=16, channels=1, options=OPTIONS["stylegan2"])
    torch.manual_seed(0)
    G, D = build_generator(spec), build_discriminator(spec)
    torch.manual_seed(5 + runtime.rank)
    algo = StyleGAN2Method(G, D, augment=AugmentPipe("none"), sampler=Drawn(), autocast=contextlib.nullcontext,
                           ema_decay=0.0, r1_gamma=1.0, r1_every=2, style_mixing=0.9, pl_weight=2.0, pl_every=1,
                           parallel=Parallel(runtime))
    real = torch.rand(B // 2, 1, 16, 16, generator=torch.Generator().manual_seed(runtime.rank)) * 2 - 1
    out = {"path_length": []}
    for step in range(3):
        out["path_length"].append(float(algo.step(real, None, step)["path_length"]))
    state = [algo.pl_mean.mean.clone(), *(p.detach().clone() for p in G.parameters())]
    everyone = runtime.all_gather_object((out["path_length"], state))
    out["own_lengths_differ"] = everyone[0][0] != everyone[1][0]
    out["pl_mean"] = [float(e[1][0]) for e in everyone]
    out["weights_equal"] = all(torch.equal(a, b) for a, b in zip(everyone[0][1], everyone[1][1]))
    return out


class Drawn:
    """Latents from this rank's global RNG, as training draws them."""

    def draw(self, n, device=None):
        return torch.randn(n, Z), None


def skip_decisions(runtime):
    """Skip-D on a threshold that one rank's own loss meets and the mean does not (and the reverse)."""
    gen = torch.Generator().manual_seed(3)
    real = torch.rand(B // 2, 1, 16, 16, generator=gen) * 2 - 1
    if runtime.rank == 1:
        real = torch.zeros_like(real)  # a batch D finds easy, so the ranks' own losses differ
    out = {}
    for side in ("below one rank only", "above one rank only"):
        z = torch.randn(B // 2, Z, generator=torch.Generator().manual_seed(11 + runtime.rank))
        algo = algorithm(CASES["dcgan-sn (BatchNorm in G only)"], z, runtime)
        algo.skip.threshold = -1.0  # active, so the loss is remembered, but nothing is skipped yet
        local = float(algo.step(real, None, 0)["d_loss"])
        losses = runtime.all_gather_object(local)
        mean = algo.skip.last_loss
        low, high = min(losses), max(losses)
        algo.skip.threshold = (low + mean) / 2 if side == "below one rank only" else (mean + high) / 2
        algo.step(real, None, 1)  # decided on step 0's loss
        first = algo.skip.skipped
        for step in range(2, 6):
            algo.step(real, None, step)
        weights = [p.detach().clone() for p in [*algo.G.parameters(), *algo.D.parameters()]]
        everyone = runtime.all_gather_object((first, algo.skip.skipped, weights))
        same = all(torch.equal(a, b) for other in everyone[1:] for a, b in zip(everyone[0][2], other[2]))
        out[side] = {"losses": losses, "mean_seen": runtime.all_gather_object(mean),
                     "first_skipped": [e[0] for e in everyone], "skipped": [e[1] for e in everyone],
                     "weights_equal": same}
    return out


def main():
    torch.set_num_threads(1)
    # Rank 1 waits at each barrier while rank 0 also runs the one-process step: room for a busy machine.
    with Runtime.from_env("cpu", timeout_s=300) as runtime:
        assert runtime.world == 2 and runtime.backend == "gloo"
        result = {"parity": parity(runtime), "skip": skip_decisions(runtime),
                  "path_length": path_length_over_ranks(runtime)}
        if runtime.is_main:
            with open(sys.argv[1], "w") as fh:
                json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
