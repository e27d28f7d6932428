"""`posemachines infer --max-people N` (N > 1): everyone in the video, each with an id.

Writes people3d.json / .npz / .csv, motion_<id>.bvh, an overlay.mp4 with each person in its
own colour, and skeleton3d.mp4 and viewer.html with everyone together in one 3D scene (the
overlay's colours and ids; docs/people.md), and with --analyze each person's analysis in
analysis_<id>/ and on the overlay; motion.glb holds one person and is skipped with a note.
N = 1 is the single-person path of `infer`, unchanged.
"""

from __future__ import annotations

import argparse
import logging
import time
from functools import partial
from pathlib import Path

from posemachines.cli.progress import FrameProgress
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.structures.people import PeopleResult

logger = logging.getLogger(__name__)
#: What the several-people path draws besides the files of `export.people`.
VIEW_FORMATS = ("overlay", "skeleton3d", "html")


def run_infer_people(args: argparse.Namespace, out_dir: Path, formats: tuple[str, ...]) -> int:
    """The `infer` handler for several people (args as `infer` parses them)."""
    from posemachines.export.people import PEOPLE_FORMATS, write_people_outputs
    from posemachines.inference.estimator import Estimator
    from posemachines.inference.frames import open_frames
    from posemachines.inference.people import PartialPeopleError
    from posemachines.staging import write_staged
    from posemachines.viz.html_viewer import HTML_NAME, write_html_viewer
    from posemachines.viz.overlay import OVERLAY_NAME
    from posemachines.viz.skeleton3d import SKELETON3D_NAME
    from posemachines.viz.videos import write_videos

    if args.keypoints is not None or args.input is None:
        raise PoseInputError("--max-people above 1 needs a video, image or folder as INPUT "
                             "(keypoint files hold one person).")
    estimator = Estimator(
        weights=args.weights, detector=args.detector, correction=args.correction,
        device=args.device, focal_px=args.focal_px, height_cm=args.height_cm,
        flip_test=args.flip_test, time_reversal=args.time_reversal, world=args.world,
        max_people=args.max_people,
    )
    started = time.perf_counter()
    source = open_frames(args.input)
    failure: PartialPeopleError | None = None
    with FrameProgress(len(source), args.input.stem) as bar:
        try:
            people: PeopleResult = estimator.predict_people(source, on_frame=bar.update)
        except PartialPeopleError as error:
            failure, people = error, error.result
    written = write_people_outputs(people, out_dir, [f for f in formats if f in PEOPLE_FORMATS])
    labels = _analyse_people(people, out_dir) if args.analyze else None
    if "overlay" in formats or "skeleton3d" in formats:  # both from one decode of the video
        written += write_videos(
            (frame.rgb for frame in source), people,
            out_dir / OVERLAY_NAME if "overlay" in formats else None,
            out_dir / SKELETON3D_NAME if "skeleton3d" in formats else None, labels)
    if "html" in formats:
        written.append(write_staged(out_dir / HTML_NAME, partial(
            write_html_viewer, people, video=OVERLAY_NAME if "overlay" in formats else None)))
    skipped = [f for f in formats if f not in (*PEOPLE_FORMATS, *VIEW_FORMATS)]
    if skipped:
        logger.warning("%s skipped: it holds one person; several people are in people3d.*, "
                       "motion_<id>.bvh and the videos and viewer.", ", ".join(skipped))
    wall = time.perf_counter() - started
    seen = ", ".join(f"{person_id}: {person.num_frames}" for person_id, person in people)
    print(f"{people.num_frames} frames, {len(people)} people (frames per id: {seen}), "
          f"{wall:.1f} s ({people.num_frames / max(wall, 1e-9):.1f} FPS) -> {out_dir} "
          f"({len(written)} files)")
    if failure is not None:
        raise PoseInputError(f"{failure} (the {people.num_frames} frames before were written)")
    return 0


def _analyse_people(people: PeopleResult, out_dir: Path) -> dict[int, list[str]]:
    """Analyse each person (angles, falls, and actions where the track is long enough) into
    out_dir/analysis_<id>/ (analysis.json and its plots); return each person's overlay text
    per pose. A person too briefly seen to analyse is skipped with a warning."""
    from posemachines.analysis.report import analyze_result, frame_labels
    from posemachines.analysis.report_json import write_analysis
    from posemachines.viz.analysis_plots import write_analysis_plots

    labels = {}
    for person_id, person in people:
        try:
            try:
                report = analyze_result(person, actions=True)
            except PoseDataError:  # too short or gappy for 2 s action windows
                report = analyze_result(person)
        except PoseDataError as error:
            logger.warning("person %d not analysed: %s", person_id, error)
            continue
        folder = out_dir / f"analysis_{person_id}"
        write_analysis(report, folder)
        write_analysis_plots(report, folder)
        labels[person_id] = frame_labels(report, person.num_frames)
    return labels
