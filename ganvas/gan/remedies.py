"""What the lesson advises for each trouble the diagnostics detect, as words and as a loop action.

An action uses only the keys the training loop knows how to apply under --auto-stabilize:
- "lr_d_factor" and "lr_g_factor" multiply a learning rate;
- "skip_d_below" sets the loss below which D's update is skipped;
- "flip" turns on flip augmentation;
- "augment_more" switches augmentation (ADA / DiffAugment) on, or turns it up where it is on.
"""
from __future__ import annotations

from typing import Optional

ALARMS = ("mode_collapse", "d_overpowering", "divergence", "no_progress")
LR_DROP = "lr_drop"
SCHEDULED = (LR_DROP,)  # events the user planned (--lr-drop-at): changes, not alarms
ACTION_KEYS = ("lr_d_factor", "lr_g_factor", "skip_d_below", "flip", "augment_more")

# D's loss below which its update is skipped once D is found overpowering. For the default loss
# (two BCE terms, 1.39 at equilibrium) 0.3 means D already calls most reals and fakes correctly
# with high confidence, so one skipped step costs it little and gives G a chance to catch up.
SKIP_D_BELOW = 0.3

# Below this many images D memorises the training set, and augmentation is the lesson's first cure
# (the ADA and DiffAugment papers see it from a few thousand images down).
SMALL_DATASET = 5000

# Built-in data whose meaning changes when mirrored; flip augmentation would teach G mirrored digits.
_ORIENTED_DATA = ("mnist",)

_AUGMENT = ("With few images, augmentation (--augment ada or --augment diffaugment, or at least --flip) "
            "keeps D from memorising them.")

_ADVICE = {
    "d_overpowering": "Give D a lower learning rate than G (separate learning rates) or skip D's updates "
                      "while its loss is low (--skip-d-below), so G gets useful gradients again. " + _AUGMENT,
    "mode_collapse": "Slow G down with a lower learning rate than D's (separate learning rates) so it stops "
                     "chasing the few outputs D currently accepts; --spectral-norm on D also helps, or resume "
                     "from a checkpoint before the collapse. " + _AUGMENT,
    "divergence": "Lower the learning rates: a sudden LR drop often brings a diverging GAN back to convergence "
                  "(--recover rolls back to the last good checkpoint and halves both).",
    "no_progress": "Lower the learning rate (a sudden LR drop often restarts progress; --lr-drop-at 0.8 "
                   "plans one for the last fifth of a run); if samples already look right, the run may simply "
                   "have converged. " + _AUGMENT,
}


def advice(event: str, config: dict) -> str:
    """The lesson's advice, plus the high-resolution note where it applies."""
    text = _ADVICE[event]
    resolution = config.get("resolution") or 0
    if resolution >= 128 and config.get("arch") == "msg":
        text += (f" At {resolution}x{resolution} MSG-GAN's multi-scale gradients are already on; a StyleGAN2 "
                 "generator (--arch stylegan2) or a lower --resolution is the next step.")
    elif resolution >= 128 and config.get("progressive"):
        text += (f" At {resolution}x{resolution} the run already grows progressively; multi-scale gradients "
                 "(--arch msg: D judges G's image at every scale at once) are the other cure.")
    elif resolution >= 128:
        text += (f" At {resolution}x{resolution}, progressive growing (--progressive) or multi-scale "
                 "gradients (--arch msg: D judges G's image at every scale at once) make training far more stable.")
    return text


def action(event: str, config: dict, times: int, n_images: Optional[int] = None) -> dict:
    """The loop action for the `times`-th alarm of this kind (1 for the first); repeats escalate.

    `n_images` is the dataset's size where known; a small one gets more augmentation at once."""
    small_data = n_images is not None and n_images < SMALL_DATASET
    if event == "d_overpowering":
        act: dict = {"lr_d_factor": 0.5}
        skip: Optional[float] = config.get("skip_d_below")
        if skip is None or skip < SKIP_D_BELOW:
            act["skip_d_below"] = SKIP_D_BELOW
        return act | _augmentation(config, times, small_data)
    if event == "mode_collapse":
        return {"lr_g_factor": 0.5}
    if event == "divergence":
        return {"lr_d_factor": 0.5, "lr_g_factor": 0.5}
    if event == "no_progress":
        # A small set that D has memorised stops improving too, so it is augmented at once.
        return {"lr_d_factor": 0.5, "lr_g_factor": 0.5} | _augmentation(config, times, small_data)
    return {}


def _augmentation(config: dict, times: int, small_data: bool) -> dict:
    act: dict = {"augment_more": True} if small_data else {}
    if times >= 2 and _flip_helps(config):
        act["flip"] = True
    return act


def _flip_helps(config: dict) -> bool:
    return not config.get("flip") and str(config.get("data", "")).lower() not in _ORIENTED_DATA
