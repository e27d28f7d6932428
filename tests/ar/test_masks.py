"""BlazePose's person mask and face landmarks, as the AR reads them, on a real frame."""

from __future__ import annotations

import cv2
import numpy as np

from posemachines.ar.person_scan import scan_person
from posemachines.inference.detectors import create_detector
from posemachines.inference.frames import open_frames


def test_the_mask_covers_the_person_and_little_else(shared_data) -> None:
    source = open_frames(shared_data / "media" / "squat_sit_stand_front_gmdcsa.mp4")
    frame = next(iter(source)).rgb
    masks, face = scan_person("blazepose-lite", [frame])
    mask = masks[0]
    assert mask.probability.dtype == np.uint8
    height, width = frame.shape[:2]
    image_mask = cv2.warpAffine(mask.probability, mask.image_to_mask, (width, height),
                                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP) > 127
    detection = create_detector("blazepose-lite").detect(frame)
    assert detection is not None
    trunk = detection.joints16_px[[0, 7, 8, 1, 4, 2, 5]].round().astype(int)  # hips, spine, knees
    assert image_mask[trunk[:, 1], trunk[:, 0]].all()
    low, high = detection.joints16_px.min(axis=0), detection.joints16_px.max(axis=0)
    box = np.zeros_like(image_mask)
    margin = 0.25 * (high - low)
    x0, y0 = (low - margin).astype(int)
    x1, y1 = (high + margin).astype(int)
    box[max(y0, 0):y1, max(x0, 0):x1] = True
    assert image_mask.sum() > 0.03 * image_mask.size                  # a whole person
    assert (image_mask & ~box).sum() < 0.02 * image_mask.sum()         # not the room
    # Face landmarks of a person facing the camera: the left ear on the image's right.
    assert face.shape == (1, 4, 3) and np.isfinite(face).all()
    left_eye, right_eye, left_ear, right_ear = face[0]
    assert left_ear[0] > left_eye[0] > right_eye[0] > right_ear[0]
