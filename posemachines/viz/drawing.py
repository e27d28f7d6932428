"""Shared drawing helpers: bone list, per-side colours, and a 2D skeleton drawn with cv2.

Colours are RGB tuples (frames are RGB uint8 throughout posemachines). The subject's left side
is blue, the right side orange, the centre line (pelvis, spine, thorax, head) green.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from posemachines.skeleton import JOINTS16, Skeleton

Colour = tuple[int, int, int]

LEFT_RGB: Colour = (40, 120, 255)
RIGHT_RGB: Colour = (255, 110, 20)
CENTRE_RGB: Colour = (40, 200, 60)
#: Brightness kept by a joint or bone whose confidence is below the threshold.
DIM_FACTOR = 0.35
#: Keypoints below this confidence are drawn dimmed.
MIN_CONFIDENCE = 0.3


def joint_side(name: str) -> str:
    """'left', 'right' or 'centre' from a joint name such as 'LWrist' or 'Hip'."""
    if name[:1] in ("L", "R") and name[1:2].isupper():
        return "left" if name[0] == "L" else "right"
    return "centre"


def side_colour(side: str) -> Colour:
    return {"left": LEFT_RGB, "right": RIGHT_RGB}.get(side, CENTRE_RGB)


@cache
def joint_colours(skeleton: Skeleton = JOINTS16) -> tuple[Colour, ...]:
    """One RGB colour per joint, by side."""
    return tuple(side_colour(joint_side(name)) for name in skeleton.names)


@cache
def bone_colours(skeleton: Skeleton = JOINTS16) -> tuple[Colour, ...]:
    """One RGB colour per bone of `skeleton.bones`: the side of the child joint."""
    colours = joint_colours(skeleton)
    return tuple(colours[child] for _, child in skeleton.bones)


def dimmed(colour: Colour, factor: float = DIM_FACTOR) -> Colour:
    """`colour` darkened to `factor` of its brightness."""
    return tuple(int(round(c * factor)) for c in colour)  # type: ignore[return-value]


def draw_skeleton_2d(
    image: np.ndarray,
    points_px: np.ndarray,
    confidence: np.ndarray | None = None,
    *,
    skeleton: Skeleton = JOINTS16,
    min_confidence: float = MIN_CONFIDENCE,
    thickness: int = 2,
    radius: int = 3,
    bone_order: np.ndarray | None = None,
) -> np.ndarray:
    """Draw bones and joints in place on `image` (H, W, 3) uint8 RGB and return it.

    points_px: (J, 2) px (x right, y down); confidence: (J,) in [0, 1], None = all confident.
    A bone is dimmed when either end is below `min_confidence`; a joint when it is.
    bone_order: indices into `skeleton.bones` giving the drawing order (e.g. far to near).
    Non-finite points are skipped.
    """
    num_joints = skeleton.num_joints
    conf = np.ones(num_joints) if confidence is None else np.asarray(confidence, dtype=float)
    confident = conf >= min_confidence
    finite = np.isfinite(points_px).all(axis=-1)
    pixels = np.round(np.where(finite[:, None], points_px, 0.0)).astype(np.int32)
    bones, bone_rgb, joint_rgb = skeleton.bones, bone_colours(skeleton), joint_colours(skeleton)
    order = range(len(bones)) if bone_order is None else bone_order
    for index in order:
        parent, child = bones[index]
        if not (finite[parent] and finite[child]):
            continue
        colour = bone_rgb[index]
        if not (confident[parent] and confident[child]):
            colour = dimmed(colour)
        cv2.line(image, tuple(pixels[parent]), tuple(pixels[child]), colour, thickness,
                 cv2.LINE_AA)
    for joint in range(num_joints):
        if not finite[joint]:
            continue
        colour = joint_rgb[joint] if confident[joint] else dimmed(joint_rgb[joint])
        cv2.circle(image, tuple(pixels[joint]), radius, colour, -1, cv2.LINE_AA)
    return image


def draw_label(image: np.ndarray, text: str, *, origin: tuple[int, int] = (8, 8),
               scale: float = 0.6) -> np.ndarray:
    """Write `text` in white on a dark box at the top-left `origin` (px) of `image`, in place."""
    if not text:
        return image
    font, weight = cv2.FONT_HERSHEY_SIMPLEX, max(1, int(round(scale * 2)))
    (width, height), baseline = cv2.getTextSize(text, font, scale, weight)
    x, y = origin
    cv2.rectangle(image, (x, y), (x + width + 8, y + height + baseline + 8), (0, 0, 0), -1)
    cv2.putText(image, text, (x + 4, y + height + 4), font, scale, (255, 255, 255), weight,
                cv2.LINE_AA)
    return image
