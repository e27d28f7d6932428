"""Our BlazePose pipeline (full model) against MediaPipe's own legacy `mp.solutions.pose`.

The stored reference (tests/fixtures/mediapipe_reference.json) was made with mediapipe 0.10.21
by tests/inference/mediapipe_reference.py. Both run the same .tflite files; the small residual
comes from the runtimes' float arithmetic, which the heatmap refinement can amplify for
uncertain (low-visibility) landmarks, hence separate bounds for visible ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from posemachines.inference.detectors import PoseDetector, create_detector
from posemachines.inference.frames import read_image
from tests.inference.mediapipe_reference import REFERENCE_IMAGES, mediapipe_landmarks

MEDIAN_PX = 1.5  # per image, over all 33 landmarks
VISIBLE_MAX_PX = 10.0  # per image, over landmarks MediaPipe calls visible (> 0.5)
VISIBILITY_TOLERANCE = 0.1


@pytest.fixture(scope="module")
def full() -> PoseDetector:
    return create_detector("blazepose-full", tracking=False)


@pytest.fixture(scope="module")
def reference(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "mediapipe_reference.json").read_text())


def _assert_agrees(ours, theirs: dict) -> None:
    assert ours is not None
    distance = np.linalg.norm(ours.landmarks_px - np.asarray(theirs["landmarks_px"]), axis=1)
    visible = np.asarray(theirs["visibility"]) > 0.5
    assert np.median(distance) < MEDIAN_PX
    assert distance[visible].max() < VISIBLE_MAX_PX
    np.testing.assert_allclose(ours.visibility, theirs["visibility"], atol=VISIBILITY_TOLERANCE)


def test_reference_covers_every_image(reference: dict) -> None:
    assert reference["mediapipe_version"] == "0.10.21"
    assert set(reference["images"]) == set(REFERENCE_IMAGES)


@pytest.mark.parametrize("name", REFERENCE_IMAGES)
def test_matches_stored_mediapipe_reference(
    full: PoseDetector, reference: dict, shared_data: Path, name: str
) -> None:
    theirs = reference["images"][name]
    image = read_image(shared_data / name)
    assert (image.shape[1], image.shape[0]) == (theirs["width"], theirs["height"])
    _assert_agrees(full.detect(image), theirs)


def test_matches_live_mediapipe(full: PoseDetector, shared_data: Path) -> None:
    pytest.importorskip("mediapipe", reason="mediapipe==0.10.21 (needs numpy<2) not installed")
    images = [read_image(shared_data / name) for name in REFERENCE_IMAGES[:3]]
    for image, theirs in zip(images, mediapipe_landmarks(images), strict=True):
        _assert_agrees(full.detect(image), theirs)
