"""The workshop's web server: three pages and a small JSON API over one shared :class:`~.room.Room`.

Pages (:mod:`.pages`): ``/`` (join with a name: the short address the QR code shows), ``/play``
(a participant's business, on a phone), ``/facilitator`` (the projector). API, every answer JSON:

* ``POST /api/join`` ``{"name"}``: a business and the participant's token;
* ``GET /api/me`` (header ``X-Participant-Token``): the participant's view;
  ``POST /api/decide`` (same header): their levers for the next round;
* ``GET /api/room``, ``GET /api/drawings`` and ``POST /api/{joining,round,timer,shock,end}``
  (header ``X-Facilitator-Key``): the facilitator's view and controls.

The ``GET`` views take ``?since=VERSION`` and wait (up to :data:`LONG_POLL` seconds) until the room
has changed, so every browser learns of a new round as soon as it is simulated without polling
the town. Who may do what is checked on every request: the participant's token names their
business (a request naming another is refused), the facilitator's key is compared in constant
time, bodies over :data:`BODY_LIMIT` bytes and anything but a JSON object are refused, and a
refusal is a JSON ``{"error": "..."}`` the page shows, never a changed town.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from sim.dashboard.room import pages
from sim.dashboard.room.drawing import qr_svg
from sim.dashboard.room.room import DECIDING, ENDED, Room, RoomError
from sim.dashboard.room.views import Snapshot

BODY_LIMIT = 4096
"""Bytes a request body may have (a decision is about 200)."""
LONG_POLL = 20.0
"""Seconds a view request waits for a change before answering with the same version."""
TOKEN_HEADER = "x-participant-token"
KEY_HEADER = "x-facilitator-key"
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
"""Sent with every answer: only this server's own scripts run, nothing is framed or cached."""


class Hub:
    """Wakes the waiting view requests when the room changes (from any thread)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.event: asyncio.Event | None = None

    def start(self) -> None:
        """Bind to the running event loop (at the server's start)."""
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()

    def notify(self) -> None:
        """The room changed: wake every waiting request (thread-safe)."""
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                self.loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self.event is not None:
            self.event.set()
        self.event = asyncio.Event()

    async def wait(self, room: Room, since: int | None, timeout: float) -> None:
        """Return when the room's version differs from ``since`` or after ``timeout`` seconds."""
        if since is None or room.version != since or self.event is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout)


def error(message: str, status: int) -> JSONResponse:
    """A refusal the page shows as it is."""
    return JSONResponse({"error": message}, status_code=status)


async def read_json(request: Request) -> Any:
    """The request's body as JSON, refusing more than :data:`BODY_LIMIT` bytes, NaN and infinities."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > BODY_LIMIT):
        raise RoomError(f"the request is larger than {BODY_LIMIT} bytes", 413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_LIMIT:
            raise RoomError(f"the request is larger than {BODY_LIMIT} bytes", 413)
    if not body:
        return {}

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number")

    try:
        return json.loads(body.decode("utf-8"), parse_constant=no_constant)
    except (ValueError, UnicodeDecodeError):
        raise RoomError("the request is not valid JSON", 400) from None


def _since(request: Request) -> int | None:
    raw = request.query_params.get("since", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Turn a :class:`RoomError` into its JSON refusal, and an unexpected error into a 500 with one line."""

    async def wrapped(request: Request) -> Response:
        try:
            response = await handler(request)
        except RoomError as exc:
            response = error(str(exc), exc.status)
        except Exception as exc:  # noqa: BLE001 - the page shows one line; the town is unchanged
            response = error(f"internal error: {type(exc).__name__}: {exc}", 500)
        response.headers.update(SECURITY_HEADERS)
        return response

    return wrapped


class WorkshopApp:
    """The server's state: the room, its cached views, the long-poll hub and where the debrief goes.

    Args:
        room: the shared town.
        join_url: the short address participants open (shown with its QR code).
        results_root: folder the debrief's results folder is made in.
        out: the debrief's exact folder (``--out``), else ``results_root/workshop-<name>-<time>``.
        allowed_hosts: ``Host`` headers accepted (None: any, when serving on every address).
    """

    def __init__(
        self,
        room: Room,
        join_url: str,
        results_root: str | Path = "results",
        out: str | Path | None = None,
        allowed_hosts: list[str] | None = None,
    ) -> None:
        self.room = room
        self.join_url = join_url
        self.results_root = results_root
        self.out = out
        self.snapshot = Snapshot(room)
        self.hub = Hub()
        self.qr = qr_svg(join_url)
        self.debrief_thread: threading.Thread | None = None
        room.on_change(self.hub.notify)
        routes = [
            Route("/", self.page("join"), methods=["GET"]),
            Route("/play", self.page("play"), methods=["GET"]),
            Route("/facilitator", self.page("facilitator"), methods=["GET"]),
            Route("/static/{name}", guarded(self.static), methods=["GET"]),
            Route("/favicon.ico", lambda request: Response(status_code=204), methods=["GET"]),
            Route("/api/join", guarded(self.join), methods=["POST"]),
            Route("/api/me", guarded(self.me), methods=["GET"]),
            Route("/api/decide", guarded(self.decide), methods=["POST"]),
            Route("/api/room", guarded(self.room_view), methods=["GET"]),
            Route("/api/drawings", guarded(self.drawings), methods=["GET"]),
            Route("/api/{action}", guarded(self.control), methods=["POST"]),
        ]
        middleware = []
        if allowed_hosts:
            middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
        self.app = Starlette(routes=routes, middleware=middleware, lifespan=self.lifespan)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette):  # noqa: D102 - Starlette's start and stop
        self.hub.start()
        timer = asyncio.create_task(self.watch_timer())
        try:
            yield
        finally:
            timer.cancel()

    # ------------------------------------------------------------------ pages
    def page(self, name: str) -> Callable[[Request], Awaitable[Response]]:
        """A page's HTML (the same for everyone: what it shows comes from the API)."""

        async def serve(request: Request) -> Response:
            response = HTMLResponse(pages.html(name))
            response.headers.update(SECURITY_HEADERS)
            return response

        return serve

    async def static(self, request: Request) -> Response:
        """The pages' own style sheet and scripts (no file is read: they are strings in :mod:`.pages`)."""
        name = request.path_params["name"]
        found = pages.asset(name)
        if found is None:
            raise RoomError("no such file", 404)
        body, kind = found
        return Response(body, media_type=kind)

    # ------------------------------------------------------------------ participants
    async def join(self, request: Request) -> Response:
        """Join with a name: a business and a token (kept by the page, sent with every request)."""
        body = await read_json(request)
        if not isinstance(body, dict):
            raise RoomError("send a name to join", 422)
        p = await run_in_threadpool(self.room.join, body.get("name"))
        return JSONResponse(
            {"token": p.token, "business": self.room.model.business_name[p.business]}, status_code=201
        )

    async def me(self, request: Request) -> Response:
        """The participant's view, after waiting for a change past ``since``."""
        token = request.headers.get(TOKEN_HEADER)
        self.room.participant(token)  # a 403 at once for a token that is not a participant's
        await self.hub.wait(self.room, _since(request), LONG_POLL)
        return JSONResponse(await run_in_threadpool(self.snapshot.participant, token))

    async def decide(self, request: Request) -> Response:
        """Set the participant's levers for the next round (their own business only)."""
        token = request.headers.get(TOKEN_HEADER)
        self.room.participant(token)
        body = await read_json(request)
        decision = await run_in_threadpool(self.room.decide, token, body)
        return JSONResponse({"ok": True, "decision": decision.to_dict()})

    # ------------------------------------------------------------------ facilitator
    def _key(self, request: Request) -> None:
        self.room.check_key(request.headers.get(KEY_HEADER))

    async def room_view(self, request: Request) -> Response:
        """The facilitator's view, after waiting for a change past ``since``."""
        self._key(request)
        await self.hub.wait(self.room, _since(request), LONG_POLL)
        view = await run_in_threadpool(self.snapshot.facilitator)
        return JSONResponse({**view, "join_url": self.join_url})

    async def drawings(self, request: Request) -> Response:
        """The town, the charts and the join QR code (SVG)."""
        self._key(request)
        drawn = await run_in_threadpool(self.snapshot.drawings)
        return JSONResponse({**drawn, "qr": self.qr})

    async def control(self, request: Request) -> Response:
        """The facilitator's controls: joining, round, timer, shock, end."""
        self._key(request)
        action = request.path_params["action"]
        body = await read_json(request)
        if not isinstance(body, dict):
            raise RoomError("send the control's settings as an object", 422)
        room = self.room
        if action == "joining":
            await run_in_threadpool(room.set_joining, body.get("open"))
        elif action == "timer":
            await run_in_threadpool(room.set_timer, body.get("seconds"))
        elif action == "shock":
            return JSONResponse({"ok": True, "shock": await run_in_threadpool(room.add_shock, body)})
        elif action == "round":
            return JSONResponse({"ok": True, **(await self.run_round(body.get("weeks")))})
        elif action == "end":
            if room.phase == ENDED and room.debrief.get("status") == "failed":
                self.start_debrief()  # try the debrief again (e.g. after freeing disk space)
            else:
                await run_in_threadpool(room.end)
                self.start_debrief()
        else:
            raise RoomError("no such control", 404)
        return JSONResponse({"ok": True})

    async def run_round(self, weeks: Any = None) -> dict[str, Any]:
        """Lock decisions, simulate the round off the event loop, reopen; the time it took (seconds)."""
        t0 = time.perf_counter()
        w = await run_in_threadpool(self.room.start_round, weeks)
        record = await run_in_threadpool(self.room.finish_round, w)
        return {
            "round": record.number,
            "weeks": [record.first_week, record.last_week],
            "seconds": round(time.perf_counter() - t0, 3),
        }

    async def watch_timer(self) -> None:
        """Start the next round when the decision timer runs out."""
        while True:
            await asyncio.sleep(0.5)
            room = self.room
            ends = room.timer_ends
            if ends is not None and time.time() >= ends and room.phase == DECIDING:
                with contextlib.suppress(RoomError):
                    await self.run_round()

    def start_debrief(self) -> None:
        """Write the debrief in a thread (replays, figures and report take seconds)."""
        from sim.dashboard.room.debrief import write_debrief

        room = self.room

        def work() -> None:
            try:
                write_debrief(room, self.results_root, self.out)
            except Exception as exc:  # noqa: BLE001 - shown on the facilitator's page
                with room.lock:
                    room.debrief = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
                    room.changed()

        with room.lock:
            room.debrief = {"status": "writing"}
            room.changed()
        self.debrief_thread = threading.Thread(target=work, name="commsim-debrief", daemon=False)
        self.debrief_thread.start()
