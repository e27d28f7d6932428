import numpy as np
import pytest

from posemachines.data.lifter_input import mirror_detections
from posemachines.errors import PoseInputError, PoseModelError
from posemachines.export.formats import load_result
from posemachines.export.writer import write_outputs
from posemachines.inference.detectors import default_detector_name
from posemachines.inference.detectors.base import Detection2D, PoseDetector, Roi
from posemachines.inference.estimator import Estimator, detect_track
from posemachines.inference.frames import Frame, open_frames
from posemachines.models.shipped import shipped_lifter_path
from posemachines.skeleton import flip_horizontal
from posemachines.structures import Keypoints2D

STANDING_PX = np.array([
    [320, 300], [300, 300], [300, 380], [300, 460], [340, 300], [340, 380], [340, 460],
    [320, 250], [320, 200], [320, 160], [350, 200], [360, 250], [365, 300], [290, 200],
    [280, 250], [275, 300],
], dtype=np.float32)


def _clip(frames=6):
    rng = np.random.default_rng(0)
    return STANDING_PX[None] + rng.normal(scale=1.0, size=(frames, 16, 2)).astype(np.float32)


def test_shipped_weights_exist():
    assert shipped_lifter_path().is_file()


def test_predict_keypoints_shapes_and_missing_frames(random_lite_weights):
    est = Estimator(weights=random_lite_weights, correction="none")
    xy = _clip()
    conf = np.ones((6, 16), dtype=np.float32)
    conf[2] = 0.0  # nobody in frame 2
    result = est.predict_keypoints(Keypoints2D(xy, conf), fps=25.0, image_size=(640, 480))
    assert result.pose3d_mm.shape == (5, 16, 3)
    assert result.frame_indices.tolist() == [0, 1, 3, 4, 5]
    assert result.missing_frames == (2,)
    np.testing.assert_allclose(result.timestamps_s, np.array([0, 1, 3, 4, 5]) / 25.0)
    np.testing.assert_allclose(result.pose3d_mm[:, 0], 0.0, atol=1e-3)
    assert result.correction is None


@pytest.mark.parametrize("method", ["paper", "geometric"])
def test_corrections_report_every_frame(random_lite_weights, method):
    est = Estimator(weights=random_lite_weights, correction=method)
    result = est.predict_keypoints(_clip(), image_size=(640, 480))
    assert result.correction is not None and result.correction.method == method
    assert result.correction.steps.shape == (6,)
    assert np.isfinite(result.pose3d_mm).all()


def test_bad_keypoints_raise_one_sentence(random_lite_weights):
    est = Estimator(weights=random_lite_weights, correction="none")
    with pytest.raises(PoseInputError, match=r"\(T, 16, 2\)"):
        est.predict_keypoints(np.zeros((4, 17, 2)))
    nan = _clip()
    nan[1, 3] = np.nan
    with pytest.raises(PoseInputError, match="NaN"):
        est.predict_keypoints(nan)
    with pytest.raises(PoseInputError, match="No keypoint"):
        est.predict_keypoints(Keypoints2D(_clip(), np.zeros((6, 16), dtype=np.float32)))


def test_unknown_correction_and_bad_weights(random_lite_weights, tmp_path):
    with pytest.raises(PoseInputError, match="Unknown correction"):
        Estimator(weights=random_lite_weights, correction="magic")
    broken = tmp_path / "broken.pt"
    broken.write_bytes(random_lite_weights.read_bytes()[:1000])
    with pytest.raises(PoseModelError):
        Estimator(weights=broken)


class _ScriptedDetector(PoseDetector):
    """Finds a person in even frames only."""

    def __init__(self) -> None:
        self.resets = 0

    def detect(self, frame_rgb):
        if int(frame_rgb[0, 0, 0]) % 2:
            return None
        return Detection2D(
            landmarks_px=np.zeros((33, 2)), landmarks_z=np.zeros(33), visibility=np.ones(33),
            presence=np.ones(33), joints16_px=STANDING_PX, confidence16=np.ones(16),
            roi=Roi((320.0, 300.0), 300.0, 0.0), score=0.9,
        )

    def reset(self):
        self.resets += 1


def _frames(count, fail_after=None):
    for index in range(count):
        if fail_after is not None and index == fail_after:
            raise PoseInputError("The video is corrupt at frame 3.")
        yield Frame(index, index / 10.0, np.full((4, 4, 3), index, dtype=np.uint8))


def test_detect_track_skips_frames_without_a_person():
    detector = _ScriptedDetector()
    track = detect_track(detector, _frames(5))
    assert detector.resets == 1
    assert track.frame_indices.tolist() == [0, 2, 4]
    assert track.missing_frames == (1, 3)
    assert track.error is None


def test_detect_track_keeps_what_came_before_a_corrupt_frame():
    track = detect_track(_ScriptedDetector(), _frames(6, fail_after=3))
    assert track.frame_indices.tolist() == [0, 2]
    assert "corrupt" in track.error
    with pytest.raises(PoseInputError, match="corrupt"):
        detect_track(_ScriptedDetector(), _frames(6, fail_after=0))


def test_estimator_is_exported_at_the_top_level():
    import posemachines

    assert posemachines.Estimator is Estimator


def test_result_is_written_in_every_file_format(random_lite_weights, tmp_path):
    result = Estimator(weights=random_lite_weights, correction="none").predict_keypoints(
        _clip(), image_size=(640, 480)
    )
    formats = ("json", "npz", "csv", "bvh", "html")
    paths = dict(zip(formats, write_outputs(result, tmp_path, formats), strict=True))
    assert load_result(paths["npz"]).num_frames == 6
    assert load_result(paths["json"]).num_frames == 6
    assert paths["csv"].read_text().count("\n") == 7
    assert paths["bvh"].read_text().startswith("HIERARCHY")
    assert "<html" in paths["html"].read_text().lower()


def test_flip_test_is_on_by_default_and_makes_the_lift_mirror_equivariant(random_lite_weights):
    xy = _clip()
    conf = np.ones((6, 16), dtype=np.float32)
    size = (640, 480)
    mirrored, _ = mirror_detections(xy, conf, np.array([320.0, 240.0]))
    est = Estimator(weights=random_lite_weights, correction="none")
    assert est.flip_test
    np.testing.assert_allclose(est.lift(mirrored, conf, size).pose3d_mm,
                               flip_horizontal(est.lift(xy, conf, size).pose3d_mm), atol=1e-3)
    single = Estimator(weights=random_lite_weights, correction="none", flip_test=False)
    assert np.abs(single.lift(xy, conf, size).pose3d_mm
                  - est.lift(xy, conf, size).pose3d_mm).max() > 1e-2


def test_time_reversal_is_on_by_default_and_makes_the_lift_reversal_equivariant(
        random_lite_weights):
    xy = _clip()
    conf = np.ones((6, 16), dtype=np.float32)
    size = (640, 480)
    est = Estimator(weights=random_lite_weights, correction="none")
    assert est.time_reversal
    np.testing.assert_allclose(est.lift(xy[::-1], conf[::-1], size).pose3d_mm,
                               est.lift(xy, conf, size).pose3d_mm[::-1], atol=1e-3)
    forward_only = Estimator(weights=random_lite_weights, correction="none",
                             time_reversal=False)
    assert np.abs(forward_only.lift(xy, conf, size).pose3d_mm
                  - est.lift(xy, conf, size).pose3d_mm).max() > 1e-2
    np.testing.assert_allclose(est.lift(xy[:1], conf[:1], size).pose3d_mm,  # one frame
                               forward_only.lift(xy[:1], conf[:1], size).pose3d_mm, atol=1e-4)


def test_the_correction_gets_the_clips_frame_rate(random_lite_weights, correction_calls):
    est = Estimator(weights=random_lite_weights)
    est.predict_keypoints(_clip(), fps=5.0, image_size=(640, 480))
    est.predict_keypoints(_clip(), fps=60.0, image_size=(640, 480))
    assert [clip.fps for clip in correction_calls] == [5.0, 60.0]


def test_a_single_pose_gets_a_trajectory_and_camera_but_no_world():
    result = Estimator().predict_keypoints(_clip(1), fps=30.0, image_size=(640, 480))
    assert result.world is None  # one pose: no floor or contacts to find
    assert result.root_translation_mm.shape == (1, 3) and result.root_translation_mm[0, 2] > 0
    np.testing.assert_allclose(result.camera.c_px, [320.0, 240.0])
    # the root re-projects onto its keypoint through the solved camera
    root_px = result.camera.project(result.root_translation_mm[:, None])[0, 0]
    np.testing.assert_allclose(root_px, STANDING_PX[0], atol=3.0)


def test_a_still_gets_the_heavy_model_and_a_sequence_the_full_one(random_lite_weights,
                                                                   shared_data, tmp_path):
    # Chosen by measurement (docs/detector.md): heavy places joints most precisely on stills,
    # full is the one for frames in sequence; a named detector is used for everything.
    image = shared_data / "media" / "opencv_messi5.jpg"
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "0001.jpg").write_bytes(image.read_bytes())
    assert default_detector_name("image") == "blazepose-heavy"
    assert {default_detector_name(kind) for kind in ("video", "folder")} == {"blazepose-full"}
    chosen = Estimator(weights=random_lite_weights)
    assert chosen.detector_for(open_frames(image)).variant == "heavy"
    assert chosen.detector_for(open_frames(folder)).variant == "full"
    assert chosen.detector_for(open_frames(shared_data / "media" / "opencv_vtest.avi")
                               ).variant == "full"
    named = Estimator(weights=random_lite_weights, detector="blazepose-lite")
    assert named.detector_for(open_frames(image)).variant == "lite"
