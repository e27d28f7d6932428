"""Errors raised by the library; each carries one clear sentence for the user.

Only the CLI catches them (and turns them into one line on stderr with exit code 2).
"""


class PoseMachinesError(Exception):
    """Base class of every error posemachines raises on purpose."""


class PoseDataError(PoseMachinesError):
    """A data file or array is missing, corrupt, or has the wrong shape, joints or units."""


class PoseModelError(PoseMachinesError):
    """A checkpoint or model configuration is missing, truncated or does not match."""


class PoseInputError(PoseMachinesError):
    """An image, video or keypoint input cannot be used (unreadable, empty, no person)."""
