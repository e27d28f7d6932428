"""AR on a `PoseResult`: effects attached to the body, drawn over the video's frames.

    from posemachines.ar import ArCompositor
    ar = ArCompositor(result, ["crown", "cape"], num_frames=len(frames))
    out = [ar.render(i, frame) for i, frame in enumerate(frames)]

The result needs `root_translation_mm` and `camera` (the Estimator fills both); masks, where
given, are the person's silhouette per source frame (`occlusion.mask_from_crop`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from posemachines.ar.effects import EFFECTS, effect_names
from posemachines.ar.floor import floor_of, foot_contacts
from posemachines.ar.meshes import Prop
from posemachines.ar.occlusion import occluder_at
from posemachines.ar.renderer import BodyMask, Renderer
from posemachines.ar.rig import eyes_px, track_body
from posemachines.ar.scene import Effect, Scene
from posemachines.camera import backproject
from posemachines.errors import PoseDataError
from posemachines.structures import PoseResult
from posemachines.viz.overlay import FrameItem, indexed_frames
from posemachines.viz.video import write_video

AR_NAME = "ar.mp4"


class ArCompositor:
    """Effects on one result, rendered frame by frame.

    effects: names from `EFFECTS` ('crown,cape' or a list); num_frames: source frames of the
    video (default: up to the result's last frame); face_px: (num_frames, 4, 3) face landmarks
    per source frame for the head's orientation (`rig.face_frames`; NaN where not seen; None:
    the head turns with the shoulders); pin: pull joints onto their 2D keypoints
    (`rig.pin_to_image`). Raises PoseDataError when the result has no camera or trajectory.
    """

    def __init__(self, result: PoseResult, effects: str | Sequence[str],
                 num_frames: int | None = None, *, face_px: np.ndarray | None = None,
                 pin: bool = True) -> None:
        if result.camera is None:
            raise PoseDataError("AR needs the camera the poses were solved with "
                                "(PoseResult.camera).")
        camera = result.camera
        self.names = effect_names(effects)
        self.size = result.image_size
        track = track_body(result, camera.f_px, camera.c_px, num_frames, pin=pin)
        floor = floor_of(result, track)
        if face_px is not None:
            face_px = np.asarray(face_px, np.float64)[:track.num_frames]
            if face_px.shape[1:] != (4, 3) or len(face_px) < track.num_frames:
                raise PoseDataError(f"face_px must be ({track.num_frames}, 4, 3), one row per "
                                    f"source frame, got {np.shape(face_px)}.")
        scene = Scene.build(track, floor, foot_contacts(result, track, floor), face_px)
        if face_px is not None:
            depth = np.array([scene.head_centre(i)[2] for i in range(track.num_frames)])
            eyes = backproject(eyes_px(face_px, track.fps), np.nan_to_num(depth, nan=1.0),
                               camera.f_px, camera.c_px)
            eyes[~np.isfinite(depth)] = np.nan
            scene = dataclasses.replace(scene, eyes_mm=eyes)
        self.scene = scene
        self.effects: list[Effect] = [EFFECTS[name](self.scene) for name in self.names]
        self._renderer: Renderer | None = None
        self.f_px, self.c_px = camera.f_px, camera.c_px

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            self._renderer = Renderer(self.size[0], self.size[1], self.f_px, self.c_px)
        return self._renderer

    def props(self, frame: int) -> list[Prop]:
        """Every effect's props at source frame `frame`, camera mm."""
        return [prop for effect in self.effects for prop in effect.props(frame)]

    def render(self, frame: int, image: np.ndarray, mask: BodyMask | None = None) -> np.ndarray:
        """`image` (H, W, 3) uint8 RGB of source frame `frame` with the effects drawn: a new
        array. mask: the person's silhouette in this frame (None: the body proxy's outline)."""
        if (image.shape[1], image.shape[0]) != tuple(self.size):
            raise PoseDataError(f"Frame {frame} is {image.shape[1]}x{image.shape[0]} px but the "
                                f"poses were found in {self.size[0]}x{self.size[1]} px frames.")
        props = self.props(frame)
        if not props:
            return np.array(image, dtype=np.uint8, copy=True)
        occluder = (occluder_at(self.scene, frame, mask)
                    if 0 <= frame < self.scene.track.num_frames else None)
        return self.renderer.render(image, props, occluder)

    def close(self) -> None:
        """Free the GL buffers (the compositor cannot render after this)."""
        if self._renderer is not None:
            self._renderer.release()
            self._renderer = None


#: The person's silhouettes: source frame index -> mask, or a function (index, frame) -> mask.
Masks = Mapping[int, BodyMask] | Callable[[int, np.ndarray], BodyMask | None]


def ar_frames(frames: Iterable[FrameItem], result: PoseResult, effects: str | Sequence[str],
              masks: Masks | None = None, num_frames: int | None = None,
              on_frame: Callable[[], None] | None = None,
              face_px: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Yield every frame (bare (H, W, 3) frames or FrameSource items) with the effects drawn;
    masks: the person's silhouette per frame (None: the body proxy's outline); face_px: see
    `ArCompositor`."""
    compositor = ArCompositor(result, effects, num_frames, face_px=face_px)
    try:
        for index, image in indexed_frames(frames):
            if masks is None:
                mask = None
            elif isinstance(masks, Mapping):
                mask = masks.get(index)
            else:
                mask = masks(index, image)
            yield compositor.render(index, image, mask)
            if on_frame is not None:
                on_frame()
    finally:
        compositor.close()


def write_ar_video(frames: Iterable[FrameItem], result: PoseResult, path: Path | str,
                   effects: str | Sequence[str], masks: Masks | None = None,
                   num_frames: int | None = None,
                   on_frame: Callable[[], None] | None = None,
                   face_px: np.ndarray | None = None) -> int:
    """Write ar.mp4 (H.264) at the result's fps; returns the number of frames written."""
    return write_video(ar_frames(frames, result, effects, masks, num_frames, on_frame, face_px),
                       path, result.fps)
