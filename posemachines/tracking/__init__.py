"""Several people: who is who from frame to frame (pure numpy and scipy).

`PersonTracker` associates each frame's 2D people (`FramePeople`) with tracks by region
overlap, keypoint similarity (OKS) and a constant-velocity Kalman filter on the person's box,
with optimal assignment (scipy's `linear_sum_assignment`); it gives each confirmed person a
stable id and keeps it through short occlusions. `metrics` scores a tracking against ground
truth (IDF1, ID switches, misses, false tracks).
"""

from posemachines.tracking.kalman import BoxKalmanFilter
from posemachines.tracking.similarity import FramePeople, boxes_from_keypoints
from posemachines.tracking.tracker import PersonTracker, TrackerConfig

__all__ = ["BoxKalmanFilter", "FramePeople", "PersonTracker", "TrackerConfig",
           "boxes_from_keypoints"]
