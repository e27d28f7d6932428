"""PersonTracker: people crossing, leaving and returning, newcomers, false detections."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.tracking import FramePeople, PersonTracker, TrackerConfig
from posemachines.tracking.metrics import tracking_scores
from tests.tracking.synthetic import frame_people, occlude, walk


def run(tracker: PersonTracker, frames: list[FramePeople], truths: list[np.ndarray]
        ) -> dict[int, set[int]]:
    """True person -> the set of track ids it was reported under."""
    seen: dict[int, set[int]] = {}
    for people, ids in zip(frames, truths, strict=True):
        for track_id, index in tracker.update(people).items():
            seen.setdefault(int(ids[index]), set()).add(track_id)
    return seen


def test_two_people_crossing_keep_their_ids() -> None:
    # A walks left to right in front; B right to left behind, hidden while they overlap.
    a = walk((100, 600), (1100, 600), 400, 90)
    b = walk((1100, 580), (100, 580), 380, 90)
    xy = np.stack([a, b])
    confidence, present = occlude(xy, near_first=[0, 1])
    assert not present[1].all(), "B must vanish behind A for the test to mean anything"
    frames, truths = frame_people(xy, confidence, present, np.random.default_rng(0))
    seen = run(PersonTracker(TrackerConfig(fps=30)), frames, truths)
    assert seen == {0: {1}, 1: {2}}


def test_person_leaving_and_coming_back_within_2_s_keeps_the_id() -> None:
    # Walks out of the right edge of a 1280 px image, waits, walks back in: gone 1.8 s.
    out = walk((900, 600), (1400, 600), 400, 30)
    back = walk((1400, 600), (900, 600), 400, 30)
    xy = np.concatenate([out, out[-1:].repeat(31, axis=0), back])[None]
    present = (xy[0, :, :, 0].max(axis=1) < 1280)[None]  # gone while any joint is off-image
    assert (~present[0]).sum() == 54
    frames, truths = frame_people(xy, np.full(xy.shape[:3], 0.9), present,
                                  np.random.default_rng(1))
    assert run(PersonTracker(TrackerConfig(fps=30)), frames, truths) == {0: {1}}


def test_person_gone_longer_than_max_lost_gets_a_new_id() -> None:
    still = walk((600, 600), (620, 600), 400, 20)
    xy = np.concatenate([still, still[-1:].repeat(40, axis=0), still[::-1]])[None]
    present = np.ones(xy.shape[:2], dtype=bool)
    present[0, 20:60] = False  # 40 frames = 2 s at 20 fps, more than max_lost_s = 1
    frames, truths = frame_people(xy, np.full(xy.shape[:3], 0.9), present,
                                  np.random.default_rng(2))
    assert run(PersonTracker(TrackerConfig(fps=20, max_lost_s=1.0)), frames, truths) == {
        0: {1, 2}}


def test_newcomer_gets_the_next_id_after_confirmation() -> None:
    a = walk((200, 600), (300, 600), 400, 20)
    b = walk((900, 600), (850, 600), 400, 20)
    xy = np.stack([a, b])
    present = np.ones((2, 20), dtype=bool)
    present[1, :8] = False
    frames, truths = frame_people(xy, np.full(xy.shape[:3], 0.9), present,
                                  np.random.default_rng(3))
    tracker = PersonTracker(TrackerConfig(fps=30, min_hits=3))
    reported = [tracker.update(people) for people in frames]
    assert reported[0] == {} and set(reported[2]) == {1}  # confirmed on its third frame
    assert set(reported[9]) == {1} and set(reported[10]) == {1, 2}
    history = tracker.histories()
    assert [frame for frame, _ in history[2]][:3] == [8, 9, 10]  # tentative frames kept


def test_one_frame_false_detections_start_no_track() -> None:
    rng = np.random.default_rng(4)
    a = walk((200, 600), (300, 600), 400, 30)
    frames, truths = frame_people(a[None], np.full((1, 30, 16), 0.9), np.ones((1, 30), bool),
                                  rng)
    rows = []
    tracker = PersonTracker()
    for t, (people, ids) in enumerate(zip(frames, truths, strict=True)):
        if t % 5 == 2:  # a ghost somewhere else, one frame only
            ghost = walk((1000, 300), (1000, 300), 200, 1)
            people = FramePeople(np.concatenate([people.xy_px, ghost]),
                                 np.concatenate([people.confidence, np.full((1, 16), 0.9)]),
                                 np.append(people.scores, 0.9))
            ids = np.append(ids, -1)
        reported = {index: track for track, index in tracker.update(people).items()}
        rows += [(t, int(ids[i]), reported.get(i, -1)) for i in range(len(people))]
    frames_, true_ids, track_ids = np.array(rows).T
    scores = tracking_scores(frames_, true_ids, track_ids)
    assert scores.false_positives == 0 and scores.id_switches == 0
    assert scores.misses == 2  # the two frames before confirmation


def slid_region(jump_px: float, regions: bool) -> dict[int, set[int]]:
    """A man stands still (400 px tall); the woman in front of him (430 px, feet `jump_px` to
    his right) is missed by the detector until his region slides onto her at frame 20 (the
    man is then missed); at frame 45 the man is found again in a fresh region."""
    man = walk((600, 700), (600, 700), 400, 60)
    woman = walk((600 + jump_px, 760), (630 + jump_px, 760), 430, 60)
    frames, truths = [], []
    for t in range(60):
        xy, keys, who = ((man[t][None], [0], [0]) if t < 20 else
                         (woman[t][None], [0], [1]) if t < 45 else
                         (np.stack([woman[t], man[t]]), [0, 1], [1, 0]))
        frames.append(FramePeople(xy, np.full((len(xy), 16), 0.9), np.full(len(xy), 0.9),
                                  regions=np.array(keys) if regions else None))
        truths.append(np.array(who))
    return run(PersonTracker(TrackerConfig(fps=16.7)), frames, truths)


def test_a_region_that_slides_onto_someone_else_does_not_pass_the_id_on() -> None:
    # Without the detector's region keys the woman inherits the man's id a frame after the
    # Kalman gate refused the jump (the three shoppers clip, frames 54-56).
    assert slid_region(100.0, regions=False) == {0: {1, 2}, 1: {1}}
    assert slid_region(100.0, regions=True) == {0: {1}, 1: {2}}


def gradual_slide(clothes: bool) -> dict[int, set[int]]:
    """The man stands still (400 px); his region drifts onto the woman in front of him (her
    hips 60 px right and 40 px lower) in three steps, each inside the Kalman gate (a tenth,
    a fifth, then the rest: frames 20-22, as BlazePose full does on the shoppers' clip), and
    stays on her (the detector misses him meanwhile); at frame 40 he is found again in a
    region of his own. clothes: the people carry colour descriptors (his and hers alike at
    cosine 0.6, the half-way poses mixed)."""
    man = walk((600, 700), (600, 700), 400, 60)
    offset = np.array([60.0, 40.0])
    his, hers = np.eye(4)[0], 0.6 * np.eye(4)[0] + 0.8 * np.eye(4)[1]
    frames, truths = [], []
    for t in range(60):
        share = {20: 0.1, 21: 0.2}.get(t, float(t > 21))
        rows = [(man[t] + share * offset, (1 - share) * his + share * hers, 0, int(share > 0.5))]
        if t >= 40:
            rows.append((man[t], his, 1, 0))
        xy, features, keys, who = (np.array(column) for column in zip(*rows, strict=True))
        frames.append(FramePeople(xy, np.full((len(rows), 16), 0.9), np.full(len(rows), 0.9),
                                  features=features if clothes else None, regions=keys))
        truths.append(who)
    return run(PersonTracker(TrackerConfig(fps=25)), frames, truths)


def test_a_region_sliding_in_small_steps_onto_other_clothes_does_not_pass_the_id_on() -> None:
    # Without colours the woman inherits the man's id; with them the track refuses her once
    # her hips are 0.12 of his height off his and her clothes unlike his (his id comes
    # back with him at frame 40; she gets an id of her own).
    assert gradual_slide(clothes=False)[1] == {1}
    assert gradual_slide(clothes=True) == {0: {1}, 1: {2}}


def test_part_of_a_person_missed_this_frame_starts_no_track() -> None:
    # The person's region is lost for three frames; a skeleton a quarter of her size found
    # inside where she is predicted (her legs, in a region of its own) starts no track.
    person = walk((600, 700), (640, 700), 400, 40)
    frames, truths = [], []
    for t in range(40):
        xy, keys, who = person[t][None], [0], [0]
        if 20 <= t < 23:
            xy, keys, who = walk((610 + t, 700), (610 + t, 700), 110, 1), [1], [1]
        frames.append(FramePeople(xy, np.full((1, 16), 0.9), np.full(1, 0.9),
                                  regions=np.array(keys)))
        truths.append(np.array(who))
    tracker = PersonTracker(TrackerConfig(fps=30))
    assert run(tracker, frames, truths) == {0: {1}}
    assert sorted(tracker.histories()) == [1]


def test_config_is_checked() -> None:
    with pytest.raises(PoseDataError):
        TrackerConfig(fps=0)
    with pytest.raises(PoseDataError):
        FramePeople(np.zeros((2, 16, 2)), np.zeros((2, 16)), np.zeros(1))
