"""`PeopleResult`: several people's 3D poses over one video, each under a stable id."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from posemachines.errors import PoseDataError
from posemachines.structures.pose_result import PoseResult


@dataclass(frozen=True)
class PeopleResult:
    """The people of one video: id -> that person's `PoseResult` (ids positive, ascending).

    Each person's result holds the frames where that person was found (`frame_indices`, source
    frame numbers) and lists as `missing_frames` the frames between its first and last where
    the person was not seen (an occlusion, a miss). num_frames: frames read from the source;
    fps, image_size (width, height) px and source as in `PoseResult`.
    Raises PoseDataError when a person's fps or image size differs from the video's or a
    frame index is outside the video.
    """

    people: Mapping[int, PoseResult]
    num_frames: int
    fps: float
    image_size: tuple[int, int]
    source: str = ""
    ids: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        ids = tuple(sorted(int(i) for i in self.people))
        if any(i <= 0 for i in ids):
            raise PoseDataError(f"Person ids must be positive, got {list(ids)}.")
        if self.num_frames < 0 or not self.fps > 0:
            raise PoseDataError("A PeopleResult needs num_frames >= 0 and a positive fps.")
        for person_id in ids:
            person = self.people[person_id]
            if person.image_size != tuple(self.image_size) or abs(person.fps - self.fps) > 1e-6:
                raise PoseDataError(f"Person {person_id}'s fps or image size differs from the "
                                    f"video's ({self.fps} fps, {self.image_size}).")
            indices = np.asarray(person.frame_indices)
            if len(indices) and (indices.min() < 0 or indices.max() >= self.num_frames):
                raise PoseDataError(f"Person {person_id} has frames outside the video's "
                                    f"{self.num_frames}.")
        object.__setattr__(self, "people", {i: self.people[i] for i in ids})
        object.__setattr__(self, "ids", ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[tuple[int, PoseResult]]:
        """(id, PoseResult) pairs, ids ascending."""
        return iter(self.people.items())

    def __getitem__(self, person_id: int) -> PoseResult:
        try:
            return self.people[person_id]
        except KeyError:
            raise PoseDataError(f"No person {person_id}; ids: {list(self.ids)}.") from None

    @property
    def single(self) -> PoseResult:
        """The one person's PoseResult; PoseDataError unless there is exactly one person."""
        if len(self.ids) != 1:
            raise PoseDataError(f"The video holds {len(self.ids)} people, not one: pick one by "
                                f"id ({list(self.ids)}).")
        return self.people[self.ids[0]]

    def rows_in_frame(self, frame_index: int) -> dict[int, int]:
        """{id: row of that person's arrays} for the people found in source frame
        `frame_index`."""
        rows = {}
        for person_id, person in self.people.items():
            hit = np.flatnonzero(np.asarray(person.frame_indices) == frame_index)
            if len(hit):
                rows[person_id] = int(hit[0])
        return rows

    def presence(self) -> np.ndarray:
        """(P, num_frames) bool: person (in `ids` order) found in each source frame."""
        present = np.zeros((len(self.ids), self.num_frames), dtype=bool)
        for row, person in enumerate(self.people.values()):
            present[row, np.asarray(person.frame_indices, dtype=np.int64)] = True
        return present
