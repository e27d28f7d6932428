"""`live --serve`: a local page showing the video, its 2D overlay and the 3D skeleton, live.

Served on 127.0.0.1 by Starlette (routes, WebSocket) under uvicorn (an ASGI server with
WebSocket support, graceful shutdown on SIGINT/SIGTERM): well-kept libraries rather than a
hand-written HTTP server. GET / is the page (posemachines/assets/live_page.html); /ws is one
WebSocket per page. The server sends a "hello" (skeleton, colours, source), then per processed
frame a "frame" message: the 2D and 3D pose, the frame as a small JPEG and the statistics. A
slow page gets the newest frame when it is ready for one, never a queue. The page sends
{"command": "record"} (start / end a take, written at its end) and {"command": "stop"}.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import signal
import socket
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posemachines.inference.stream import FrameResult
from posemachines.live.session import LiveSession, LiveStats
from posemachines.optional import import_optional
from posemachines.skeleton import JOINTS16_NAMES, JOINTS16_PARENTS
from posemachines.viz.drawing import DIM_FACTOR, MIN_CONFIDENCE, joint_colours
from posemachines.viz.skeleton3d import BACKGROUND_RGB, GRID_RGB

PAGE_ASSET = "live_page.html"
#: Width the frames are sent at (px; smaller frames are sent as they are), and JPEG quality.
PREVIEW_WIDTH = 640
JPEG_QUALITY = 75
#: Seconds the page gets to receive the last message before the server shuts down.
GOODBYE_S = 1.0


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def hello_message(session: LiveSession) -> dict[str, Any]:
    """What the page needs before the first frame: skeleton, colours, source, image size."""
    return {
        "type": "hello", "joint_names": list(JOINTS16_NAMES), "parents": list(JOINTS16_PARENTS),
        "colours": [_hex(c) for c in joint_colours()], "background": _hex(BACKGROUND_RGB),
        "grid": _hex(GRID_RGB), "min_confidence": MIN_CONFIDENCE, "dim_factor": DIM_FACTOR,
        "source": session.stream.source.description, "fps": session.stream.source.fps,
        "image_size": list(session.stream.image_size),
    }


def frame_message(result: FrameResult, stats: LiveStats) -> dict[str, Any]:
    """One frame for the page: pose (48,) mm, keypoints (32,) px of the full frame,
    confidence (16,), the frame as a JPEG data URL, and the statistics."""
    height, width = result.rgb.shape[:2]
    preview = result.rgb
    if width > PREVIEW_WIDTH:
        preview = cv2.resize(preview, (PREVIEW_WIDTH, round(height * PREVIEW_WIDTH / width)),
                             interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(preview, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])

    def flat(array: np.ndarray | None, decimals: int) -> list[float] | None:
        return None if array is None else np.round(array.astype(float), decimals).ravel().tolist()

    return {
        "type": "frame", "index": result.frame_index, "time_s": round(result.timestamp_s, 3),
        "pose": flat(result.pose3d_mm, 1), "keypoints": flat(result.keypoints_px, 1),
        "confidence": flat(result.confidence, 3),
        "image": "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode()
        if ok else None,
        "stats": {"processed": stats.processed, "dropped": stats.dropped,
                  "fps": round(stats.fps, 1), "latency_ms": round(stats.latency_ms, 1),
                  "latency_p95_ms": round(stats.latency_p95_ms, 1),
                  "recording": stats.recording, "recorded_frames": stats.recorded_frames},
    }


class _Broadcast:
    """Wakes every connected page's sender (from the pipeline's thread) when a frame is ready."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.events: set[asyncio.Event] = set()

    def notify(self) -> None:
        if self.loop is not None and not self.loop.is_closed():
            for event in list(self.events):
                self.loop.call_soon_threadsafe(event.set)


def create_app(session: LiveSession) -> Any:
    """The Starlette app for `session` (page at /, WebSocket at /ws)."""
    starlette_applications = import_optional("starlette.applications", "live --serve")
    responses = import_optional("starlette.responses", "live --serve")
    routing = import_optional("starlette.routing", "live --serve")
    websockets = import_optional("starlette.websockets", "live --serve")
    concurrency = import_optional("starlette.concurrency", "live --serve")
    page = (resources.files("posemachines") / "assets" / PAGE_ASSET).read_text("utf-8")
    broadcast = _Broadcast()
    previous_result, previous_finish = session.on_result, session.on_finish

    def on_result(result: FrameResult, stats: LiveStats) -> None:
        if previous_result is not None:
            previous_result(result, stats)
        broadcast.notify()

    def on_finish() -> None:  # wake the senders: they send "end" and stop
        broadcast.notify()
        if previous_finish is not None:
            previous_finish()

    session.on_result, session.on_finish = on_result, on_finish

    async def homepage(request: Any) -> Any:
        return responses.HTMLResponse(page)

    async def receive_commands(socket_: Any) -> None:
        with contextlib.suppress(websockets.WebSocketDisconnect):  # the page was closed
            while True:
                command = (await socket_.receive_json()).get("command")
                if command == "record":
                    paths = await concurrency.run_in_threadpool(session.toggle_recording)
                    if paths:
                        await socket_.send_json({"type": "saved",
                                                 "files": [str(p) for p in paths]})
                elif command == "stop":
                    await concurrency.run_in_threadpool(session.request_stop)

    async def send_frames(socket_: Any, event: asyncio.Event) -> None:
        sent = None
        while not session.finished:
            await event.wait()
            event.clear()
            latest = session.latest
            if latest is None or latest[0] is sent:
                continue
            sent = latest[0]
            await socket_.send_json(await concurrency.run_in_threadpool(frame_message, *latest))
        await socket_.send_json({"type": "end", "message": session.error or "stopped",
                                 "files": [str(p) for p in session.written]})

    async def live_socket(socket_: Any) -> None:
        broadcast.loop = asyncio.get_running_loop()
        await socket_.accept()
        await socket_.send_json(hello_message(session))
        event = asyncio.Event()
        broadcast.events.add(event)
        receiver = asyncio.ensure_future(receive_commands(socket_))
        try:
            with contextlib.suppress(websockets.WebSocketDisconnect):
                await send_frames(socket_, event)
        finally:
            broadcast.events.discard(event)
            receiver.cancel()

    return starlette_applications.Starlette(routes=[
        routing.Route("/", homepage), routing.WebSocketRoute("/ws", live_socket)])


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one): a browser that connects
    before the server has started waits in the backlog instead of being refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def serve(session: LiveSession, sock: socket.socket) -> list[Path]:
    """Run the pipeline and the page until the source ends, the page's stop button, Ctrl-C or
    SIGTERM; then write the take being recorded. Returns every path written."""
    uvicorn = import_optional("uvicorn", "live --serve")
    server: Any = None

    def finish() -> None:  # pipeline thread: the source ended or was stopped
        threading.Timer(GOODBYE_S, lambda: setattr(server, "should_exit", True)).start()

    session.on_finish = finish
    app = create_app(session)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    # uvicorn turns SIGINT / SIGTERM into a graceful shutdown, then raises the signal again
    # with the handlers found here: these make that second delivery end the session instead
    # of killing the process before the take is written.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: session.request_stop())
    session.start()
    try:
        server.run(sockets=[sock])
    finally:
        written = session.stop()
    return written
