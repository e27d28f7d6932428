"""AR: 3D props attached to the body (headwear, glasses, cape, wings, gloves, flames, glowing or
armoured skin, footprints, trail), rendered with the solved camera, hidden behind the person
by the detector's mask, composited over the video. docs/ar.md."""

from posemachines.ar.compose import AR_NAME, ArCompositor, ar_frames, write_ar_video
from posemachines.ar.effects import EFFECTS, describe_effects, effect_names
from posemachines.ar.occlusion import mask_from_crop
from posemachines.ar.renderer import BodyMask

__all__ = ["AR_NAME", "EFFECTS", "ArCompositor", "BodyMask", "ar_frames", "describe_effects",
           "effect_names", "mask_from_crop", "write_ar_video"]
