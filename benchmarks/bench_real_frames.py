"""The real lab frames through the whole pipeline: our detector, a lifter, the correction.

The shared fixtures hold four real Human3.6M frames and four real MPI-INF-3DHP frames with their
3D ground truth (camera frame). Each image goes through `Estimator` exactly as `infer` runs it
(the default detector, flip test), once per `label=weights` given and per correction, and its
16 joints are scored against the truth, both root-aligned: MPJPE and PA-MPJPE (mm). This is
the "through our own detector" row of issue 18 (aims: Human3.6M mean PA-MPJPE <= 60 mm,
MPI-INF-3DHP <= 90 mm).

    python benchmarks/bench_real_frames.py mocap cmu "new=runs/lifter_default_cmu/best.pt" \\
        [--correction none geometric] [--fixtures ../shared/data/fixtures]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from posemachines import Estimator
from posemachines.data.mmpose_fixture import (
    MmposeSamples,
    load_mmpose_3dhp_fixture,
    load_mmpose_h36m_fixture,
)
from posemachines.evaluation.fixture_frames import default_fixtures_dir
from posemachines.evaluation.metrics import mpjpe, pa_mpjpe

#: Dataset -> (loader, npz files) under the fixtures folder; images are found by file name.
LAB_SETS = {
    "Human3.6M": (load_mmpose_h36m_fixture, ("h36m/test_h36m_body3d.npz",)),
    "MPI-INF-3DHP": (load_mmpose_3dhp_fixture, ("mpi_inf_3dhp/test_3dhp_train.npz",
                                                "mpi_inf_3dhp/test_3dhp_test.npz")),
}


def lab_frames(fixtures: Path) -> list[tuple[str, Path, np.ndarray]]:
    """(dataset, image path, root-relative truth (16, 3) mm) of every fixture frame on disk."""
    frames = []
    for dataset, (loader, files) in LAB_SETS.items():
        for file in files:
            samples: MmposeSamples = loader(fixtures / file)
            for index, name in enumerate(samples.image_names):
                found = sorted(fixtures.glob(f"**/{Path(name).name}"))
                if found:
                    truth = samples.joints3d_mm[index] - samples.joints3d_mm[index, :1]
                    frames.append((dataset, found[0], truth))
    return frames


def score(estimator: Estimator, frames: list[tuple[str, Path, np.ndarray]]
          ) -> list[tuple[str, str, float, float]]:
    """(dataset, frame name, MPJPE, PA-MPJPE) per frame, mm."""
    rows = []
    for dataset, image, truth in frames:
        pose = estimator.predict_video(image).pose3d_mm[0]
        rows.append((dataset, image.stem, float(mpjpe(pose, truth)), float(pa_mpjpe(pose, truth))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="+", help="shipped name (mocap, cmu) or label=path")
    parser.add_argument("--correction", nargs="+", default=["none", "geometric"])
    parser.add_argument("--fixtures", type=Path, default=None)
    args = parser.parse_args()
    frames = lab_frames(args.fixtures or default_fixtures_dir())
    print("| lifter | correction | Human3.6M frames: MPJPE / PA (mean) | PA per frame "
          "| MPI-INF-3DHP frames: MPJPE / PA (mean) | PA per frame |")
    print("|---|---|---|---|---|---|")
    for item in args.weights:
        label, _, weights = item.partition("=")
        for correction in args.correction:
            estimator = Estimator(weights=weights or label, correction=correction, world=False)
            rows = score(estimator, frames)
            cells = []
            for dataset in LAB_SETS:
                mine = [row for row in rows if row[0] == dataset]
                mean = np.mean([row[2:] for row in mine], axis=0)
                cells += [f"{mean[0]:.1f} / {mean[1]:.1f}",
                          ", ".join(f"{row[3]:.0f}" for row in mine)]
            print(f"| {label} | {correction} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
