"""`posemachines live [SOURCE]`: 3D pose live from a camera, a stream URL or a video file.

Without --serve the status is shown on the terminal and everything is recorded; with --serve
a local page (127.0.0.1) shows the video, the 2D overlay and the 3D skeleton, and its record
button records takes. Ctrl-C, SIGTERM, the page's stop button or the source's end write what
was recorded into OUT/take_NNN/. See docs/live.md.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from posemachines.errors import PoseInputError

if TYPE_CHECKING:  # imported on use: `posemachines --help` does not load torch
    from posemachines.inference.stream import FrameResult
    from posemachines.live.session import LiveSession, LiveStats

DEFAULT_PORT = 8765
HOST = "127.0.0.1"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "live", help="3D pose live from a camera, stream URL or video (optionally in a page)",
        description="Causal, frame by frame: streaming lifter and a sliding-window correction; "
        "frames the pipeline has no time for are dropped, never queued.",
    )
    parser.add_argument("source", nargs="?", default="0",
                        help="camera index (default 0), stream URL (rtsp/http/udp, read by "
                             "FFmpeg) or video file")
    parser.add_argument("--serve", action="store_true",
                        help=f"serve the live page on http://{HOST}:PORT/")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"page port (default {DEFAULT_PORT}; 0: any free port)")
    parser.add_argument("--record", action="store_true",
                        help="with --serve: start recording at once (without --serve "
                             "everything is recorded)")
    parser.add_argument("--realtime", action="store_true",
                        help="play a video file at its own frame rate, dropping frames the "
                             "pipeline has no time for (as a camera would)")
    parser.add_argument("--loop", action="store_true", help="play a video file again at its end")
    parser.add_argument("--out", type=Path, default=Path("live_out"),
                        help="folder for the recorded takes (default live_out)")
    parser.add_argument("--format", default="json,bvh",
                        help="what to write per take: json,npz,csv,bvh,skeleton3d,html "
                             "(default json,bvh)")
    parser.add_argument("--weights", default=None,
                        help="lifter: a shipped name ('mocap', the default, 'lite' or 'cmu') or a "
                             "checkpoint path, as for infer")
    parser.add_argument("--detector", default="blazepose-lite",
                        help="blazepose-lite (default), blazepose-full or blazepose-heavy")
    parser.add_argument("--correction", choices=("geometric", "none"), default="geometric")
    parser.add_argument("--focal-px", type=float, default=None, help="camera focal length, px")
    parser.add_argument("--height-cm", type=float, default=None, help="the person's height")
    parser.add_argument("--no-flip-test", dest="flip_test", action="store_false",
                        help="lift each frame once (the flip test costs one more lifter step)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from posemachines.inference.estimator import Estimator
    from posemachines.inference.stream_sources import open_stream
    from posemachines.live.recorder import Recorder, check_formats
    from posemachines.live.session import LiveSession
    from posemachines.optional import import_optional

    formats = check_formats([name.strip() for name in args.format.split(",") if name.strip()])
    if args.serve:
        import_optional("uvicorn", "live --serve")
        import_optional("starlette", "live --serve")
    source = open_stream(args.source, realtime=args.realtime, loop=args.loop)  # fails fast
    estimator = Estimator(weights=args.weights, detector=args.detector,
                          correction=args.correction, focal_px=args.focal_px,
                          height_cm=args.height_cm, flip_test=args.flip_test,
                          time_reversal=False)
    stream = estimator.stream(source)
    recorder = Recorder(args.out, formats, stream.source.fps, stream.image_size,
                        stream.source.description)
    if args.serve:
        written = _serve(LiveSession(stream, recorder), args)
    else:
        written = _run_in_terminal(LiveSession(stream, recorder))
    return _report(stream.error, written, stream.processed, stream.dropped)


def _serve(session: LiveSession, args: argparse.Namespace) -> list[Path]:
    from posemachines.live.server import bind_socket, serve

    try:
        sock = bind_socket(HOST, args.port)
    except OSError as error:
        raise PoseInputError(f"Cannot serve on {HOST}:{args.port}: {error.strerror}.") from None
    print(f"live page: http://{HOST}:{sock.getsockname()[1]}/  (Ctrl-C to stop)", flush=True)
    if args.record:
        session.recorder.start()
    return serve(session, sock)


def _run_in_terminal(session: LiveSession) -> list[Path]:
    session.recorder.start()
    interactive = sys.stderr.isatty()
    shown = [0.0]

    def show(_result: FrameResult, stats: LiveStats) -> None:
        now = time.monotonic()
        if not interactive and stats.processed == 1:  # for logs: the session is running
            print(f"live: processing {session.stream.source.description}; Ctrl-C or SIGTERM "
                  "writes the take and stops", flush=True)
        if interactive and now - shown[0] > 0.25:
            shown[0] = now
            print(f"\r{stats.line()}   ", end="", file=sys.stderr, flush=True)

    session.on_result = show
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: session.request_stop())
    written = session.run()
    if interactive:
        print(file=sys.stderr)
    return written


def _report(error: str | None, written: list[Path], processed: int, dropped: int) -> int:
    folders = sorted({str(path.parent) for path in written})
    files = f"wrote {', '.join(folders)}" if folders else "nothing recorded (no take with a person)"
    if error is not None:
        raise PoseInputError(f"{error} {processed} frames processed; {files}.")
    print(f"live: {processed} frames processed, {dropped} dropped; {files}")
    return 0
