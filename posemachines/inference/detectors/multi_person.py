"""Several people per frame with BlazePose: every detection, one landmark pass per person.

Per frame: run the landmark model on each region tracked from the previous frame's landmarks
(as the single-person `BlazePoseDetector` does for one); re-run the person detector (all of
its detections, MediaPipe's weighted NMS) every `redetect_every` frames, whenever a tracked
region was lost and while nobody is tracked, so that newcomers are found; start a region for
each detection not already covered; drop a region that converged onto someone already found
(two people crossing). Up to `max_people` people.

BlazePose's detector sees the whole frame at 224 x 224 px and misses people much smaller than
the frame (a mall or a street seen from afar). Each detector pass therefore also looks at
`tiles_per_pass` square tiles (half the frame's short side, at least the detector's 224 px,
overlapping by a quarter; on a wide frame they also undo the letterbox), taking the tiles in
turn: every part of the frame is searched at up to twice the scale within a few passes, at a
bounded cost per pass. The regions carry no identity: that is the job of
`posemachines.tracking`. Landmark smoothing is not offered here (it would need a filter per
person, that is per identity), nor the single-person detector's filtering of the hand-off
points.

`appearance_features` gives each person a colour descriptor (colour histograms sampled along
the torso and the legs) that helps the tracker tell apart people who cross.
"""

from __future__ import annotations

import cv2
import numpy as np

from posemachines.errors import PoseInputError
from posemachines.inference.detectors.base import Detection2D, Roi, check_frame
from posemachines.inference.detectors.blazepose import (
    AUX_HIP_CENTER,
    AUX_SCALE_POINT,
    MIN_ROI_SIZE_PX,
    NUM_LANDMARKS,
    BlazePoseDetector,
    RoiLandmarks,
)
from posemachines.inference.detectors.blazepose_anchors import DETECTOR_INPUT_SIZE
from posemachines.inference.detectors.blazepose_geometry import roi_from_alignment_points
from posemachines.skeleton import to_joints16
from posemachines.tracking.similarity import (
    boxes_from_keypoints,
    containment_matrix,
    iou_matrix,
)

#: Person-detector passes (the frame and TILES_PER_PASS tiles) at least this often (frames)
#: while people are tracked: a newcomer is found within 1/3 s at 30 fps (`inference.people`
#: passes a third of a second's frames at the video's rate).
REDETECT_EVERY = 10
#: A detection whose hip centre lies this close to a tracked person's (fraction of the
#: region's side) is that person.
SAME_PERSON_DISTANCE = 0.15
#: Two people whose joint boxes overlap this much (IoU), or one of whose boxes lies this much
#: inside the other, are one person found twice (e.g. a second, misplaced skeleton over a
#: person seen from the back); the stronger (score, then mean joint confidence) stays. A
#: person mostly hidden behind another is dropped too: the detector could not see them.
DUPLICATE_IOU = 0.6
DUPLICATE_CONTAINMENT = 0.8
#: A fresh detection is a person only if its torso (mid-shoulders to mid-hips) is at least
#: this fraction of its region's side: people measure 0.18-0.24 (5th to 95th percentile on the
#: real clips; the least, 0.12, a man half hidden in a group), furniture the landmark model
#: bends into a pose far less (a bar table seen from above in
#: people_one_by_one_back_intel.mp4: median 0.06, 0.10 at most where it scores 0.8 or more).
#: Tracked regions are not held to it (a person bending or half hidden may fall below it).
MIN_TORSO_FRACTION = 0.11
#: BlazePose's 33 landmarks: shoulders and hips.
SHOULDERS33, HIPS33 = (11, 12), (23, 24)
#: Detector tiles per pass (see the module docstring), and tile side / frame short side.
TILES_PER_PASS = 3
TILE_FRACTION = 0.5
#: Colour descriptor: hue x saturation bins for coloured pixels (saturation and value at
#: least COLOURED), value bins for the rest; per part, torso and legs, sampled in discs of
#: DISC_FRACTION of the body's height at SAMPLES_PER_BONE points along each bone.
HUE_BINS, SATURATION_BINS, VALUE_BINS, COLOURED = 16, 2, 4, 50
PART_DIM = HUE_BINS * SATURATION_BINS + VALUE_BINS
FEATURE_DIM = 2 * PART_DIM
DISC_FRACTION, SAMPLES_PER_BONE = 0.03, 5
#: Pixels per disc radius sampled (a grid, so a tall person costs no more than a small one).
DISC_SAMPLES = 3
#: Bones (start joints, end joints; a bone ends at the mean of its joints) per part, JOINTS16.
PART_BONES: tuple[tuple[tuple[tuple[int, ...], tuple[int, ...]], ...], ...] = (
    (((10, 13), (1, 4)),),                                   # mid-shoulders -> mid-hips
    (((1,), (2,)), ((2,), (3,)), ((4,), (5,)), ((5,), (6,))),  # thighs and shins
)


def detection_from_landmarks(found: RoiLandmarks, roi: Roi) -> Detection2D:
    """The landmark model's output in `roi` as a Detection2D (33 landmarks and 16 joints)."""
    points = found.points_px[:NUM_LANDMARKS]
    visibility = found.visibility[:NUM_LANDMARKS]
    presence = found.presence[:NUM_LANDMARKS]
    joints16, confidence16 = to_joints16(points, "blazepose33", np.minimum(visibility, presence))
    return Detection2D(
        landmarks_px=points, landmarks_z=found.z_px[:NUM_LANDMARKS], visibility=visibility,
        presence=presence, joints16_px=joints16, confidence16=confidence16, roi=roi,
        score=found.pose_presence,
    )


def covers(tracked: Roi, candidate: Roi) -> bool:
    """Whether a detected region is the tracked person's: hip centres closer than
    SAME_PERSON_DISTANCE of the larger region, sizes within a factor of 2. (Regions of people
    side by side overlap a lot: their centres tell them apart.)"""
    larger = max(tracked.size_px, candidate.size_px)
    distance = np.hypot(tracked.center_px[0] - candidate.center_px[0],
                        tracked.center_px[1] - candidate.center_px[1])
    return bool(distance < SAME_PERSON_DISTANCE * larger
                and min(tracked.size_px, candidate.size_px) > 0.5 * larger)


def detection_tiles(width: int, height: int, fraction: float = TILE_FRACTION
                    ) -> list[tuple[int, int, int]]:
    """Square tiles (x0, y0, side) px covering a width x height frame, overlapping by at least
    a quarter; side = `fraction` of the short side but at least the detector's input size
    (smaller tiles would only be upsampled), at most the short side. Row-major; empty when
    the short side is under the detector's input size."""
    short = min(width, height)
    side = min(short, max(int(round(short * fraction)), DETECTOR_INPUT_SIZE))
    if short < DETECTOR_INPUT_SIZE:
        return []

    def starts(extent: int) -> np.ndarray:
        count = int(np.ceil((extent - side) / (0.75 * side))) + 1
        return np.linspace(0, extent - side, count).round().astype(int)

    return [(int(x), int(y), side) for y in starts(height) for x in starts(width)]


def shifted(roi: Roi, dx: float, dy: float) -> Roi:
    """`roi` moved by (dx, dy) px (from a tile's pixels to the frame's)."""
    return Roi((roi.center_px[0] + dx, roi.center_px[1] + dy), roi.size_px, roi.rotation_rad)


def _strength(person: Detection2D) -> tuple[float, float]:
    return (round(person.score, 2), float(np.mean(person.confidence16)))


def body_shaped(found: RoiLandmarks, roi: Roi) -> bool:
    """Whether the landmarks in `roi` have a torso of a person's size (MIN_TORSO_FRACTION)."""
    points = found.points_px
    torso = np.linalg.norm(points[list(SHOULDERS33)].mean(axis=0)
                           - points[list(HIPS33)].mean(axis=0))
    return bool(torso >= MIN_TORSO_FRACTION * roi.size_px)


def next_region(found: RoiLandmarks) -> Roi | None:
    """Where the person of `found` should be cropped in the next frame (alignment points)."""
    roi = roi_from_alignment_points(found.points_px[AUX_HIP_CENTER],
                                    found.points_px[AUX_SCALE_POINT])
    return roi if roi.size_px >= MIN_ROI_SIZE_PX else None


def joint_boxes(people: list[Detection2D]) -> np.ndarray:
    """(K, 4) cx, cy, w, h px around each person's seen joints."""
    return boxes_from_keypoints(np.array([p.joints16_px for p in people]).reshape(-1, 16, 2),
                                np.array([p.confidence16 for p in people]).reshape(-1, 16))


class MultiPersonDetector:
    """Up to `max_people` people per RGB frame from one `BlazePoseDetector`'s two networks.

    redetect_every: frames between person-detector runs while people are tracked;
    tiles_per_pass: detector tiles searched per pass besides the whole frame (0: whole frame
    only). `detector.counts` tells how often each network ran. After each `detect_people`,
    `regions` holds each person's region key: the same key while a region is tracked from
    frame to frame (whoever the landmark model finds in it), a new one for each fresh
    detection; the tracker uses it to notice a region that slid onto someone else. One
    instance per video stream.
    """

    def __init__(self, detector: BlazePoseDetector, max_people: int,
                 redetect_every: int = REDETECT_EVERY, tiles_per_pass: int = TILES_PER_PASS
                 ) -> None:
        if max_people < 1 or redetect_every < 1:
            raise PoseInputError(
                f"max_people and redetect_every must be at least 1, got {max_people} and "
                f"{redetect_every}.")
        self.detector = detector
        self.max_people = max_people
        self.redetect_every = redetect_every
        self.tiles_per_pass = max(int(tiles_per_pass), 0)
        self.reset()

    def reset(self) -> None:
        """Forget the tracked regions; call before the first frame of a new video."""
        self._rois: list[Roi] = []
        self._keys: list[int] = []
        self._next_key = 0
        self._since_detection = 0
        self._next_tile = 0
        self.regions: list[int] = []

    def detect_people(self, frame_rgb: np.ndarray) -> list[Detection2D]:
        """The people in an (H, W, 3) uint8 RGB frame, in no particular order."""
        frame = check_frame(frame_rgb)
        people: list[Detection2D] = []
        next_rois: list[Roi | None] = []
        self.regions = []
        lost = False
        for roi, key in zip(self._rois, self._keys, strict=True):
            found = self.detector.landmarks_in_roi(frame, roi)
            if found is None:
                lost = True
            else:
                self._add(people, next_rois, found, roi, key)
        self._since_detection += 1
        due = lost or not people or self._since_detection >= self.redetect_every
        if due and len(people) < self.max_people:
            self._since_detection = 0
            self._add_newcomers(frame, people, next_rois)
        kept = [i for i, roi in enumerate(next_rois) if roi is not None]
        self._rois = [roi for roi in next_rois if roi is not None]
        self._keys = [self.regions[i] for i in kept]
        return people

    def _add_newcomers(self, frame: np.ndarray, people: list[Detection2D],
                       next_rois: list[Roi | None]) -> None:
        """Run the person detector; add each body-shaped detection that no tracked person
        covers."""
        for roi in self._candidate_rois(frame):
            if len(people) >= self.max_people:
                return
            if roi.size_px < MIN_ROI_SIZE_PX:
                continue
            if any(covers(person.roi, roi) for person in people):
                continue
            found = self.detector.landmarks_in_roi(frame, roi)
            if found is not None and body_shaped(found, roi):
                self._add(people, next_rois, found, roi, self._next_key)
                self._next_key += 1

    def _candidate_rois(self, frame: np.ndarray) -> list[Roi]:
        """The detector's people on the whole frame, then on this pass's tiles."""
        rois = self.detector.find_person_rois(frame)
        tiles = detection_tiles(frame.shape[1], frame.shape[0]) if self.tiles_per_pass else []
        if len(tiles) <= 1:
            return rois
        for _ in range(min(self.tiles_per_pass, len(tiles))):
            x0, y0, side = tiles[self._next_tile % len(tiles)]
            self._next_tile += 1
            tile = np.ascontiguousarray(frame[y0:y0 + side, x0:x0 + side])
            rois += [shifted(roi, x0, y0) for roi in self.detector.find_person_rois(tile)]
        return rois

    def _add(self, people: list[Detection2D], next_rois: list[Roi | None],
             found: RoiLandmarks, roi: Roi, key: int) -> None:
        """Append the person of `found` (region `key`), unless someone already found is the
        same person (then the one with the higher pose-presence score stays)."""
        candidate = detection_from_landmarks(found, roi)
        if people:
            mine, theirs = joint_boxes([candidate]), joint_boxes(people)
            duplicate = ((iou_matrix(mine, theirs)[0] > DUPLICATE_IOU)
                         | (containment_matrix(mine, theirs)[0] > DUPLICATE_CONTAINMENT))
            if duplicate.any():
                same = int(np.flatnonzero(duplicate)[0])
                if _strength(candidate) > _strength(people[same]):
                    people[same], next_rois[same] = candidate, next_region(found)
                    self.regions[same] = key
                return
        people.append(candidate)
        next_rois.append(next_region(found))
        self.regions.append(key)


def _colour_histogram(pixels_hsv: np.ndarray) -> np.ndarray:
    """(PART_DIM,) colours of (N, 3) HSV pixels, summing to 1: coloured pixels (saturation
    and value at least COLOURED) by hue x saturation, the others (white, grey, black) by
    value. Each hue is shared linearly between its two nearest bin centres (hue is circular),
    so that similar hues on either side of a bin edge still match and an olive jacket (OpenCV
    hue ~21) and a brown coat (~9), a bin apart, differ."""
    hue, saturation, value = (pixels_hsv[:, i].astype(np.float64) for i in range(3))
    coloured = (saturation >= COLOURED) & (value >= COLOURED)
    position = hue * HUE_BINS / 180.0 - 0.5  # in bins, 0 at the first bin's centre
    low = np.floor(position)
    upper_share = position - low
    saturation_bin = np.clip((saturation - COLOURED) * SATURATION_BINS // (256 - COLOURED), 0,
                             SATURATION_BINS - 1).astype(np.int64)
    value_bin = np.minimum(value * VALUE_BINS // 256, VALUE_BINS - 1).astype(np.int64)
    grey = HUE_BINS * SATURATION_BINS + value_bin
    bins, weights = [], []
    for hue_bin, share in ((low, 1.0 - upper_share), (low + 1, upper_share)):
        index = (hue_bin.astype(np.int64) % HUE_BINS) * SATURATION_BINS + saturation_bin
        bins.append(np.where(coloured, index, grey))
        weights.append(np.where(coloured, share, 0.5))
    hist = np.bincount(np.concatenate(bins), np.concatenate(weights), minlength=PART_DIM)
    return (hist / max(float(hist.sum()), 1e-9)).astype(np.float32)


def appearance_features(frame_rgb: np.ndarray, people: list[Detection2D]) -> np.ndarray:
    """(K, FEATURE_DIM) colour descriptors of each person's clothes: the pixels in small discs
    along the torso (mid-shoulders to mid-hips) and along both thighs and shins, one histogram
    (`_colour_histogram`) per part. Sampling along the bones, not in boxes around the joints,
    keeps the background out."""
    frame = check_frame(frame_rgb)
    height, width = frame.shape[:2]
    features = np.zeros((len(people), FEATURE_DIM), dtype=np.float32)
    steps = np.linspace(0.1, 0.9, SAMPLES_PER_BONE)[:, None]
    for row, person in enumerate(people):
        joints = person.joints16_px
        body = float(np.ptp(joints[:, 1])) or 1.0
        radius = max(1, int(round(DISC_FRACTION * body)))
        grid = np.arange(-radius, radius + 1, max(1, radius // DISC_SAMPLES))
        offsets = np.stack(np.meshgrid(grid, grid), -1).reshape(-1, 2)
        for part, bones in enumerate(PART_BONES):
            centres = np.concatenate([
                (1 - steps) * joints[list(start)].mean(axis=0) + steps * joints[list(end)].mean(
                    axis=0) for start, end in bones])
            pixels = np.round(centres[:, None, :] + offsets[None]).reshape(-1, 2).astype(int)
            inside = ((pixels[:, 0] >= 0) & (pixels[:, 0] < width) & (pixels[:, 1] >= 0)
                      & (pixels[:, 1] < height))
            if not inside.any():  # the whole part is outside the frame
                continue
            rgb = frame[pixels[inside, 1], pixels[inside, 0]][:, None, :]
            hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).reshape(-1, 3)  # the samples only
            features[row, part * PART_DIM:(part + 1) * PART_DIM] = _colour_histogram(hsv)
    return features
