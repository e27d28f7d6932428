"""How far each action class travels in the mocap: the table behind `actions.ON_THE_SPOT`.

For every labelled frame of the shipped mocap (`action_data.label_frames`, the classifier's
own labels), the root's speed over the floor across 2 s (`world.gait.travel_speed_leg_per_s`,
leg lengths/s, as `recognize_actions` measures it on a result placed in the world); prints the
5th percentile, median and 95th percentile per class (docs/actions.md, "Travel").

    python benchmarks/action_travel.py [--mocap runs/mocap16.npz]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from posemachines.analysis.action_data import label_frames
from posemachines.analysis.action_taxonomy import ACTION_CLASSES
from posemachines.data.mocap import load_mocap_npz
from posemachines.world.gait import travel_speed_leg_per_s


def class_travel(mocap: Path) -> dict[str, np.ndarray]:
    """Class name -> travel (N,) leg lengths/s of its labelled frames."""
    travel: dict[str, list[np.ndarray]] = {name: [] for name in ACTION_CLASSES}
    for clip in load_mocap_npz(mocap).clips:
        labels = label_frames(clip)
        if (labels < 0).all():
            continue
        times = np.arange(clip.num_frames) / clip.fps
        speed = travel_speed_leg_per_s(clip.joints_mm.astype(np.float64), times, 2.0)
        for index, name in enumerate(ACTION_CLASSES):
            travel[name].append(speed[labels == index])
    return {name: np.concatenate(parts) for name, parts in travel.items() if parts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mocap", type=Path, default=Path("runs/mocap16.npz"))
    args = parser.parse_args()
    print("| class | frames | 5 % | median | 95 % |\n| --- | ---: | ---: | ---: | ---: |")
    for name, speed in class_travel(args.mocap).items():
        if len(speed):
            low, middle, high = np.percentile(speed, [5, 50, 95])
            print(f"| {name} | {len(speed):,} | {low:.2f} | {middle:.2f} | {high:.2f} |")


if __name__ == "__main__":
    main()
