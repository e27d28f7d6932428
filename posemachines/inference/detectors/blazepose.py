"""MediaPipe BlazePose (detector + lite/full/heavy landmark model) run with ai-edge-litert.

Per frame: if a ROI is tracked from the previous frame's landmarks, run only the landmark
model on it; otherwise (first frame, or the pose-presence flag fell below threshold) run the
person detector, build the ROI from its hip-centre and scale keypoints, then the landmark model.
Unlike MediaPipe, which re-detects on the next frame, a lost track re-detects in the same frame.
As in MediaPipe, the two auxiliary points that place the next frame's ROI pass through a heavy
one-euro filter first (always, whatever `smoothing` says): a ROI handed on raw follows every
wobble of the landmarks, and a wobbling crop can tip the landmark model into a wrong pose (the
lite model on frame 2 of the former demo's street clip folded a woman's shoulders into one line;
docs/detector.md).
Optional one-euro smoothing of the landmarks (off by default: per-frame outputs stay exact and
reproducible, and the 3D lifter sees the detector's own signal; turn it on for jittery video).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posemachines.errors import PoseModelError
from posemachines.inference.detectors.base import Detection2D, PoseDetector, Roi, check_frame
from posemachines.inference.detectors.blazepose_anchors import (
    DETECTOR_INPUT_SIZE,
    MIN_SCORE,
    NUM_ANCHORS,
    decode_detections,
    sigmoid,
    ssd_anchor_centers,
    weighted_nms,
)
from posemachines.inference.detectors.blazepose_geometry import (
    crop_roi,
    crop_to_image_px,
    letterbox_roi,
    refine_with_heatmap,
    roi_from_alignment_points,
)
from posemachines.inference.detectors.one_euro import OneEuroFilter
from posemachines.inference.detectors.tflite_runner import TfliteModel
from posemachines.skeleton import to_joints16

VARIANTS: tuple[str, ...] = ("lite", "full", "heavy")
ASSET_DIR = Path(__file__).resolve().parents[2] / "assets" / "blazepose"
DETECTOR_FILE = "pose_detection.tflite"
LANDMARK_INPUT_SIZE = 256
NUM_LANDMARKS = 33
NUM_MODEL_LANDMARKS = 39  # 33 pose landmarks, 2 auxiliary ROI points, 4 unused
AUX_HIP_CENTER, AUX_SCALE_POINT = 33, 34
#: MediaPipe's one-euro settings for the auxiliary (ROI) points: min cutoff 0.01 Hz, beta 1,
#: derivative cutoff 1 Hz (pose_landmark_filtering.pbtxt), applied in px / object scale.
ROI_FILTER_SETTINGS = {"min_cutoff": 0.01, "beta": 1.0, "derivative_cutoff": 1.0}
MIN_POSE_PRESENCE = 0.5
MIN_ROI_SIZE_PX = 4.0


def landmark_file(variant: str) -> str:
    return f"pose_landmark_{variant}.tflite"


def landmark_model_path(variant: str, model_dir: Path | None = None) -> Path:
    """Where the `variant` landmark model lives: model_dir, else the package assets (all three
    are bundled)."""
    if variant not in VARIANTS:
        known = ", ".join(VARIANTS)
        raise PoseModelError(f"Unknown BlazePose variant '{variant}'; known: {known}.")
    candidate = (Path(model_dir) if model_dir is not None else ASSET_DIR) / landmark_file(variant)
    if not candidate.is_file():
        raise PoseModelError(f"BlazePose {variant} landmark model not found at {candidate}.")
    return candidate


def detector_model_path(model_dir: Path | None = None) -> Path:
    """The person-detector model: model_dir's copy if it has one, else the bundled one."""
    if model_dir is not None and (Path(model_dir) / DETECTOR_FILE).is_file():
        return Path(model_dir) / DETECTOR_FILE
    return ASSET_DIR / DETECTOR_FILE


@dataclass
class RunCounts:
    """How often each network ran since construction (tracking skips the detector)."""

    detector: int = 0
    landmark: int = 0


@dataclass(frozen=True)
class RoiLandmarks:
    """Landmark-model output un-projected to image px: (39, 2) points incl. auxiliary ones,
    (39,) z in px, visibility and presence (39,), the pose-presence probability, and the
    (256, 256) person probability over the crop when asked for."""

    points_px: np.ndarray
    z_px: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    pose_presence: float
    segmentation: np.ndarray | None = None


class BlazePoseDetector(PoseDetector):
    """BlazePose 33-landmark detector with ROI tracking; maps to the 16-joint set.

    variant: "full" (the default, as DEFAULT_DETECTOR), "lite" or "heavy"; model_dir: a folder
    holding pose_landmark_<variant>.tflite (and optionally pose_detection.tflite);
    min_detection_score / min_pose_presence: MediaPipe's
    min_detection_confidence / min_tracking_confidence; tracking: crop the next frame where this
    frame's landmarks put the person; smoothing: one-euro filter over frames `fps` apart.
    segmentation: also return the landmark model's person mask over the ROI crop
    (Detection2D.segmentation). `counts` tells how often each network ran. Not thread-safe: one
    instance per video stream.
    """

    def __init__(
        self,
        variant: str = "full",
        *,
        model_dir: Path | None = None,
        num_threads: int = 2,
        min_detection_score: float = MIN_SCORE,
        min_pose_presence: float = MIN_POSE_PRESENCE,
        tracking: bool = True,
        smoothing: bool = False,
        fps: float = 30.0,
        segmentation: bool = False,
    ) -> None:
        self.variant = variant
        self.tracking = tracking
        self.smoothing = smoothing
        self.fps = fps
        self.segmentation = segmentation
        self.min_detection_score = min_detection_score
        self.min_pose_presence = min_pose_presence
        self._landmark_model = TfliteModel(landmark_model_path(variant, model_dir), num_threads)
        self._detector_model = TfliteModel(detector_model_path(model_dir), num_threads)
        self._detector_outputs = [
            self._detector_model.output_index((1, NUM_ANCHORS, 12)),
            self._detector_model.output_index((1, NUM_ANCHORS, 1)),
        ]
        heatmap_size = LANDMARK_INPUT_SIZE // 4
        self._landmark_outputs = [
            self._landmark_model.output_index((1, NUM_MODEL_LANDMARKS * 5)),
            self._landmark_model.output_index((1, 1)),
            self._landmark_model.output_index((1, heatmap_size, heatmap_size, NUM_MODEL_LANDMARKS)),
        ]
        if segmentation:
            self._landmark_outputs.append(
                self._landmark_model.output_index((1, LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE, 1))
            )
        self._anchors = ssd_anchor_centers()
        self.counts = RunCounts()
        self._filter = OneEuroFilter()
        self._roi_filter = OneEuroFilter(**ROI_FILTER_SETTINGS)
        self.reset()

    def reset(self) -> None:
        self._tracked_roi: Roi | None = None
        self._frame_index = 0
        self._filter.reset()
        self._roi_filter.reset()

    def find_person_roi(self, frame_rgb: np.ndarray) -> Roi | None:
        """Run the person detector on a whole (H, W, 3) uint8 frame: the best person's ROI."""
        rois = self.find_person_rois(frame_rgb)
        return rois[0] if rois and rois[0].size_px >= MIN_ROI_SIZE_PX else None

    def find_person_rois(self, frame_rgb: np.ndarray) -> list[Roi]:
        """Every person the detector finds in a whole frame (after weighted NMS), best score
        first; ROIs smaller than MIN_ROI_SIZE_PX are included (callers drop them)."""
        frame = check_frame(frame_rgb)
        height, width = frame.shape[:2]
        square = letterbox_roi(width, height)
        crop = crop_roi(frame, square, DETECTOR_INPUT_SIZE, border=cv2.BORDER_CONSTANT)
        batch = crop[None].astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
        raw_boxes, raw_scores = self._detector_model.run(batch, self._detector_outputs)
        self.counts.detector += 1
        people = weighted_nms(
            decode_detections(
                raw_boxes[0], raw_scores[0], self._anchors, min_score=self.min_detection_score
            )
        )
        keypoints_px = crop_to_image_px(
            people.keypoints.reshape(-1, 2) * DETECTOR_INPUT_SIZE, square, DETECTOR_INPUT_SIZE
        ).reshape(people.keypoints.shape)
        return [roi_from_alignment_points(points[0], points[1]) for points in keypoints_px]

    def landmarks_in_roi(self, frame_rgb: np.ndarray, roi: Roi) -> RoiLandmarks | None:
        """Run the landmark model on `roi`; None when its pose-presence flag is below threshold."""
        crop = crop_roi(check_frame(frame_rgb), roi, LANDMARK_INPUT_SIZE)
        batch = crop[None].astype(np.float32) * np.float32(1.0 / 255.0)
        raw, flag, heatmap, *mask = self._landmark_model.run(batch, self._landmark_outputs)
        self.counts.landmark += 1
        pose_presence = float(flag.reshape(-1)[0])
        if pose_presence < self.min_pose_presence:
            return None
        raw = raw.reshape(NUM_MODEL_LANDMARKS, 5).astype(np.float64)
        points_norm = refine_with_heatmap(raw[:, :2] / LANDMARK_INPUT_SIZE, heatmap[0])
        return RoiLandmarks(
            points_px=crop_to_image_px(points_norm * LANDMARK_INPUT_SIZE, roi, LANDMARK_INPUT_SIZE),
            z_px=raw[:, 2] / LANDMARK_INPUT_SIZE * roi.size_px,
            visibility=sigmoid(raw[:, 3]),
            presence=sigmoid(raw[:, 4]),
            pose_presence=pose_presence,
            segmentation=sigmoid(mask[0][0, :, :, 0]).astype(np.float32) if mask else None,
        )

    def detect(self, frame_rgb: np.ndarray) -> Detection2D | None:
        frame = check_frame(frame_rgb)
        time_s = self._frame_index / self.fps
        self._frame_index += 1
        roi, found = self._tracked_roi, None
        if roi is not None:
            found = self.landmarks_in_roi(frame, roi)
        if found is None:
            roi = self.find_person_roi(frame)
            found = self.landmarks_in_roi(frame, roi) if roi is not None else None
        if found is None or roi is None:
            self._tracked_roi = None
            self._filter.reset()
            self._roi_filter.reset()
            return None
        if self.tracking:
            next_roi = self._next_roi(found, time_s)
            self._tracked_roi = next_roi if next_roi.size_px >= MIN_ROI_SIZE_PX else None
        return self._to_detection(found, roi, time_s)

    def _next_roi(self, found: RoiLandmarks, time_s: float) -> Roi:
        """The ROI to crop the next frame with: from the one-euro filtered auxiliary points,
        value scale 1 / their object size (mean of their px bounding box's sides), as MediaPipe's
        LandmarksSmoothingCalculator does."""
        aux = found.points_px[[AUX_HIP_CENTER, AUX_SCALE_POINT]]
        object_size = float(np.abs(aux[0] - aux[1]).sum()) / 2.0
        aux = self._roi_filter(aux, time_s, 1.0 / max(object_size, 1e-6))
        return roi_from_alignment_points(aux[0], aux[1])

    def _to_detection(self, found: RoiLandmarks, roi: Roi, time_s: float) -> Detection2D:
        points = found.points_px[:NUM_LANDMARKS]
        z = found.z_px[:NUM_LANDMARKS]
        if self.smoothing:
            smoothed = self._filter(np.column_stack([points, z]), time_s, 1.0 / roi.size_px)
            points, z = smoothed[:, :2], smoothed[:, 2]
        visibility = found.visibility[:NUM_LANDMARKS]
        presence = found.presence[:NUM_LANDMARKS]
        confidence = np.minimum(visibility, presence)
        joints16, confidence16 = to_joints16(points, "blazepose33", confidence)
        return Detection2D(
            landmarks_px=points,
            landmarks_z=z,
            visibility=visibility,
            presence=presence,
            joints16_px=joints16,
            confidence16=confidence16,
            roi=roi,
            score=found.pose_presence,
            segmentation=found.segmentation,
        )
