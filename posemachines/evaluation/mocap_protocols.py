"""Our mocap protocols: held-out takes of one source (mocap-heldout: Bandai Namco;
lafan1-heldout; cmu-heldout) and whole unseen datasets (cross-mocap: Bandai Namco -> LAFAN1;
cross-mocap-cmu: Bandai Namco + CMU -> LAFAN1; cross-cmu-dance: Bandai Namco + LAFAN1 -> CMU's
dance takes). `select_takes` picks the test takes; a protocol that names a content no take has
fails instead of scoring the rest, and the report lists every take scored.

Every test take is seen by `cameras_per_take` virtual cameras drawn with a fixed seed from the
training camera distribution (`VirtualCameraConfig()`; `camera_shift`: cameras 2.2-3.5 m high
with 2.0-3.0x-width focal lengths, outside that distribution). A camera stays put for the whole
take: it aims at the take's mean root position and stands the sampled distance beyond the take's
horizontal radius, so the person never walks behind or into it (on LAFAN1's room-sized takes the
person is then 2-25 m away). As in training, keypoints are not clipped to the image.
Rows: clean 2D and detector-like noisy 2D (`DetectorNoiseConfig()`, as in training), each lifted
frame by frame (T=1, LSTM reset every frame), in clips of 5 frames, and over the whole take
(streaming); the streamed take once more scaled to the person's true height, as `infer
--height-cm` scales it (the network's median bone lengths over the take give its height by
`standing_height_mm`), to tell how much of the error is the metric size; with `--correction
geometric`, the streamed take once more after the geometric correction, per camera, given the
camera's focal length as the lifter is (what `infer --focal-px` runs). Protocols with
`fixture_frames` (cross-mocap) add the real Human3.6M and MPI-INF-3DHP fixture frames
(`posemachines.evaluation.fixture_frames`). Columns: MPJPE (root-aligned), PA-MPJPE and the
mean absolute bone-length error in mm and in %; the JSON adds the error of every bone.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from tqdm import tqdm

from posemachines.correction.skeleton_fit import standing_height_mm
from posemachines.data.mocap import MocapClip, load_mocap_npz
from posemachines.data.splits import (
    CMU_VALIDATION_RULE,
    LAFAN1_VALIDATION_RULE,
    VALIDATION_RULE,
    is_validation_take,
)
from posemachines.data.virtual_cameras import VirtualCameraConfig, sample_virtual_cameras
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.evaluation.fixture_frames import default_fixtures_dir, score_fixture_frames
from posemachines.evaluation.lifting import correct_lift, lift_detections
from posemachines.evaluation.metrics import bone_length_error, mpjpe, pa_mpjpe
from posemachines.evaluation.options import EvaluationOptions
from posemachines.evaluation.protocols import MocapProtocol, scored_frames
from posemachines.evaluation.summary import EvaluationReport, MetricTable
from posemachines.models.pose_machine import PoseMachine
from posemachines.skeleton import JOINTS16, JOINTS16_NAMES, bone_lengths
from posemachines.training.augment import DetectorNoiseConfig, add_detector_noise

#: Domain shift for `camera_shift`: high cameras and long lenses (training: 0.5-2.2 m,
#: 0.8-2.0x width).
CAMERA_SHIFT = VirtualCameraConfig(height_mm=(2200.0, 3500.0), focal_over_width=(2.0, 3.0))
#: Run modes: label -> window (frames per zero-state window; None = the whole take).
MODES: dict[str, int | None] = {
    "single frame (T=1)": 1, "clips of 5 frames": 5, "whole take (streaming)": None,
}
INPUTS: dict[str, bool] = {"clean 2D": False, "noisy 2D": True}
COLUMNS = ("MPJPE (mm)", "PA-MPJPE (mm)", "Bone length error (mm)", "Bone length error (%)")
#: Row suffix of the streamed take scaled to the true height.
HEIGHT_SCALED = "whole take, scaled to the true height"
BONE_NAMES = tuple(f"{JOINTS16_NAMES[p]}-{JOINTS16_NAMES[c]}" for p, c in JOINTS16.bones)
#: Which takes of a source are held out (`data.splits`), in words for the report.
HELD_OUT_RULES = {
    "bandai-namco-1": VALIDATION_RULE, "bandai-namco-2": VALIDATION_RULE,
    "lafan1": LAFAN1_VALIDATION_RULE, "cmu": CMU_VALIDATION_RULE,
}


def select_takes(clips: list[MocapClip], protocol: MocapProtocol) -> list[MocapClip]:
    """The protocol's test takes, in npz order: the takes of its test sources (only the
    held-out ones when `held_out`; only those of `test_contents` when it names any). Raises
    PoseDataError when a content the protocol names has no such take."""
    takes = [clip for clip in clips if clip.source in protocol.test_sources
             and (not protocol.held_out
                  or is_validation_take(clip.source, clip.style, clip.take))]
    if not protocol.test_contents:
        return takes
    found = {clip.content for clip in takes}
    missing = [content for content in protocol.test_contents if content not in found]
    if missing:
        raise PoseDataError(f"Protocol {protocol.name} scores the contents "
                            f"{', '.join(protocol.test_contents)}, but the data has no "
                            f"{', '.join(protocol.test_sources)} takes of "
                            f"{', '.join(missing)}.")
    return [clip for clip in takes if clip.content in protocol.test_contents]


@dataclasses.dataclass(frozen=True)
class TakeViews:
    """One take through n cameras: xy_px (n, T, 16, 2); pose3d_mm (n, T, 16, 3) camera frame,
    root-relative; f_px, c_px (n, 2); size_px (n, 2) int image (width, height)."""

    xy_px: np.ndarray
    pose3d_mm: np.ndarray
    f_px: np.ndarray
    c_px: np.ndarray
    size_px: np.ndarray


def view_take(
    joints_mm: np.ndarray, rng: np.random.Generator, cameras: int, config: VirtualCameraConfig
) -> TakeViews:
    """Project a take (T, 16, 3) mm world, Y up, through `cameras` fixed virtual cameras."""
    root = joints_mm[:, 0].astype(np.float64)
    centre = root.mean(axis=0)
    radius = float(np.linalg.norm((root - centre)[:, [0, 2]], axis=-1).max())
    low, high = config.distance_mm
    config = dataclasses.replace(config, distance_mm=(low + radius, high + radius))
    batch = sample_virtual_cameras(rng, cameras, centre, config)
    world = np.broadcast_to(joints_mm.astype(np.float64), (cameras, *joints_mm.shape))
    camera_frame = batch.world_to_camera(world)
    return TakeViews(
        xy_px=batch.project(camera_frame),
        pose3d_mm=camera_frame - camera_frame[:, :, :1],
        f_px=batch.f_px.astype(np.float64),
        c_px=batch.c_px.astype(np.float64),
        size_px=batch.size_px,
    )


def correct_views(
    model: PoseMachine, pred: np.ndarray, xy_px: np.ndarray, confidence: np.ndarray,
    views: TakeViews, fps: float, method: str,
) -> np.ndarray:
    """Each camera's streamed lift (n, T, 16, 3) mm of `xy_px` (n, T, 16, 2) px and its
    confidence (n, T, 16) after the correction `method` (`correct_lift`), given the camera's
    focal length and image size. (n, T, 16, 3) mm float64."""
    return np.stack([
        correct_lift(model, view_pred, view_xy, view_confidence, f_px, c_px,
                     (int(size[0]), int(size[1])), fps, method)
        for view_pred, view_xy, view_confidence, f_px, c_px, size in zip(
            pred, xy_px, confidence, views.f_px, views.c_px, views.size_px, strict=True)])


def take_inputs(
    take: MocapClip, number: int, config: VirtualCameraConfig, options: EvaluationOptions,
) -> tuple[TakeViews, np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Take `number` seen by its seeded cameras: the views, the scored frame indices and, per
    INPUTS row, the 2D (n, T, 16, 2) px and confidence (n, T, 16) the lifter gets (clean, or
    with seeded detector-like noise)."""
    views = view_take(take.joints_mm, np.random.default_rng([options.seed, number, 0]),
                      options.cameras_per_take, config)
    chosen = scored_frames(take.num_frames, options.stride or 1)
    inputs = {}
    for input_label, noisy in INPUTS.items():
        xy = views.xy_px
        confidence = np.ones(xy.shape[:3], dtype=np.float32)
        if noisy:
            noise_rng = np.random.default_rng([options.seed, number, 1])
            xy, confidence = add_detector_noise(xy, confidence, noise_rng, DetectorNoiseConfig())
        inputs[input_label] = (xy, confidence)
    return views, chosen, inputs


class _Totals:
    """Running sums per row: the three columns and every bone."""

    def __init__(self) -> None:
        self.sums: dict[str, np.ndarray] = {}
        self.bones: dict[str, np.ndarray] = {}
        self.frames: dict[str, int] = {}

    def add(self, row: str, pred: np.ndarray, gt: np.ndarray) -> None:
        """pred, gt: (n, F, 16, 3) mm of the scored frames."""
        bones = np.asarray(bone_length_error(pred, gt, relative=False, reduction="none"))
        relative = np.asarray(bone_length_error(pred, gt, relative=True, reduction="none"))
        columns = np.array([float(np.sum(mpjpe(pred, gt, root_align=True, reduction="none"))),
                            float(np.sum(pa_mpjpe(pred, gt, reduction="none"))),
                            float(bones.mean(axis=-1).sum()),
                            100.0 * float(relative.mean(axis=-1).sum())])
        self.sums[row] = self.sums.get(row, 0.0) + columns
        self.bones[row] = self.bones.get(row, 0.0) + bones.reshape(-1, bones.shape[-1]).sum(0)
        self.frames[row] = self.frames.get(row, 0) + int(np.prod(pred.shape[:2]))

    def table(self, extra_rows: dict[str, tuple[dict[str, float], int, dict]] | None = None
              ) -> MetricTable:
        """The table; `extra_rows`: more rows as row -> (values, frames, details)."""
        rows = tuple(self.sums)
        values = {row: dict(zip(COLUMNS, (self.sums[row] / self.frames[row]).tolist(),
                                strict=True)) for row in rows}
        details = {row: {"bone_length_error_mm": dict(zip(
            BONE_NAMES, (self.bones[row] / self.frames[row]).tolist(), strict=True))}
            for row in rows}
        frames = dict(self.frames)
        for row, (row_values, row_frames, row_details) in (extra_rows or {}).items():
            values[row], frames[row], details[row] = row_values, row_frames, row_details
        return MetricTable((*rows, *(extra_rows or {})), COLUMNS, values, frames, details)


def evaluate_mocap(
    model: PoseMachine, protocol: MocapProtocol, data: Path, options: EvaluationOptions
) -> EvaluationReport:
    """Run a mocap protocol on the npz of `posemachines data mocap` (see module doc)."""
    if data.is_dir():
        raise PoseInputError(f"--data for protocol {protocol.name} must be the mocap npz made "
                             f"by `posemachines data mocap`, but {data} is a folder.")
    if options.input_source != "gt":
        raise PoseInputError(f"Protocol {protocol.name} makes its own clean and noisy 2D; "
                             "leave --input at gt.")
    if options.correction == "paper":
        raise PoseInputError(f"Protocol {protocol.name} corrects whole takes with --correction "
                             "geometric only; the paper's correction adapts the network per "
                             "frame, too slow for takes of thousands of frames.")
    if options.cameras_per_take < 1:
        raise PoseInputError("--cameras-per-take must be at least 1.")
    takes = select_takes(load_mocap_npz(data).clips, protocol)
    if not takes:
        raise PoseDataError(f"{data} holds no test takes of protocol {protocol.name} "
                            f"(sources {', '.join(protocol.test_sources)}).")
    config = CAMERA_SHIFT if options.camera_shift else VirtualCameraConfig()
    totals = _Totals()
    for number, take in enumerate(tqdm(takes, desc=protocol.name, unit="take",
                                       disable=not options.progress)):
        _evaluate_take(model, take, number, config, options, totals)
    fixtures, note = _fixture_rows(model, protocol, options)
    table = totals.table(fixtures)
    return EvaluationReport(protocol.name, protocol.title,
                            (*_describe(protocol, options, takes, table), *note), table)


def _fixture_rows(
    model: PoseMachine, protocol: MocapProtocol, options: EvaluationOptions
) -> tuple[dict[str, tuple[dict[str, float], int, dict]], tuple[str, ...]]:
    """The real fixture frames' rows and a note line (none for protocols without them)."""
    if not protocol.fixture_frames:
        return {}, ()
    folder = options.fixtures or default_fixtures_dir()
    if not folder.is_dir():
        if options.fixtures is not None:
            raise PoseInputError(f"--fixtures {folder} is not a folder.")
        return {}, (f"Real lab frames skipped: no fixtures folder at {folder} (--fixtures).",)
    scores = score_fixture_frames(model, folder, options.device, options.flip_test)
    rows = {label: (score.values, score.frames, {"mpjpe_mm_per_frame": score.per_frame_mpjpe})
            for label, score in scores.items()}
    return rows, (f"Real lab frames ({folder}): each lifted alone (T=1) from its annotated 2D, "
                  "intrinsics fitted to its 2D/3D pairs; per-frame MPJPE in the JSON.",)


def _evaluate_take(
    model: PoseMachine, take: MocapClip, number: int, config: VirtualCameraConfig,
    options: EvaluationOptions, totals: _Totals,
) -> None:
    views, chosen, inputs = take_inputs(take, number, config, options)
    gt = views.pose3d_mm[:, chosen]
    for input_label, (xy, confidence) in inputs.items():
        for mode_label, window in MODES.items():
            pred = lift_detections(model, xy, confidence, views.f_px, views.c_px, window,
                                   options.device, options.flip_test, options.time_reversal)
            totals.add(f"{input_label}, {mode_label}", pred[:, chosen].astype(np.float64), gt)
            if window is None:
                totals.add(f"{input_label}, {HEIGHT_SCALED}",
                           scale_to_height(pred, views.pose3d_mm)[:, chosen], gt)
            if window is None and options.correction != "none":
                corrected = correct_views(model, pred, xy, confidence, views, take.fps,
                                          options.correction)
                totals.add(f"{input_label}, whole take + {options.correction} correction",
                           corrected[:, chosen], gt)


def scale_to_height(pred_mm: np.ndarray, gt_mm: np.ndarray) -> np.ndarray:
    """(n, T, 16, 3) predictions scaled per sequence so that the height of their median bone
    lengths equals the height of the true skeleton's (what `--height-cm` does); float64."""
    pred = np.asarray(pred_mm, dtype=np.float64)
    scales = [standing_height_mm(np.median(bone_lengths(truth), axis=0))
              / standing_height_mm(np.median(bone_lengths(guess), axis=0))
              for guess, truth in zip(pred, gt_mm, strict=True)]
    return pred * np.asarray(scales)[:, None, None, None]


def _describe(
    protocol: MocapProtocol, options: EvaluationOptions, takes: list[MocapClip],
    table: MetricTable,
) -> tuple[str, ...]:
    rules = dict.fromkeys(HELD_OUT_RULES.get(source, source) for source in protocol.test_sources)
    which = (f"held-out takes ({'; '.join(rules)})" if protocol.held_out
             else f"all {', '.join(protocol.test_sources)} takes")
    if protocol.test_contents:
        which += f" of {', '.join(protocol.test_contents)}"
    cameras = ("shifted cameras (2.2-3.5 m high, focal 2.0-3.0x width)" if options.camera_shift
               else "cameras drawn as in training")
    frames = sum(take.num_frames for take in takes)
    return (
        f"Protocol {protocol.name}: trained on {', '.join(protocol.train_sources)}; tested on "
        f"{which}: {len(takes)} takes, {frames} frames.",
        f"Each take seen by {options.cameras_per_take} fixed {cameras}, seed {options.seed}; "
        f"scored frames per row: {next(iter(table.frame_counts.values()))}.",
        "Noisy 2D: detector-like noise as in training (jitter, outliers, dropped joints, "
        "occlusions, left/right swaps); T=1 resets the LSTM every frame, clips of 5 start "
        "from a zero state, whole takes stream.",
        f"Weights: {options.weights_label or 'given model'}. Errors in mm, root-aligned (MPJPE), "
        "after Procrustes with scale (PA-MPJPE), mean |bone length error| over 15 bones."
        + (" Flip test: every lift averaged with that of the mirrored 2D." if options.flip_test
           else "")
        + (" Time reversal: every lift averaged with that of the take played backwards."
           if options.time_reversal else "")
        + (f" The {options.correction} correction runs over each streamed take, per camera, "
           "with the camera's true focal length." if options.correction != "none" else ""),
        f"Takes scored: {', '.join(take.name for take in takes)}.",
    )
