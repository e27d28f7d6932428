"""What hides the props: the person's mask from the detector and a body proxy for its depth.

The mask says where the person is in the image; the proxy (capsules along the bones, a head
sphere, a torso ellipsoid, in camera mm) says how deep the body is at each of those pixels. A
prop fragment deeper than the proxy there is hidden by the mask; one nearer stays on top.
"""

from __future__ import annotations

import numpy as np

from posemachines.ar.meshes import Prop, cylinder, rgba, segment_transform, sphere, transform
from posemachines.ar.renderer import BodyMask, Occluder
from posemachines.ar.rig import HEAD, HIP, SPINE, THORAX
from posemachines.ar.scene import Scene

#: (start, end, radius as a fraction of h) of the proxy's limb capsules.
PROXY_LIMBS = ((10, 11, 0.16), (11, 12, 0.13), (13, 14, 0.16), (14, 15, 0.13),
               (4, 5, 0.22), (5, 6, 0.17), (1, 2, 0.22), (2, 3, 0.17))
_GREY = rgba("#808080")
_CAPSULE_SIDE = cylinder(_GREY, 10, capped=False)
_CAPSULE_END = sphere(_GREY, 6, 10)


def body_proxy(scene: Scene, frame: int) -> list[Prop]:
    """Depth-only props for the body at `frame` (camera mm); none where it is not tracked."""
    track = scene.track
    if not track.present[frame]:
        return []
    joints, h = scene.joints(frame), track.head_mm
    props = []
    for start, end, radius in PROXY_LIMBS:
        r = radius * h
        props.append(Prop(_CAPSULE_SIDE, segment_transform(joints[start], joints[end], r)))
        props += [Prop(_CAPSULE_END, transform(np.eye(3), joints[j], r)) for j in (start, end)]
    torso = scene.torso[frame]
    centre = 0.5 * (joints[HIP] + joints[THORAX])
    half_length = 0.55 * float(np.linalg.norm(joints[THORAX] - joints[HIP]))
    props.append(Prop(_CAPSULE_END, transform(torso, centre, [0.5 * track.shoulder_mm,
                                                               half_length, 0.4 * h])))
    # A little inside the head (radius 0.36 h), so that what sits on its surface (glasses, a
    # crown's front) is in front of the proxy and what goes round the back is behind it.
    props.append(Prop(_CAPSULE_END, transform(np.eye(3), scene.head_centre(frame), 0.3 * h)))
    neck_top = joints[THORAX] + 0.5 * (joints[HEAD] - joints[THORAX])
    props.append(Prop(_CAPSULE_SIDE, segment_transform(joints[THORAX], neck_top, 0.2 * h)))
    return props


def occluder_at(scene: Scene, frame: int, mask: BodyMask | None) -> Occluder | None:
    """The occluder at `frame`: the proxy with the mask (None: the proxy's own outline), the
    chest's depth where the mask has the person but the proxy does not (loose clothes, hair;
    props marked behind_body are hidden there)."""
    proxy = body_proxy(scene, frame)
    if not proxy:
        return None
    chest = scene.joints(frame)[SPINE]
    return Occluder(body=proxy, mask=mask, fallback_depth_mm=float(chest[2]))


def mask_from_crop(probability: np.ndarray, image_to_crop: np.ndarray) -> BodyMask:
    """A `BodyMask` from a detector's crop mask (S, S) in [0, 1] and its (2, 3) image -> crop
    affine map; stored as uint8 to keep a clip's masks small."""
    return BodyMask(probability=np.round(np.clip(probability, 0, 1) * 255).astype(np.uint8),
                    image_to_mask=np.asarray(image_to_crop, np.float64))


