"""Inputs of a batch: manifests (CSV / JSONL), folders, globs, output names, resume records."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from posemachines.batch import VideoOptions, collect_jobs, read_manifest
from posemachines.batch.manifest import parse_formats
from posemachines.batch.status import DONE, FAILED, StatusManifest, new_record
from posemachines.errors import PoseInputError
from posemachines.export.writer import OUTPUT_FORMATS


def touch(path: Path, content: bytes = b"video") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_csv_manifest_rows_with_options_relative_paths_and_defaults(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "path,height_cm,focal_px,detector,formats,analyze\n"
        "trial01.mp4,172.5,,blazepose-full,\"json,npz\",yes\n"
        "/data/trial02.mp4,,1450,,json;csv bvh,\n"
    )
    first, second = read_manifest(manifest)
    assert first.path == tmp_path / "trial01.mp4"
    assert first.options == {"height_cm": 172.5, "detector": "blazepose-full",
                             "formats": ("json", "npz"), "analyze": True}
    assert first.where == "m.csv line 2"
    assert second.path == Path("/data/trial02.mp4")
    assert second.options == {"focal_px": 1450.0, "formats": ("json", "csv", "bvh")}


def test_jsonl_manifest_accepts_lists_nulls_and_names(tmp_path):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(
        '{"path": "a.mp4", "formats": ["json", "npz"], "height_cm": 180, "name": "subj-1"}\n'
        "\n"
        '{"path": "sub/b.mp4", "focal_px": null, "flip_test": false}\n'
    )
    first, second = read_manifest(manifest)
    assert (first.name, first.options) == ("subj-1", {"formats": ("json", "npz"),
                                                      "height_cm": 180.0})
    assert second.path == tmp_path / "sub" / "b.mp4"
    assert second.options == {"flip_test": False}
    assert second.where == "m.jsonl line 3"


@pytest.mark.parametrize(("text", "message"), [
    ("path,heigth_cm\na.mp4,170\n", "m.csv line 2: unknown column(s) heigth_cm"),
    ("path,height_cm\na.mp4,tall\n", "m.csv line 2: height_cm 'tall' is not a number"),
    ("path,analyze\na.mp4,maybe\n", "m.csv line 2: analyze 'maybe' is not true or false"),
    ("video,height_cm\na.mp4,170\n", "needs a header row with a 'path' column"),
    ("path,name\na.mp4,../up\n", "m.csv line 2: name '../up' is not a plain folder name"),
    ("path\n", "lists no video"),
])
def test_csv_manifest_errors_name_the_line(tmp_path, text, message):
    manifest = tmp_path / "m.csv"
    manifest.write_text(text)
    with pytest.raises(PoseInputError, match=re.escape(message)):
        read_manifest(manifest)


def test_jsonl_manifest_errors_name_the_line(tmp_path):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"path": "a.mp4"}\n["b.mp4"]\n')
    with pytest.raises(PoseInputError, match="m.jsonl line 2: a JSON object per line"):
        read_manifest(manifest)
    manifest.write_text('{"path": "a.mp4"\n')
    with pytest.raises(PoseInputError, match="m.jsonl line 1: not JSON"):
        read_manifest(manifest)


def test_parse_formats():
    assert parse_formats("all") == OUTPUT_FORMATS
    assert parse_formats("json, npz;json csv") == ("json", "npz", "csv")
    assert parse_formats(["bvh", "json"]) == ("bvh", "json")


def test_folders_globs_and_files_each_listed_once_in_order(tmp_path):
    a = touch(tmp_path / "in" / "a.mp4")
    b = touch(tmp_path / "in" / "deeper" / "b.MOV")
    touch(tmp_path / "in" / "notes.txt")
    c = touch(tmp_path / "other" / "c.avi")
    jobs = collect_jobs([str(tmp_path / "in"), str(tmp_path / "other" / "*.avi"), str(a)],
                        VideoOptions())
    assert [job.input for job in jobs] == [a.resolve(), b.resolve(), c.resolve()]
    assert [job.name for job in jobs] == ["a", "b", "c"]


def test_same_stem_names_are_distinct_and_independent_of_order(tmp_path):
    one = touch(tmp_path / "day1" / "clip.mp4")
    two = touch(tmp_path / "day2" / "clip.mp4")
    solo = touch(tmp_path / "day2" / "solo run.mp4")
    forward = {job.input: job.name for job in collect_jobs([one, two, solo], VideoOptions())}
    backward = {job.input: job.name for job in collect_jobs([solo, two, one], VideoOptions())}
    assert forward == backward
    assert forward[solo.resolve()] == "solo_run"
    names = {forward[one.resolve()], forward[two.resolve()]}
    assert len(names) == 2 and all(n.startswith("clip_") and len(n) == 13 for n in names)


def test_manifest_options_override_defaults_and_are_validated(tmp_path):
    touch(tmp_path / "a.mp4")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,height_cm,formats\na.mp4,165,npz\n")
    defaults = VideoOptions(formats=("json",), focal_px=900.0)
    (job,) = collect_jobs([manifest], defaults)
    assert job.options == replace(defaults, height_cm=165.0, formats=("npz",))
    manifest.write_text("path,detector\na.mp4,openpose\n")
    with pytest.raises(PoseInputError, match="m.csv line 2: Unknown detector 'openpose'"):
        collect_jobs([manifest], defaults)


def test_explicit_names_must_be_unique(tmp_path):
    touch(tmp_path / "a.mp4")
    touch(tmp_path / "b.mp4")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,name\na.mp4,same\nb.mp4,same\n")
    with pytest.raises(PoseInputError, match="same output folder: same"):
        collect_jobs([manifest], VideoOptions())


def test_missing_inputs_are_one_clear_error(tmp_path):
    with pytest.raises(PoseInputError, match="does not exist"):
        collect_jobs([tmp_path / "nope.mp4"], VideoOptions())
    with pytest.raises(PoseInputError, match="matches no video"):
        collect_jobs([str(tmp_path / "*.mp4")], VideoOptions())
    (tmp_path / "empty").mkdir()
    with pytest.raises(PoseInputError, match="contains no videos"):
        collect_jobs([tmp_path / "empty"], VideoOptions())


def test_status_rows_round_trip_and_say_what_needs_no_work(tmp_path):
    video = touch(tmp_path / "a.mp4")
    (job,) = collect_jobs([video], VideoOptions(formats=("json",)))
    out = tmp_path / "out"
    out.mkdir()
    status = StatusManifest(out)
    status.update(new_record(job, DONE, frames=12, poses=10, seconds=1.5, attempts=2))
    reloaded = StatusManifest(out)
    assert reloaded.records == status.records
    assert reloaded.records["a"].frames == 12 and reloaded.records["a"].attempts == 2
    assert reloaded.finished(job) is None  # done, but its folder is missing
    (out / "a").mkdir()
    assert reloaded.finished(job) is not None
    changed = replace(job, options=VideoOptions(formats=("npz",)))
    assert reloaded.finished(changed) is None  # other options: redo
    os.utime(video, ns=(1, 1))
    assert reloaded.finished(job) is None  # the input file changed: redo
    status.update(new_record(job, FAILED, error="Video is corrupt."))
    assert status.finished(job) is not None
    assert status.finished(job, retry_failed=True) is None
