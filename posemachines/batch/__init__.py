"""Many videos: `run_batch` over files, folders, globs or manifests, resumable, with a status
manifest, on local worker processes or a Ray cluster (docs/batch.md).

The names load on first use, so that `posemachines --help` does not import the pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from posemachines.lazy import lazy_attributes

if TYPE_CHECKING:
    from posemachines.batch.jobs import BACKENDS, VideoJob, VideoOptions, collect_jobs
    from posemachines.batch.manifest import read_manifest
    from posemachines.batch.runner import BatchReport, run_batch
    from posemachines.batch.status import STATUS_NAME, VideoRecord

#: Public name -> the submodule that defines it.
_HOMES = {
    "BACKENDS": "jobs", "VideoJob": "jobs", "VideoOptions": "jobs", "collect_jobs": "jobs",
    "read_manifest": "manifest", "BatchReport": "runner", "run_batch": "runner",
    "STATUS_NAME": "status", "VideoRecord": "status",
}
__all__ = [
    "BACKENDS", "STATUS_NAME", "BatchReport", "VideoJob", "VideoOptions", "VideoRecord",
    "collect_jobs", "read_manifest", "run_batch",
]


__getattr__ = lazy_attributes(__name__, _HOMES)
