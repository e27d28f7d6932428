"""Evaluation protocols: which subjects, takes, cameras and frames are scored, with which metric.

Human3.6M (VideoPose3D npz layout, 16 joints, 50 fps):
- h36m-1: MPJPE after root alignment; train S1, S5, S6, S7, S8; test S9, S11; all 4 cameras;
  every frame (Martinez et al. 2017, Pavllo et al. 2019: "protocol #1").
- h36m-2: the same frames, PA-MPJPE (Procrustes with rotation, translation and scale).
- h36m-3: PA-MPJPE on S9 and S11, the frontal camera (60457274, as SMPLify / SPIN pick it),
  the first take ("trial 1") of every action, every 5th frame. Papers number this setting
  differently; see docs/evaluation.md for what is and is not known about the paper's #3.
HumanEva-I (VideoPose3D's humaneva15 npz, 60 fps): PA-MPJPE; train Train/S1-S3; test
Validate/S1-S3, actions Walk, Jog, Box, all 3 cameras, every frame; VideoPose3D's validation
chunks ('Walk 1 chunk0', ...) are scored as separate sequences, rows per action and subject.
Mocap (`posemachines.evaluation.mocap_protocols`): mocap-heldout, lafan1-heldout, cmu-heldout,
cross-mocap, cross-mocap-cmu and cross-cmu-dance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from posemachines.data.videopose3d import canonical_action
from posemachines.errors import PoseDataError, PoseInputError

H36M_TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
H36M_TEST_SUBJECTS = ("S9", "S11")
#: Index of camera 60457274 in `posemachines.camera.H36M_CAMERA_IDS`, the frontal view.
H36M_FRONTAL_CAMERA = 3
HUMANEVA_ACTIONS = ("Walk", "Jog", "Box")
METRIC_LABELS = {"mpjpe": "MPJPE (mm)", "pa_mpjpe": "PA-MPJPE (mm)"}


@dataclass(frozen=True)
class DatasetProtocol:
    """A protocol on a VideoPose3D-layout dataset (`dataset`: 'h36m' or 'humaneva15').

    cameras: camera indices scored (None = all); first_take_only: only the first take of
    each action (names sorted, so 'Directions' before 'Directions 1'); stride: score every
    stride-th frame (the model still sees every frame); rows_by_subject: one row per action
    and subject ('Walk S1'), as HumanEva-I tables print them; fps: the dataset's frame rate
    (the correction's temporal prior is per second); action_aliases: (stored canonical name,
    the protocol's name) pairs, e.g. VideoPose3D's HumanEva-I takes 'Walking 1 chunk0' are the
    literature's 'Walk'.
    """

    name: str
    title: str
    dataset: str
    metric: str
    train_subjects: tuple[str, ...]
    test_subjects: tuple[str, ...]
    actions: tuple[str, ...] | None = None
    cameras: tuple[int, ...] | None = None
    first_take_only: bool = False
    stride: int = 1
    rows_by_subject: bool = False
    fps: float = 50.0
    action_aliases: tuple[tuple[str, str], ...] = ()

    def action_name(self, stored: str) -> str:
        """The protocol's name of a stored take ('Walking 1 chunk0' -> 'Walk' in HumanEva-I)."""
        name = canonical_action(stored)
        return dict(self.action_aliases).get(name, name)

    @property
    def metric_label(self) -> str:
        return METRIC_LABELS[self.metric]


@dataclass(frozen=True)
class MocapProtocol:
    """A protocol on our mocap npz: the takes of `test_sources` (held out by
    `is_validation_take` when `held_out`; only those whose content is in `test_contents`
    when it names any) seen through seeded virtual cameras; with `fixture_frames`, also the
    real Human3.6M / MPI-INF-3DHP fixture frames."""

    name: str
    title: str
    train_sources: tuple[str, ...]
    test_sources: tuple[str, ...]
    held_out: bool
    fixture_frames: bool = False
    test_contents: tuple[str, ...] = ()


Protocol = DatasetProtocol | MocapProtocol

BANDAI_NAMCO = ("bandai-namco-1", "bandai-namco-2")
#: CMU's dance takes: ballet (subject 05) and the acRNN salsa, Indian and martial-arts dances.
CMU_DANCE = ("dance", "salsa-dance", "indian-dance", "martial-dance")

PROTOCOLS: dict[str, Protocol] = {
    "h36m-1": DatasetProtocol(
        "h36m-1", "Human3.6M protocol #1", "h36m", "mpjpe",
        H36M_TRAIN_SUBJECTS, H36M_TEST_SUBJECTS,
    ),
    "h36m-2": DatasetProtocol(
        "h36m-2", "Human3.6M protocol #2", "h36m", "pa_mpjpe",
        H36M_TRAIN_SUBJECTS, H36M_TEST_SUBJECTS,
    ),
    "h36m-3": DatasetProtocol(
        "h36m-3", "Human3.6M protocol #3", "h36m", "pa_mpjpe",
        H36M_TRAIN_SUBJECTS, H36M_TEST_SUBJECTS, cameras=(H36M_FRONTAL_CAMERA,),
        first_take_only=True, stride=5,
    ),
    "humaneva": DatasetProtocol(
        "humaneva", "HumanEva-I", "humaneva15", "pa_mpjpe",
        ("Train/S1", "Train/S2", "Train/S3"), ("Validate/S1", "Validate/S2", "Validate/S3"),
        actions=HUMANEVA_ACTIONS, rows_by_subject=True, fps=60.0,
        action_aliases=(("Walking", "Walk"), ("Jogging", "Jog"), ("Boxing", "Box")),
    ),
    "mocap-heldout": MocapProtocol(
        "mocap-heldout", "Held-out Bandai Namco takes", BANDAI_NAMCO, BANDAI_NAMCO,
        held_out=True,
    ),
    "cross-mocap": MocapProtocol(
        "cross-mocap", "Cross-dataset: Bandai Namco -> LAFAN1, Human3.6M, MPI-INF-3DHP",
        BANDAI_NAMCO, ("lafan1",), held_out=False, fixture_frames=True,
    ),
    # The held-out LAFAN1 actor (subject 2): a fair test also for models trained on LAFAN1's
    # other subjects (configs/lifter_default.yaml).
    "lafan1-heldout": MocapProtocol(
        "lafan1-heldout", "Held-out LAFAN1 actor (subject 2)", (*BANDAI_NAMCO, "lafan1"),
        ("lafan1",), held_out=True,
    ),
    # Held-out CMU subjects and dances (CMU_VALIDATION_RULE): for lifters trained on CMU's
    # other takes (configs/lifter_cmu.yaml) or on all mocap.
    "cmu-heldout": MocapProtocol(
        "cmu-heldout", "Held-out CMU takes (subjects 08 and 14, one take per dance style)",
        ("cmu",), ("cmu",), held_out=True,
    ),
    "cross-mocap-cmu": MocapProtocol(
        "cross-mocap-cmu",
        "Cross-dataset: Bandai Namco + CMU -> LAFAN1, Human3.6M, MPI-INF-3DHP",
        (*BANDAI_NAMCO, "cmu"), ("lafan1",), held_out=False, fixture_frames=True,
    ),
    "cross-cmu-dance": MocapProtocol(
        "cross-cmu-dance", "Cross-dataset: Bandai Namco + LAFAN1 -> CMU dance",
        (*BANDAI_NAMCO, "lafan1"), ("cmu",), held_out=False, test_contents=CMU_DANCE,
    ),
}
PROTOCOL_NAMES: tuple[str, ...] = tuple(PROTOCOLS)


def get_protocol(name: str) -> Protocol:
    """The protocol called `name` (one of `PROTOCOL_NAMES`)."""
    if name not in PROTOCOLS:
        raise PoseInputError(f"Unknown protocol '{name}'; choose from {', '.join(PROTOCOLS)}.")
    return PROTOCOLS[name]


@dataclass(frozen=True)
class SequenceKey:
    """One scored take: subject and action as stored, its row label and camera indices."""

    subject: str
    action: str
    row: str
    cameras: tuple[int, ...]


def subject_label(subject: str) -> str:
    """'Validate/S1' -> 'S1' (HumanEva-I's split prefixes dropped); 'S9' stays."""
    return subject.rsplit("/", 1)[-1]


def _first_takes(actions: Iterable[str]) -> set[str]:
    """The first take name of each canonical action, in natural (numeric-aware) order."""
    def natural(name: str) -> list[object]:
        return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]

    first: dict[str, str] = {}
    for name in sorted(actions, key=natural):
        first.setdefault(canonical_action(name), name)
    return set(first.values())


def select_sequences(
    protocol: DatasetProtocol, available: dict[str, dict[str, int]]
) -> list[SequenceKey]:
    """The test takes of `protocol` among `available` {subject: {action: camera count}}.

    Rows are the protocol's action names ('Walking 1' -> 'Walking'), or 'action subject' with
    `rows_by_subject`. Order: subjects as the protocol lists them, actions sorted.
    PoseDataError when an action the protocol names has no take in the test subjects.
    """
    keys = []
    for subject in protocol.test_subjects:
        actions = available.get(subject, {})
        allowed = _first_takes(actions) if protocol.first_take_only else set(actions)
        for action in sorted(actions):
            name = protocol.action_name(action)
            if action not in allowed or (protocol.actions and name not in protocol.actions):
                continue
            count = actions[action]
            cameras = tuple(i for i in (protocol.cameras or range(count)) if i < count)
            if not cameras:
                continue
            row = f"{name} {subject_label(subject)}" if protocol.rows_by_subject else name
            keys.append(SequenceKey(subject, action, row, cameras))
    missing = [a for a in protocol.actions or () if all(
        protocol.action_name(key.action) != a for key in keys)]
    if missing:
        stored = sorted({a for s in protocol.test_subjects for a in available.get(s, {})})
        raise PoseDataError(
            f"{protocol.title} scores {', '.join(protocol.actions or ())}, but no take of "
            f"{', '.join(missing)} was found in subjects {', '.join(protocol.test_subjects)} "
            f"(takes there: {', '.join(stored) or 'none'})."
        )
    return keys


def row_order(protocol: DatasetProtocol, rows: Iterable[str]) -> list[str]:
    """Rows in the literature's order: HumanEva-I as Walk S1-S3, Jog S1-S3, Box S1-S3;
    Human3.6M rows are ordered by `ActionTable` itself."""
    rows = list(dict.fromkeys(rows))
    actions = protocol.actions
    if not protocol.rows_by_subject or not actions:
        return rows
    subjects = [subject_label(s) for s in protocol.test_subjects]

    def rank(row: str) -> tuple[int, int]:
        action, _, subject = row.partition(" ")
        return (actions.index(action) if action in actions else 99,
                subjects.index(subject) if subject in subjects else 99)

    return sorted(rows, key=rank)


def scored_frames(num_frames: int, stride: int) -> np.ndarray:
    """Indices of the scored frames: 0, stride, 2 * stride, ... below `num_frames`."""
    if stride < 1:
        raise PoseInputError(f"The frame stride must be at least 1, got {stride}.")
    return np.arange(0, num_frames, stride)
