"""`PersonTracker`: stable identities for the people of a video, frame by frame.

Per frame (after a constant-velocity Kalman prediction of every track's box):
1. confirmed tracks seen in the previous frame are matched to the frame's people by region overlap
   (IoU of the predicted and the measured box), keypoint similarity (OKS of the last pose moved
   with the predicted box), motion (the Kalman filter's Mahalanobis distance) and, where the
   detector gives them, appearance; pairs whose box centre is outside the Kalman gate cannot
   match;
2. confirmed tracks still unmatched (lost for a while, occluded or out of the frame, or whose
   person just changed shape) are matched to the people left by motion alone: the gated
   distance to the predicted box or to where the track was last seen
   (a person who stopped behind someone or turned back at the image edge), and box height,
   the tracks missing for the fewest frames first (DeepSORT's matching cascade);
3. tentative tracks (not yet confirmed) are matched as in 1 to the people left, so that a
   track being born never takes a person from a confirmed track that missed a frame;
4. people still unmatched start tentative tracks, confirmed after `min_hits` frames in a row;
   a confirmed track lives on unmatched for up to `max_lost_s` seconds (an occlusion or a
   crossing), then dies.
Where the detector says which of its regions each person was found in (`FramePeople.regions`:
a region is followed from frame to frame by the landmark model), a region whose person this
track did not take (refused by the gate or the appearance, or another track's better match)
has slid onto someone else, typically the person walking in front: the track takes a person
from that region again only where they overlap the track's last-seen box (RETAKE_IOU) or one
of the two boxes lies in the other (a region that had shrunk onto the legs grows back), or
where their clothes are clearly the track's (RETAKE_APPEARANCE: the video skipped a few
frames and everyone jumped), so the region's new person starts a track of their own instead
of inheriting the id a frame or two later, when the Kalman gate has widened.
Both matchings are optimal assignments (scipy's `linear_sum_assignment`, the Hungarian method
as in SORT/DeepSORT). We wrote the tracker rather than take norfair or motpy: norfair matches
greedily and motpy is unmaintained, and neither compares poses with a Kalman gate and a
lost-track stage as above; each piece here is a few lines over scipy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from posemachines.errors import PoseDataError
from posemachines.tracking.kalman import CHI2_95_2DOF, BoxKalmanFilter
from posemachines.tracking.similarity import (
    FramePeople,
    cosine_matrix,
    inside_matrix,
    iou_matrix,
    oks_matrix,
    parts_of,
)

#: Spread (log ratio, 1 sigma) of a person's box height between frames, plus its growth per
#: second lost, in the lost-track stage.
HEIGHT_CHANGE, HEIGHT_CHANGE_PER_S = 0.12, 0.2
#: A new person whose box lies this much (fraction of its area) inside the predicted box of a
#: confirmed track that missed the frame, and is at most PART_AREA of that box's area, is part
#: of that track's person and starts no track.
PART_INSIDE, PART_AREA = 0.8, 0.5
#: A region refused to a track (it slid) gives that track a person again only if their box
#: overlaps the track's last-seen box this much (IoU), or one of the two lies PART_INSIDE in
#: the other, or their clothes' colours match the track's this well (cosine; the same person
#: measures 0.8-1.0 frame to frame on the real clips, the woman the shoppers' region slid
#: onto 0.55-0.65 against the man's).
RETAKE_IOU, RETAKE_APPEARANCE = 0.5, 0.75
#: A track seen last frame cannot take a person whose clothes are unlike its own (cosine
#: below SLIDE_APPEARANCE) and whose hips lie more than SLIDE_JUMP of the track's height off
#: where its hips are predicted: its region slid onto someone else in a few frames, each
#: inside the Kalman gate (the shoppers' man and woman with BlazePose full: cosine 0.57,
#: hips 0.15 of his height off; a man of the mall clip half hidden in a group: cosine 0.72,
#: 0.1 off, and himself). Clothes this unlike do not update a track's colours.
SLIDE_APPEARANCE, SLIDE_JUMP = 0.65, 0.12


@dataclass(frozen=True)
class TrackerConfig:
    """fps: the video's frame rate (turns seconds into frames); max_lost_s: how long a confirmed
    track waits for its person to come back; min_hits: frames in a row before a new track is
    confirmed (and gets an id); min_score: detection score a person needs to start a track;
    min_similarity: the least IoU/OKS/appearance blend a seen track and a person must reach to
    match; iou_weight / oks_weight / motion_weight / appearance_weight: the blend (motion:
    exp(-d2 / 8) of the Kalman gating distance d2, about 0.6 for a typical true match;
    appearance only where both sides have features); min_appearance: where both sides have
    features, a cosine similarity below this forbids a match in either stage (someone else,
    in other clothes, walking in front of the person); duplicate_iou: an unmatched person
    overlapping a matched one, or the predicted box of a confirmed track that missed this
    frame, this much starts no track (the same person seen twice, or a track about to take
    its person back); feature_momentum: how slowly a track's appearance follows new frames."""

    fps: float = 30.0
    max_lost_s: float = 2.0
    min_hits: int = 3
    min_score: float = 0.5
    min_similarity: float = 0.15
    iou_weight: float = 0.4
    oks_weight: float = 0.6
    motion_weight: float = 0.4
    appearance_weight: float = 0.3
    min_appearance: float = 0.5
    duplicate_iou: float = 0.7
    feature_momentum: float = 0.9

    def __post_init__(self) -> None:
        if not (self.fps > 0 and self.max_lost_s >= 0 and self.min_hits >= 1):
            raise PoseDataError("TrackerConfig needs fps > 0, max_lost_s >= 0, min_hits >= 1.")

    @property
    def max_lost_frames(self) -> int:
        return int(round(self.max_lost_s * self.fps))


@dataclass
class _Track:
    """One person's state: Kalman mean (8,) / covariance (8, 8); last pose (16, 2) px and
    confidence (16,); last measured box (4,); history of (frame, person index) pairs; the
    detector's region of the last person taken (-1: none) and the regions refused (slid)."""

    key: int
    mean: np.ndarray
    covariance: np.ndarray
    xy_px: np.ndarray
    confidence: np.ndarray
    last_box: np.ndarray
    feature: np.ndarray | None
    track_id: int = 0
    hits: int = 1
    lost: int = 0
    history: list[tuple[int, int]] = field(default_factory=list)
    region: int = -1
    refused: set[int] = field(default_factory=set)

    @property
    def confirmed(self) -> bool:
        return self.track_id > 0


class PersonTracker:
    """Give the people of consecutive frames stable ids; call `update` once per frame."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self.kalman = BoxKalmanFilter()
        self.reset()

    def reset(self) -> None:
        """Forget every track (a new video)."""
        self._tracks: list[_Track] = []
        self._finished: list[_Track] = []
        self._frame = -1
        self._next_key = 0
        self._next_id = 1

    def update(self, people: FramePeople) -> dict[int, int]:
        """Associate one frame's `people`; return {track id: person index} for the confirmed
        tracks seen in this frame."""
        self._frame += 1
        for track in self._tracks:
            track.mean, track.covariance = self.kalman.predict(track.mean, track.covariance)
        boxes = people.person_boxes()
        confirmed = [track for track in self._tracks if track.confirmed and track.lost == 0]
        matches, free = self._match_seen(confirmed, people, boxes, list(range(len(people))))
        matches += self._match_lost(people, boxes, free, {track.key for track, _ in matches})
        free = [i for i in free if all(i != index for _, index in matches)]
        tentative = [track for track in self._tracks if not track.confirmed]
        matches += self._match_seen(tentative, people, boxes, free)[0]
        matched = {index for _, index in matches}
        self._refuse_slid_regions(people, matches)
        for track, index in matches:
            self._absorb(track, people, boxes, index)
        for track in self._tracks:
            if all(track is not other for other, _ in matches):
                if track.lost == 0:  # stop growing or shrinking while unseen
                    track.mean[6:] = 0.0
                track.lost += 1
        self._start_tracks(people, boxes, [i for i in range(len(people)) if i not in matched],
                           sorted(matched))
        self._retire()
        return {track.track_id: index for track, index in matches if track.confirmed}

    def _refuse_slid_regions(self, people: FramePeople, matches: list[tuple[_Track, int]]
                             ) -> None:
        """A track's region that is in this frame but not where the track's person was found
        has slid onto someone else: refused to that track from now on."""
        if people.regions is None:
            return
        present = set(people.regions.tolist())
        matched = {id(track): int(people.regions[index]) for track, index in matches}
        for track in self._tracks:
            if track.region in present and matched.get(id(track)) != track.region:
                track.refused.add(track.region)

    def _allowed(self, track: _Track, people: FramePeople, boxes: np.ndarray,
                 indices: list[int]) -> np.ndarray:
        """(len(indices),) False for people in regions refused to `track`, unless they are
        back on its last-seen box (RETAKE_IOU, PART_INSIDE) or dressed as it is
        (RETAKE_APPEARANCE)."""
        if people.regions is None or not track.refused:
            return np.ones(len(indices), dtype=bool)
        last, candidates = track.last_box[None], boxes[indices]
        back = ((iou_matrix(last, candidates)[0] >= RETAKE_IOU)
                | (inside_matrix(last, candidates)[0] > PART_INSIDE)
                | (inside_matrix(candidates, last)[:, 0] > PART_INSIDE))
        if people.features is not None and track.feature is not None:
            cosine = cosine_matrix(track.feature[None], people.features[indices])[0]
            back |= cosine >= RETAKE_APPEARANCE
        return back | ~np.isin(people.regions[indices], list(track.refused))

    def _similarity(self, tracks: list[_Track], people: FramePeople, boxes: np.ndarray,
                    indices: list[int]) -> np.ndarray:
        """(tracks, people) IoU/OKS/appearance blend, -1 outside a track's Kalman gate."""
        cfg = self.config
        predicted = np.array([track.mean[:4] for track in tracks])
        shift = predicted[:, :2] - np.array([track.last_box[:2] for track in tracks])
        moved = np.array([track.xy_px for track in tracks]) + shift[:, None, :]
        scale = np.sqrt(predicted[:, 2] * predicted[:, 3])
        oks = oks_matrix(moved, np.array([track.confidence for track in tracks]),
                         people.xy_px[indices], people.confidence[indices], scale)
        score = cfg.iou_weight * iou_matrix(predicted, boxes[indices]) + cfg.oks_weight * oks
        if people.features is not None:
            for row, track in enumerate(tracks):
                if track.feature is not None:
                    appearance = cosine_matrix(track.feature[None], people.features[indices])[0]
                    score[row] = ((score[row] + cfg.appearance_weight * appearance)
                                  / (1.0 + cfg.appearance_weight))
                    score[row, appearance < cfg.min_appearance] = -1.0
        for row, track in enumerate(tracks):
            distance = self.kalman.gating_distance(track.mean, track.covariance, boxes[indices])
            score[row] += cfg.motion_weight * np.exp(-distance / 8.0)
            centre = self.kalman.position_distance(track.mean, track.covariance,
                                                   boxes[indices, :2])
            score[row, centre > CHI2_95_2DOF] = -1.0
            score[row, ~self._allowed(track, people, boxes, indices)] = -1.0
            score[row, self._slid(track, people, indices)] = -1.0
        return score

    def _predicted_hips(self, track: _Track) -> np.ndarray:
        """(2,) px where `track`'s hips are expected this frame (its last hips moved with the
        predicted box)."""
        return track.xy_px[0] + track.mean[:2] - track.last_box[:2]

    def _slid(self, track: _Track, people: FramePeople, indices: list[int]) -> np.ndarray:
        """(len(indices),) True for people a track seen last frame cannot be (SLIDE_JUMP)."""
        if track.lost > 0 or people.features is None or track.feature is None:
            return np.zeros(len(indices), dtype=bool)
        jump = np.linalg.norm(people.xy_px[indices, 0] - self._predicted_hips(track), axis=1)
        cosine = cosine_matrix(track.feature[None], people.features[indices])[0]
        return (cosine < SLIDE_APPEARANCE) & (jump > SLIDE_JUMP * max(track.mean[3], 1.0))

    def jumped(self, xy_px: np.ndarray) -> bool:
        """Whether, before this frame's `update`, the hips of one of the people (K, 16, 2) px
        lie off a confirmed track's next predicted hips by more than half SLIDE_JUMP of its
        height but less than its height (someone moved unexpectedly: a region may be
        sliding, and the clothes' colours are needed)."""
        for track in self._tracks:
            if not track.confirmed or track.lost > 0 or not len(xy_px):
                continue
            expected = track.xy_px[0] + track.mean[4:6]  # one constant-velocity step
            distance = np.linalg.norm(np.asarray(xy_px)[:, 0] - expected, axis=1).min()
            if 0.5 * SLIDE_JUMP * track.mean[3] < distance < track.mean[3]:
                return True
        return False

    def _match_seen(self, tracks: list[_Track], people: FramePeople, boxes: np.ndarray,
                    indices: list[int]) -> tuple[list[tuple[_Track, int]], list[int]]:
        """Match `tracks` (seen last frame) to the people `indices` by the similarity blend;
        returns the matches and the indices of the people left."""
        if not tracks or not indices:
            return [], indices
        score = self._similarity(tracks, people, boxes, indices)
        rows, cols = linear_sum_assignment(-score)
        good = score[rows, cols] >= self.config.min_similarity
        matches = [(tracks[r], indices[c]) for r, c in zip(rows[good], cols[good], strict=True)]
        taken = {index for _, index in matches}
        return matches, [i for i in indices if i not in taken]

    def _match_lost(self, people: FramePeople, boxes: np.ndarray, indices: list[int],
                    taken: set[int]) -> list[tuple[_Track, int]]:
        """Stage 2 as DeepSORT's matching cascade: tracks missing for fewer frames choose
        first (a long-lost track's wide uncertainty would otherwise win every close call)."""
        matches: list[tuple[_Track, int]] = []
        waiting = [t for t in self._tracks if t.confirmed and t.key not in taken]
        for lost in sorted({track.lost for track in waiting}):
            free = [i for i in indices if all(i != index for _, index in matches)]
            matches += self._match_motion([t for t in waiting if t.lost == lost], people,
                                          boxes, free)
        return matches

    def _match_motion(self, tracks: list[_Track], people: FramePeople, boxes: np.ndarray,
                      indices: list[int]) -> list[tuple[_Track, int]]:
        """Confirmed tracks not matched in stage 1 (lost, or just now unlike their last
        pose: a person half out of the frame) against the people left, by the gated
        distance of the box centre to the predicted or last-seen one (the size is left to a
        height-ratio check: a box changes size abruptly when limbs hide or leave the frame)."""
        if not tracks or not indices:
            return []
        candidates = boxes[indices]
        cost = np.full((len(tracks), len(indices)), np.inf)
        for row, track in enumerate(tracks):
            to_predicted = self.kalman.position_distance(track.mean, track.covariance,
                                                         candidates[:, :2])
            parked = np.concatenate([track.last_box, np.zeros(4)])
            to_last = self.kalman.position_distance(parked, track.covariance, candidates[:, :2])
            distance = np.minimum(to_predicted, to_last)
            # Apparent height changes slowly (1 m/s towards the camera at 5 m: 20 %/s).
            log_height = np.log(np.maximum(candidates[:, 3], 1.0) / max(track.last_box[3], 1.0))
            height_spread = HEIGHT_CHANGE + HEIGHT_CHANGE_PER_S * track.lost / self.config.fps
            allowed = ((distance <= CHI2_95_2DOF) & (np.abs(log_height) <= 2.5 * height_spread)
                       & self._looks_alike(track, people, indices)
                       & self._allowed(track, people, boxes, indices)
                       & ~self._slid(track, people, indices))
            cost[row] = np.where(allowed, distance + (log_height / height_spread) ** 2, np.inf)
        finite = np.isfinite(cost)
        if not finite.any():
            return []
        rows, cols = linear_sum_assignment(np.where(finite, cost, 1e9))
        return [(tracks[r], indices[c]) for r, c in zip(rows, cols, strict=True) if finite[r, c]]

    def _looks_alike(self, track: _Track, people: FramePeople, indices: list[int]) -> np.ndarray:
        """(len(indices),) False where both sides have appearance features and they differ
        (cosine below min_appearance): another person in other clothes."""
        if people.features is None or track.feature is None:
            return np.ones(len(indices), dtype=bool)
        cosine = cosine_matrix(track.feature[None], people.features[indices])[0]
        return cosine >= self.config.min_appearance

    def _absorb(self, track: _Track, people: FramePeople, boxes: np.ndarray, index: int) -> None:
        """Update `track` with person `index` of this frame."""
        track.mean, track.covariance = self.kalman.update(track.mean, track.covariance,
                                                          boxes[index])
        track.hits = track.hits + 1 if track.lost == 0 else 1
        track.lost = 0
        track.xy_px, track.confidence = people.xy_px[index], people.confidence[index]
        track.last_box = boxes[index]
        if people.regions is not None:
            track.region = int(people.regions[index])
            track.refused.discard(track.region)
        if people.features is not None:
            momentum = self.config.feature_momentum
            new = people.features[index]
            if track.feature is None:
                track.feature = new
            elif cosine_matrix(track.feature[None], new[None])[0, 0] >= SLIDE_APPEARANCE:
                track.feature = momentum * track.feature + (1.0 - momentum) * new
        track.history.append((self._frame, index))
        if not track.confirmed and track.hits >= self.config.min_hits:
            track.track_id = self._next_id
            self._next_id += 1

    def _start_tracks(self, people: FramePeople, boxes: np.ndarray, free: list[int],
                      matched: list[int]) -> None:
        """Tentative tracks for the unmatched people scoring at least min_score, unless they
        duplicate a matched person or sit where a confirmed track that missed this frame is
        predicted (on it, or inside it: part of that person, e.g. the legs a region shrank
        onto)."""
        if not free:
            return
        waiting = [track.mean[:4] for track in self._tracks if track.confirmed and track.lost > 0]
        others = np.concatenate([boxes[matched], np.reshape(waiting, (-1, 4))])
        overlap = (iou_matrix(boxes[free], others).max(axis=1) if len(others)
                   else np.zeros(len(free)))
        inside = (parts_of(boxes[free], np.reshape(waiting, (-1, 4)), PART_INSIDE, PART_AREA)
                  if waiting else np.zeros(len(free), dtype=bool))
        for index, duplicate, part in zip(free, overlap, inside, strict=True):
            weak = people.scores[index] < self.config.min_score
            if weak or part or duplicate > self.config.duplicate_iou:
                continue
            mean, covariance = self.kalman.initiate(boxes[index])
            feature = None if people.features is None else people.features[index]
            track = _Track(self._next_key, mean, covariance, people.xy_px[index],
                           people.confidence[index], boxes[index], feature,
                           history=[(self._frame, index)],
                           region=-1 if people.regions is None else int(people.regions[index]))
            self._next_key += 1
            if self.config.min_hits <= 1:
                track.track_id = self._next_id
                self._next_id += 1
            self._tracks.append(track)

    def _retire(self) -> None:
        """Drop tentative tracks that missed a frame and confirmed ones lost too long."""
        keep = []
        for track in self._tracks:
            if track.confirmed and track.lost > self.config.max_lost_frames:
                self._finished.append(track)
            elif track.confirmed or track.lost == 0:
                keep.append(track)
        self._tracks = keep

    @property
    def waiting(self) -> bool:
        """Whether a confirmed track is waiting for its person (missed the last frame)."""
        return any(track.confirmed and track.lost > 0 for track in self._tracks)

    def histories(self) -> dict[int, list[tuple[int, int]]]:
        """Every confirmed track so far: id -> [(frame, person index)], frames counted from 0
        at the first `update`; the frames before confirmation are included."""
        tracks = [t for t in self._finished + self._tracks if t.confirmed]
        return {t.track_id: list(t.history) for t in sorted(tracks, key=lambda t: t.track_id)}
