"""Count repetitions of a periodic movement (squats, arm raises, waves) in a joint-angle signal.

One repetition is one excursion of the angle to a maximum and back (knee flexion in a squat,
shoulder elevation in an arm raise, elbow flexion in a wave). The method:
1. fill gaps (NaN) linearly and smooth with a Savitzky-Golay filter (~0.2 s window);
2. find the dominant period as the first autocorrelation peak of the angular velocity between
   `min_period_s` and `max_period_s` that reaches `MIN_PERIODICITY`; the velocity ignores slow
   posture drifts, and is clipped at VELOCITY_CLIP x its median magnitude so that one big move
   (raising the arm before waving) does not drown the periodic part;
3. periodic signal: `scipy.signal.find_peaks` with a minimum spacing of half a period and a
   prominence (height above the higher of the two neighbouring dips, so small waves on a
   raised arm count) of at least `min_amplitude_deg` and RELATIVE_PROMINENCE x the median
   prominence of the candidate peaks;
4. aperiodic signal (one or two reps, or none): peaks on the smoothed signal whose prominence
   is at least `min_amplitude_deg` and half the signal's range;
5. with four peaks or more, drop the first or last peak when its size (prominence x width) is
   more than twice or less than half the median peak's: repetitions resemble each other,
   whereas getting into and out of position (raising the arm before waving, lowering it after)
   makes one odd excursion at the start or the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks, peak_widths, savgol_filter

from posemachines.errors import PoseDataError

#: Autocorrelation a lag must reach to count as the signal's period.
MIN_PERIODICITY = 0.3
#: Peaks less prominent than this fraction of the median candidate are not repetitions.
RELATIVE_PROMINENCE = 0.35
#: With >= OUTLIER_MIN_PEAKS peaks, the first and last peak must be within this factor of the
#: median peak's size (prominence x width at half prominence).
SIZE_TOLERANCE = 2.0
OUTLIER_MIN_PEAKS = 4
SMOOTHING_S = 0.2
#: Velocities beyond this multiple of the median speed are clipped before the autocorrelation.
VELOCITY_CLIP = 3.0
#: Gaps longer than this fraction of the signal make counting meaningless.
MAX_MISSING_FRACTION = 0.5


@dataclass(frozen=True)
class RepetitionCount:
    """count: repetitions found; peak_frames: (count,) frame of each repetition's maximum.

    period_s: dominant period from the autocorrelation (None when the signal is aperiodic).
    smoothed_deg: (T,) the smoothed signal the peaks were found on (for plots).
    """

    count: int
    peak_frames: np.ndarray
    peak_times_s: np.ndarray
    period_s: float | None
    smoothed_deg: np.ndarray


def _filled(signal: np.ndarray) -> np.ndarray:
    finite = np.isfinite(signal)
    if finite.mean() < 1.0 - MAX_MISSING_FRACTION:
        raise PoseDataError(
            f"Only {int(finite.sum())} of {len(signal)} frames have this angle; "
            "too few to count repetitions."
        )
    if finite.all():
        return signal
    frames = np.arange(len(signal))
    return np.interp(frames, frames[finite], signal[finite])


def _smoothed(signal: np.ndarray, fps: float) -> np.ndarray:
    window = max(5, int(round(SMOOTHING_S * fps)) | 1)
    if window >= len(signal):
        return signal.copy()
    return savgol_filter(signal, window, polyorder=2)


def _clipped_velocity(signal: np.ndarray) -> np.ndarray:
    """Frame-to-frame change, clipped at VELOCITY_CLIP x its median magnitude."""
    velocity = np.gradient(signal)
    limit = VELOCITY_CLIP * float(np.median(np.abs(velocity)))
    return np.clip(velocity, -limit, limit) if limit > 0 else velocity


def dominant_period_frames(signal: np.ndarray, min_lag: int, max_lag: int) -> int | None:
    """Lag (frames) of the first autocorrelation peak in [min_lag, max_lag] above threshold."""
    centred = signal - signal.mean()
    energy = float(np.dot(centred, centred))
    max_lag = min(max_lag, len(signal) // 2)
    if energy <= 0 or max_lag <= min_lag:
        return None
    spectrum = np.fft.rfft(centred, n=2 * len(signal))
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum))[: max_lag + 1] / energy
    lags, _ = find_peaks(autocorrelation, height=MIN_PERIODICITY)
    lags = lags[lags >= min_lag]
    return int(lags[0]) if len(lags) else None


def _drop_odd_edge_peaks(signal: np.ndarray, peaks: np.ndarray,
                         prominences: np.ndarray) -> np.ndarray:
    """Drop the first/last peak when its size (prominence x width) is unlike the median's."""
    if len(peaks) < OUTLIER_MIN_PEAKS:
        return peaks
    widths = peak_widths(signal, peaks, rel_height=0.5)[0]
    ratio = prominences * widths / np.median(prominences * widths)
    keep = np.ones(len(peaks), dtype=bool)
    for edge in (0, len(peaks) - 1):
        keep[edge] = 1.0 / SIZE_TOLERANCE <= ratio[edge] <= SIZE_TOLERANCE
    return peaks[keep]


def count_repetitions(
    signal_deg: np.ndarray,
    fps: float,
    min_amplitude_deg: float = 8.0,
    min_period_s: float = 0.3,
    max_period_s: float = 10.0,
) -> RepetitionCount:
    """Count repetitions in a (T,) angle signal in degrees sampled at `fps`."""
    signal = np.asarray(signal_deg, dtype=np.float64)
    if signal.ndim != 1:
        raise PoseDataError(f"A repetition signal must be one angle per frame, got {signal.shape}.")
    if not (np.isfinite(fps) and fps > 0):
        raise PoseDataError(f"The frame rate must be positive, got {fps}.")
    min_lag = max(2, int(round(min_period_s * fps)))
    if len(signal) < 2 * min_lag:
        raise PoseDataError(
            f"Counting repetitions needs at least {2 * min_lag} frames "
            f"({2 * min_period_s:.1f} s), got {len(signal)}."
        )
    smoothed = _smoothed(_filled(signal), fps)
    period = dominant_period_frames(_clipped_velocity(smoothed), min_lag,
                                    int(round(max_period_s * fps)))
    if period is not None:
        spacing = max(1, period // 2)
        candidates = find_peaks(smoothed, distance=spacing, prominence=min_amplitude_deg)[1]
        prominences = candidates["prominences"]
        typical = float(np.median(prominences)) if len(prominences) else 0.0
        threshold = max(min_amplitude_deg, RELATIVE_PROMINENCE * typical)
        peaks, properties = find_peaks(smoothed, distance=spacing, prominence=threshold)
        peaks = _drop_odd_edge_peaks(smoothed, peaks, properties["prominences"])
    else:
        threshold = max(min_amplitude_deg, 0.5 * float(np.ptp(smoothed)))
        peaks, _ = find_peaks(smoothed, prominence=threshold, distance=min_lag)
    return RepetitionCount(
        count=len(peaks), peak_frames=peaks, peak_times_s=peaks / fps,
        period_s=None if period is None else period / fps, smoothed_deg=smoothed,
    )
