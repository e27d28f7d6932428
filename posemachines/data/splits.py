"""Which mocap takes are held out (validation / test) and which train: one fixed rule per source.

Takes are split whole, by name (`MocapClip` source, style and take), never by frames, so a
held-out take is unseen in every frame. The lifter (`training.lifter_task`), the mocap
evaluation protocols and the action taxonomy all use `is_validation_take`.

- Bandai Namco (`VALIDATION_RULE`): bandai-namco-2 takes 006, bandai-namco-1 style 'active'.
- LAFAN1 (`LAFAN1_VALIDATION_RULE`): subject 2's takes (a whole other actor).
- CMU (`CMU_VALIDATION_RULE`): whole subjects 08 (walks) and 14 (everyday actions: drinking,
  climbing, sitting, laughing, washing windows) in every rig, and one take per acRNN dance
  style: salsa 15 with 30 (partners of one recording: the salsa folder holds 15 couples,
  NN and NN + 15, equal in length), indian 15, martial 10: 36 of the 174 takes that
  `data mocap` keeps, 13,191 of 54,907 frames (24%).
  Subject 13 performs the same everyday actions as 14 and trains, so the held-out set asks for
  the same actions by a new person.
"""

from __future__ import annotations

import re

#: Bandai Namco 2 takes numbered 006 and Bandai Namco 1 takes in the 'active' style validate.
VALIDATION_RULE = "bandai-namco-2 take 006; bandai-namco-1 style 'active'"
#: LAFAN1 takes of subject 2 validate (fallAndGetUp2, ground2, push1: a fall, floor work and
#: pushes, ~13.5k of 55k frames); subjects 1 and 4 train (falls, floor work, dance, obstacles,
#: walks, pushes).
LAFAN1_VALIDATION_RULE = "lafan1 subject 2"
#: CMU subjects held out whole (every trial NN_MM of subject NN, in any rig folder).
CMU_HELD_OUT_SUBJECTS: frozenset[int] = frozenset({8, 14})
#: acRNN dance style folder -> held-out file numbers (salsa 15 and its partner 30).
CMU_HELD_OUT_DANCES: dict[str, frozenset[int]] = {
    "salsa": frozenset({15, 30}), "indian": frozenset({15}), "martial": frozenset({10}),
}
CMU_VALIDATION_RULE = "cmu subjects 08 and 14; dance takes salsa 15 and 30, indian 15, martial 10"

#: CMU take names end in a subject_trial stem ('01/01_01', '_mb_skeleton/02_01') or in a
#: dance style folder and a number ('acrnn_dance/salsa/01').
_CMU_TRIAL = re.compile(r"(?:^|/)(\d+)_\d+$")
_CMU_DANCE = re.compile(r"(?:^|/)([a-z]+)/(\d+)$")


def is_cmu_validation_take(take: str) -> bool:
    """True for the CMU takes named by `CMU_VALIDATION_RULE` (take: the CMU take name)."""
    trial = _CMU_TRIAL.search(take)
    if trial is not None:
        return int(trial.group(1)) in CMU_HELD_OUT_SUBJECTS
    dance = _CMU_DANCE.search(take)
    if dance is not None:
        return int(dance.group(2)) in CMU_HELD_OUT_DANCES.get(dance.group(1), frozenset())
    return False


def is_validation_take(source: str, style: str, take: str) -> bool:
    """True for the held-out takes of every source (see the module docstring)."""
    if source == "bandai-namco-2":
        return take.endswith("006")
    if source == "bandai-namco-1":
        return style == "active"
    if source == "lafan1":
        return take.endswith("_subject2")
    if source == "cmu":
        return is_cmu_validation_take(take)
    return False
