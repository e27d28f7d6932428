"""The evaluation loop behind `posemachines evaluate`: protocol -> sequences -> lifter -> table.

Each scored (take, camera) is lifted as inference lifts a video (`Estimator.lift`): its 2D
keypoints are encoded with that camera's intrinsics and run through the model as one clip, the
LSTM state carried over every frame; the optional test-time correction then runs on the whole
clip. The ground truth is the take's 3D moved into the camera's frame, root-relative, in mm.
Every frame goes through the model; `stride` only picks the frames that are scored.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from posemachines.camera import H36M_CAMERA_IDS, Camera, h36m_camera
from posemachines.correction.correctors import create_corrector
from posemachines.correction.focal import estimate_focal_px
from posemachines.data.h36m_baseline import POSES_SUBDIR, convert_to_videopose3d
from posemachines.data.videopose3d import (
    load_videopose3d_3d,
    map_to_joints16,
    read_videopose3d_2d_raw,
)
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.evaluation.causal import evaluate_causal
from posemachines.evaluation.lifting import check_pose_lifter, correct_lift, lift_detections
from posemachines.evaluation.metrics import mpjpe, pa_mpjpe
from posemachines.evaluation.mocap_protocols import evaluate_mocap
from posemachines.evaluation.options import EvaluationOptions
from posemachines.evaluation.protocols import (
    DatasetProtocol,
    MocapProtocol,
    SequenceKey,
    get_protocol,
    row_order,
    scored_frames,
    select_sequences,
)
from posemachines.evaluation.report import REFERENCE_ROWS, ActionTable, TableMetadata
from posemachines.evaluation.summary import EvaluationReport
from posemachines.models.checkpoint import load_checkpoint
from posemachines.models.pose_machine import PoseMachine

#: HumanEva-I's cameras: VideoPose3D ships no intrinsics, so the principal point is taken at
#: the centre of the 640 x 480 image and the focal length guessed as inference guesses it.
HUMANEVA_IMAGE_SIZE = (640, 480)


def load_lifter(weights: Path, device: str = "cpu") -> PoseMachine:
    """A pose-only lifter checkpoint, in eval mode on `device`."""
    model, _ = load_checkpoint(weights, map_location=device)
    return check_pose_lifter(model, str(weights))


def evaluate(
    model: PoseMachine, protocol_name: str, data: Path, options: EvaluationOptions | None = None
) -> EvaluationReport:
    """Run protocol `protocol_name` on `data` (a VideoPose3D folder, or a mocap npz)."""
    options = options or EvaluationOptions()
    create_corrector(options.correction, model)  # an unknown method fails before any work
    check_pose_lifter(model, "The model")
    protocol = get_protocol(protocol_name)
    if options.causal:
        if not isinstance(protocol, MocapProtocol):
            raise PoseInputError(f"--causal runs on the mocap protocols, not {protocol.name}.")
        return evaluate_causal(model, protocol, Path(data), options)
    if isinstance(protocol, MocapProtocol):
        return evaluate_mocap(model, protocol, Path(data), options)
    return evaluate_dataset(model, protocol, Path(data), options)


@dataclass(frozen=True)
class _Dataset:
    """world: {subject: {action: (N, 16, 3) mm world}}; raw_2d: {subject: {action: [per
    camera (N, J, 2|3) px (+ confidence) or None]}}; layout: the 2D joint layout."""

    world: dict[str, dict[str, np.ndarray]]
    raw_2d: dict[str, dict[str, list[np.ndarray | None]]]
    layout: str


def load_dataset(protocol: DatasetProtocol, data: Path, input_source: str) -> _Dataset:
    """The 3D and 2D npz files of `protocol.dataset` in `data` (a VideoPose3D-layout folder;
    for Human3.6M also a 3d-pose-baseline tree, converted on the fly with ground-truth 2D)."""
    name_3d = f"data_3d_{protocol.dataset}.npz"
    name_2d = f"data_2d_{protocol.dataset}_{input_source}.npz"
    if not data.is_dir():
        raise PoseInputError(f"--data for protocol {protocol.name} must be a folder holding "
                             f"{name_3d} and {name_2d}, but {data} is not a folder.")
    if not (data / name_3d).is_file():
        if protocol.dataset == "h36m" and any(data.glob(f"S*/{POSES_SUBDIR.as_posix()}/*.h5")):
            return _load_baseline_tree(data, input_source)
        other = (f" or S*/{POSES_SUBDIR.as_posix()}/*.h5 (3d-pose-baseline layout)"
                 if protocol.dataset == "h36m" else "")
        raise PoseDataError(f"{data} holds no {name_3d} (VideoPose3D layout){other} for "
                            f"protocol {protocol.name}.")
    if not (data / name_2d).is_file():
        raise PoseDataError(f"{data} holds no {name_2d} for --input {input_source}.")
    raw_2d, metadata = read_videopose3d_2d_raw(data / name_2d)
    return _Dataset(load_videopose3d_3d(data / name_3d), raw_2d, metadata["layout_name"])


def _load_baseline_tree(root: Path, input_source: str) -> _Dataset:
    if input_source != "gt":
        raise PoseInputError("A 3d-pose-baseline tree holds no 2D detections; use --input gt "
                             "or convert it with `posemachines data` and add the 2D npz.")
    with tempfile.TemporaryDirectory() as folder:
        path_3d, path_2d = convert_to_videopose3d(root, folder)
        raw_2d, metadata = read_videopose3d_2d_raw(path_2d)
        return _Dataset(load_videopose3d_3d(path_3d), raw_2d, metadata["layout_name"])


@dataclass(frozen=True)
class _View:
    """One camera's intrinsics (px) and world->camera transform (None: unknown)."""

    f_px: np.ndarray
    c_px: np.ndarray
    image_size: tuple[int, int]
    camera: Camera | None


def _view(protocol: DatasetProtocol, subject: str, index: int) -> _View:
    if protocol.dataset == "h36m":
        camera = h36m_camera(subject, index)
        return _View(camera.f_px, camera.c_px, (camera.width, camera.height), camera)
    focal = estimate_focal_px(HUMANEVA_IMAGE_SIZE)
    centre = np.array(HUMANEVA_IMAGE_SIZE, dtype=np.float64) / 2.0
    return _View(np.array([focal, focal]), centre, HUMANEVA_IMAGE_SIZE, None)


def _ground_truth(world_mm: np.ndarray, view: _View) -> np.ndarray:
    """(N, 16, 3) mm root-relative, camera frame; world frame when the camera is unknown
    (only with PA-MPJPE, which a rigid motion of the ground truth does not change)."""
    joints = world_mm if view.camera is None else np.asarray(view.camera.world_to_camera(world_mm))
    return joints - joints[:, :1]


def _keypoints16(raw: np.ndarray, layout: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, J, 2|3) stored 2D -> (N, 16, 2) px and (N, 16) confidence (1 without a channel)."""
    confidence = raw[..., 2] if raw.shape[-1] == 3 else np.ones(raw.shape[:2])
    xy, conf = map_to_joints16(raw[..., :2], layout, confidence)
    return xy.astype(np.float64), conf.astype(np.float32)


def _lift_and_correct(
    model: PoseMachine, xy: np.ndarray, conf: np.ndarray, view: _View, options: EvaluationOptions,
    fps: float,
) -> np.ndarray:
    """(N, 16, 3) mm: the whole sequence (at `fps`) as one clip, then the chosen correction."""
    pose = lift_detections(model, xy[None], conf[None], view.f_px[None], view.c_px[None],
                           device=options.device, flip_test=options.flip_test,
                           time_reversal=options.time_reversal)[0]
    return correct_lift(model, pose, xy, conf, view.f_px, view.c_px, view.image_size, fps,
                        options.correction)


def _frame_errors(metric: str, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    if metric == "mpjpe":
        return np.asarray(mpjpe(pred, gt, root_align=True, reduction="none"))
    return np.asarray(pa_mpjpe(pred, gt, reduction="none"))


def evaluate_dataset(
    model: PoseMachine, protocol: DatasetProtocol, data: Path, options: EvaluationOptions
) -> EvaluationReport:
    """A Human3.6M / HumanEva-I protocol on a VideoPose3D-layout folder (see module doc)."""
    dataset = load_dataset(protocol, data, options.input_source)
    available = {
        subject: {action: len(cameras) for action, cameras in actions.items()
                  if action in dataset.world.get(subject, {})}
        for subject, actions in dataset.raw_2d.items()
    }
    keys = select_sequences(protocol, available)
    if not keys:
        raise PoseDataError(f"{data} holds no test sequences of protocol {protocol.name} "
                            f"(subjects {', '.join(protocol.test_subjects)}).")
    stride = options.stride or protocol.stride
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for key in tqdm(keys, desc=protocol.name, unit="seq", disable=not options.progress):
        for errors in _sequence_errors(model, protocol, dataset, key, stride, options):
            sums[key.row] = sums.get(key.row, 0.0) + float(errors.sum())
            counts[key.row] = counts.get(key.row, 0) + int(errors.size)
    rows = [row for row in row_order(protocol, [k.row for k in keys]) if counts.get(row)]
    if not rows:
        raise PoseDataError(f"{data}: every test sequence of protocol {protocol.name} lacks "
                            f"2D keypoints for the protocol's cameras.")
    values = {row: {protocol.metric_label: sums[row] / counts[row]} for row in rows}
    metadata = TableMetadata(protocol=protocol.title, weights=options.weights_label,
                             input_source=options.input_source,
                             correction=options.correction != "none")
    table = ActionTable.build(values, {row: counts[row] for row in rows}, metadata)
    reference = ({name: values for name, values in REFERENCE_ROWS.items()}
                 if protocol.name == "h36m-1" else {})
    return EvaluationReport(protocol.name, f"{protocol.title}: {protocol.metric_label}",
                            _describe(protocol, options, stride, keys, table), table,
                            reference)


def _sequence_errors(
    model: PoseMachine, protocol: DatasetProtocol, dataset: _Dataset, key: SequenceKey,
    stride: int, options: EvaluationOptions,
) -> list[np.ndarray]:
    """Per scored frame errors (mm) of each camera of one take."""
    world = dataset.world[key.subject][key.action]
    out = []
    for index in key.cameras:
        raw = dataset.raw_2d[key.subject][key.action][index]
        if raw is None:
            continue
        frames = min(len(world), len(raw))
        xy, conf = _keypoints16(raw[:frames], dataset.layout)
        view = _view(protocol, key.subject, index)
        pred = _lift_and_correct(model, xy, conf, view, options, protocol.fps)
        gt = _ground_truth(world[:frames].astype(np.float64), view)
        chosen = scored_frames(frames, stride)
        out.append(_frame_errors(protocol.metric, pred[chosen], gt[chosen]))
    return out


def _describe(
    protocol: DatasetProtocol, options: EvaluationOptions, stride: int,
    keys: list[SequenceKey], table: ActionTable,
) -> tuple[str, ...]:
    cameras = "all" if protocol.cameras is None else ", ".join(
        H36M_CAMERA_IDS[i] if protocol.dataset == "h36m" else str(i) for i in protocol.cameras)
    frames = sum((table.frame_counts or {}).values())
    scored = "every frame" if stride == 1 else f"1 frame in {stride}"
    return (
        f"Protocol {protocol.name}: {protocol.metric_label}; train subjects "
        f"{', '.join(protocol.train_subjects)}; test subjects "
        f"{', '.join(protocol.test_subjects)}; cameras: {cameras}; takes: "
        f"{'first of each action' if protocol.first_take_only else 'all'}.",
        f"Scored {scored}: {frames} frames from {len(keys)} takes; each (take, camera) is "
        "lifted as one clip with the LSTM state carried over every frame.",
        "Takes scored: " + "; ".join(
            f"{subject}: {', '.join(k.action for k in keys if k.subject == subject)}"
            for subject in dict.fromkeys(k.subject for k in keys)) + ".",
        f"Weights: {options.weights_label or 'given model'}; 2D input: "
        f"{options.input_source}; correction: {options.correction}.",
        "Average = mean over the rows (the literature's convention).",
    )
