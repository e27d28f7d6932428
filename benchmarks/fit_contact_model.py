"""Fit `posemachines.world.contact_model` on the training takes of bench_world.py.

Each training take (`bench_world.TRAINING_CLIPS`, never the held-out ones) is filmed by the
benchmark's two cameras with its 2D noise, lifted and corrected by the shipped models and put
in the world by `to_world` (feet not locked); the features of `contact_model.contact_features`
(with the image speed of those same noisy 2D detections, as `to_world` reads it) are fitted to
`contact_truth.mocap_contacts` of the mocap by logistic regressions (L2 `--l2` on standardised
features, L-BFGS): `LIFTED_MODEL` on the lifted features of every frame, `IMAGE_MODEL` on all of
them where the ankles' 2D is trusted. Prints the leave-one-take-out F1 per take (the flags
decoded by `detect_contacts`, as `to_world` does) of the hand-set model, the lifted model alone
and both models (what `to_world` does with keypoints), then the constants to paste into
contact_model.py.

    python benchmarks/fit_contact_model.py [--data ../shared/data] [--l2 0.01]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bench_world import (
    CAMERAS,
    FPS,
    TRAINING_CLIPS,
    detections,
    f1,
    film,
    lift_shot,
    shot_parser,
)
from scipy.optimize import minimize
from scipy.special import expit

from posemachines.data.mocap import load_mocap_clip
from posemachines.inference.estimator import Estimator
from posemachines.world import WorldConfig, to_world
from posemachines.world.body import FOOT_JOINTS
from posemachines.world.contact_model import (
    FEATURES,
    IMAGE_FEATURES,
    LogisticModel,
    ankle_image_speed_mm_s,
    contact_features,
    probability_from_features,
)
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
            pose, root = lift_shot(estimator, xy, confidence)
            motion = to_world(pose, root, None, FPS,
                              config=WorldConfig(lock_feet=False, learned_contacts=False))
            if motion.contacts is None:  # taken for a moving camera: no world to learn from
                print(f"  {name}, camera {height / 1000:.1f} m: skipped ({motion.warnings[-1]})")
                continue
            joints_cam = pose + motion.trajectory.translation_mm[:, None]
            ground = motion.ground
            shots.append(dict(
                name=name, truth=mocap_contacts(world, FPS), handset=motion.contacts.in_contact,
                world=motion.joints_unlocked_mm, rest=ground.ankle_rest_heights_mm,
                leg=ground.leg_length_mm,
                features=contact_features(
                    motion.joints_unlocked_mm[:, list(FOOT_JOINTS)],
                    joints_cam[:, list(FOOT_JOINTS)], ground.ankle_rest_heights_mm,
                    ground.leg_length_mm, FPS,
                    ankle_image_speed_mm_s(xy, confidence, joints_cam, FPS))))
    return shots


def fit(features: np.ndarray, truth: np.ndarray, l2: float) -> LogisticModel:
    """The L2-regularised logistic regression of features (N, K) (raw-feature weights)."""
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
    return LogisticModel(weights, float(w[-1] - weights @ mean))


def fit_both(shots: list[dict], l2: float) -> tuple[LogisticModel, LogisticModel]:
    """The lifted model (every frame) and the image model (frames with the image features)."""
    features = np.concatenate([s["features"].reshape(-1, s["features"].shape[-1])
                               for s in shots])
    truth = np.concatenate([s["truth"].reshape(-1) for s in shots]).astype(np.float64)
    seen = np.isfinite(features).all(axis=1)
    return (fit(features[:, :len(FEATURES)], truth, l2), fit(features[seen], truth[seen], l2))


def decoded(shot: dict, lifted: LogisticModel, image: LogisticModel | None) -> np.ndarray:
    features = shot["features"] if image is not None else shot["features"][..., :len(FEATURES)]
    probability = probability_from_features(features, lifted, image or lifted)
    return detect_contacts(shot["world"], FPS, shot["rest"], shot["leg"],
                           probability=probability).in_contact


def printed(name: str, model: LogisticModel, features: tuple[str, ...]) -> str:
    weights = ", ".join(f"{w:.4f}" for w in model.weights)
    return f"{name} = LogisticModel(np.array([{weights}]), {model.bias:.4f})  # " + \
        ", ".join(features)


def main() -> None:
    parser = shot_parser(__doc__.splitlines()[0], 240)
    parser.add_argument("--l2", type=float, default=0.01)
    args = parser.parse_args()
    shots = training_shots(args.data, args.frames)
    print("\n| training take (left out of the fit) | hand-set F1 | lifted model F1 | "
          "+ image speed F1 |\n|---|---|---|---|")
    scores = []
    for name in TRAINING_CLIPS:
        lifted, image = fit_both([s for s in shots if s["name"] != name], args.l2)
        mine = [s for s in shots if s["name"] == name]
        scores.append([np.mean([f1(flags(s), s["truth"]) for s in mine]) for flags in (
            lambda s: s["handset"], lambda s, m=lifted: decoded(s, m, None),
            lambda s, m=lifted, i=image: decoded(s, m, i))])
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in scores[-1]) + " |")
    print("| mean | " + " | ".join(f"{v:.3f}" for v in np.mean(scores, axis=0)) + " |")
    lifted, image = fit_both(shots, args.l2)
    print("\n" + printed("LIFTED_MODEL", lifted, FEATURES))
    print(printed("IMAGE_MODEL", image, FEATURES + IMAGE_FEATURES))


if __name__ == "__main__":
    main()
