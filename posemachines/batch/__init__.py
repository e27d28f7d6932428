"""Many videos: `run_batch` over files, folders, globs or manifests, resumable, with a status
manifest, on local worker processes or a Ray cluster (docs/batch.md)."""

from posemachines.batch.jobs import VideoJob, VideoOptions, collect_jobs
from posemachines.batch.manifest import read_manifest
from posemachines.batch.runner import BACKENDS, BatchReport, run_batch
from posemachines.batch.status import STATUS_NAME, VideoRecord

__all__ = [
    "BACKENDS",
    "STATUS_NAME",
    "BatchReport",
    "VideoJob",
    "VideoOptions",
    "VideoRecord",
    "collect_jobs",
    "read_manifest",
    "run_batch",
]
