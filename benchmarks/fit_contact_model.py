"""Fit `posemachines.world.contact_model` on the training takes of bench_world.py.

Each training take (`bench_world.TRAINING_CLIPS`, never the held-out ones) is filmed by the
benchmark's two cameras with its 2D noise, lifted and corrected by the shipped models and put
in the world by `to_world` (feet not locked); the features of `contact_model.contact_features`
are fitted to `contact_truth.mocap_contacts` of the mocap by a logistic regression (L2 `--l2`
on standardised features, L-BFGS). Prints the leave-one-take-out F1 per take (the flags
decoded by `detect_contacts`, as `to_world` does) next to the hand-set model's, then the
constants to paste into contact_model.py.

    python benchmarks/fit_contact_model.py [--data ../shared/data] [--l2 0.01]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from bench_world import (
    CAMERAS,
    FOCAL,
    FPS,
    HEIGHT,
    TRAINING_CLIPS,
    WIDTH,
    detections,
    f1,
    film,
)
from scipy.optimize import minimize
from scipy.special import expit

from posemachines.data.mocap import load_mocap_clip
from posemachines.inference.estimator import Estimator
from posemachines.world import WorldConfig, to_world
from posemachines.world.body import FOOT_JOINTS
from posemachines.world.contact_model import FEATURES, contact_features
from posemachines.world.contact_truth import mocap_contacts
from posemachines.world.contacts import detect_contacts


def training_shots(data: Path, frames: int) -> list[dict]:
    """Per take and camera: name, features (T, 2, K), truth (T, 2), the hand-set flags and
    what `detect_contacts` needs to decode a probability."""
    estimator, shots = Estimator(world=False), []
    for seed, (name, relative) in enumerate(TRAINING_CLIPS.items()):
        world = load_mocap_clip(data / relative).joints_mm.astype(np.float64)[:frames]
        for height, pitch in CAMERAS:
            xy, confidence = detections(film(world, height, pitch), seed)
            corrected = estimator.corrector(estimator.lift(xy, confidence, (WIDTH, HEIGHT),
                                                           FOCAL, FPS))
            pose = corrected.pose3d_mm - corrected.pose3d_mm[:, :1]
            motion = to_world(pose, corrected.root_translation_mm, None, FPS,
                              config=WorldConfig(lock_feet=False, learned_contacts=False))
            if motion.contacts is None:  # taken for a moving camera: no world to learn from
                print(f"  {name}, camera {height / 1000:.1f} m: skipped ({motion.warnings[-1]})")
                continue
            feet_cam = (pose + motion.trajectory.translation_mm[:, None])[:, list(FOOT_JOINTS)]
            ground = motion.ground
            shots.append(dict(
                name=name, truth=mocap_contacts(world, FPS), handset=motion.contacts.in_contact,
                world=motion.joints_unlocked_mm, rest=ground.ankle_rest_heights_mm,
                leg=ground.leg_length_mm,
                features=contact_features(motion.joints_unlocked_mm[:, list(FOOT_JOINTS)],
                                          feet_cam, ground.ankle_rest_heights_mm,
                                          ground.leg_length_mm, FPS)))
    return shots


def fit(features: np.ndarray, truth: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Raw-feature weights (K,) and bias of the L2-regularised logistic regression."""
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-9
    z = np.column_stack([(features - mean) / scale, np.ones(len(features))])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        logit = z @ w
        value = np.mean(np.logaddexp(0.0, logit) - truth * logit) + l2 * np.sum(w[:-1] ** 2)
        grad = z.T @ (expit(logit) - truth) / len(truth)
        grad[:-1] += 2 * l2 * w[:-1]
        return float(value), grad

    w = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x
    weights = w[:-1] / scale
    return weights, float(w[-1] - weights @ mean)


def decoded(shot: dict, weights: np.ndarray, bias: float) -> np.ndarray:
    probability = expit(bias + shot["features"] @ weights)
    return detect_contacts(shot["world"], FPS, shot["rest"], shot["leg"],
                           probability=probability).in_contact


def stacked(shots: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    return (np.concatenate([s["features"].reshape(-1, len(FEATURES)) for s in shots]),
            np.concatenate([s["truth"].reshape(-1) for s in shots]).astype(np.float64))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("POSEMACHINES_SHARED_DATA",
                             str(Path(__file__).resolve().parents[1].parent / "shared/data"))
    parser.add_argument("--data", type=Path, default=Path(default))
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--l2", type=float, default=0.01)
    args = parser.parse_args()
    shots = training_shots(args.data, args.frames)
    print("\n| training take (left out of the fit) | hand-set F1 | learned F1 |\n|---|---|---|")
    handset, learned = [], []
    for name in TRAINING_CLIPS:
        weights, bias = fit(*stacked([s for s in shots if s["name"] != name]), args.l2)
        mine = [s for s in shots if s["name"] == name]
        handset.append(np.mean([f1(s["handset"], s["truth"]) for s in mine]))
        learned.append(np.mean([f1(decoded(s, weights, bias), s["truth"]) for s in mine]))
        print(f"| {name} | {handset[-1]:.3f} | {learned[-1]:.3f} |")
    print(f"| mean | {np.mean(handset):.3f} | {np.mean(learned):.3f} |")
    weights, bias = fit(*stacked(shots), args.l2)
    print("\nWEIGHTS = np.array([  # " + ", ".join(FEATURES))
    print("    " + ", ".join(f"{w:.4f}" for w in weights) + "])")
    print(f"BIAS = {bias:.4f}")


if __name__ == "__main__":
    main()
