"""The fake APIs served on loopback for the demo (`manage.py sandbox_serve`).

Each request is converted to an `httpx.Request`, answered by `router.handle`, and the
`httpx.Response` is written back. Only this server exposes the fault controls:

- `GET /_faults`: the active faults, as JSON;
- `POST /_faults/<service>/<fault>`: e.g. `/_faults/company_directory/unavailable`;
- `DELETE /_faults`: back to normal.

Under TIMEOUT the answer is held back longer than the clients wait (`stall_seconds`).
"""

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from django.conf import settings

from ticketing.sandbox import faults, router

logger = logging.getLogger(__name__)

# Managed by the server itself, never forwarded.
_HOP_BY_HOP = {"connection", "content-length", "keep-alive", "transfer-encoding", "date", "server"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stall_seconds: float
    stopping: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        # The request line holds the searched text: log the method and path only.
        logger.debug("%s %s", self.command, self.path.partition("?")[0])

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.partition("?")[0]
        if path == "/_faults" or path.startswith("/_faults/"):
            response = self._faults(path)
        elif path.startswith("/_bench/") and self.command == "POST":
            response = _bench(path, httpx.QueryParams(self.path.partition("?")[2]))
        else:
            host, port = self.server.server_address[:2]
            request = httpx.Request(
                self.command,
                f"http://{host}:{port}{self.path}",
                headers=[(key, value) for key, value in self.headers.items()],
                content=body,
            )
            try:
                response = router.handle(request)
            except httpx.TimeoutException:
                self.server.stopping.wait(self.server.stall_seconds)
                response = httpx.Response(504, text="Gateway Timeout")
        self._send(response)

    def _faults(self, path: str) -> httpx.Response:
        parts = [part for part in path.split("/") if part][1:]
        if self.command == "DELETE" and not parts:
            faults.clear()
            return httpx.Response(204)
        if self.command == "POST" and len(parts) == 2:
            service, fault_name = parts
            try:
                fault = faults.Fault(fault_name.lower().replace("-", "_"))
            except ValueError:
                fault = None
            if service not in router.SERVICE_NAMES or fault is None:
                return httpx.Response(
                    404,
                    json={
                        "services": sorted(router.SERVICE_NAMES),
                        "faults": [fault.value for fault in faults.Fault],
                    },
                )
            faults.activate(service, fault)
            return httpx.Response(200, json={service: fault.value})
        if self.command == "GET" and not parts:
            return httpx.Response(
                200,
                json={service: fault.value for service, fault in faults.snapshot().items()},
            )
        return httpx.Response(405, text="Method Not Allowed")

    def _send(self, response: httpx.Response) -> None:
        content = response.read()
        try:
            self.send_response(response.status_code)
            for key, value in response.headers.multi_items():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a TIMEOUT fault does exactly that).
            self.close_connection = True


def _bench(path: str, params: httpx.QueryParams) -> httpx.Response:
    """For `manage.py bench_sync`: `POST /_bench/<provider>?shows=&performances=&tickets=
    &access_key=&secret_key=` registers an account of that size; `POST
    /_bench/<provider>/touch?share=&access_key=&secret_key=` changes a share of its tickets now."""
    from datetime import UTC, datetime

    from ticketing.sandbox import accounts
    from ticketing.sandbox.dataset import build_dataset

    parts = [part for part in path.split("/") if part][1:]
    credentials = {"access_key": params.get("access_key", ""), "secret_key": params["secret_key"]}
    now = datetime.now(UTC).replace(microsecond=0)
    if len(parts) == 1:
        dataset = build_dataset(
            shows=int(params["shows"]),
            performances_per_show=int(params["performances"]),
            tickets_per_performance=int(params["tickets"]),
            now=now,
        )
        accounts.register(parts[0], dataset=dataset, **credentials)
        return httpx.Response(201, json={"tickets": len(dataset.tickets)})
    if len(parts) == 2 and parts[1] == "touch":
        account = accounts.find(parts[0], **credentials)
        if account is None:
            return httpx.Response(404, json={"error": "unknown account"})
        changed = account.dataset.touch(share=float(params["share"]), at=now)
        return httpx.Response(200, json={"changed": changed})
    return httpx.Response(404, json={"error": "unknown bench action"})


class SandboxServer:
    """`start()` serves in a background thread (tests); `serve_forever()` blocks (command)."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 8001, stall_seconds: float | None = None
    ) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.stall_seconds = (
            settings.PUBLIC_API_TIMEOUT_SECONDS + 2 if stall_seconds is None else stall_seconds
        )
        self._server.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        # Polls for stop() every 0.1 s instead of 0.5 s: tests stop servers often.
        self._server.serve_forever(poll_interval=0.1)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops serving and frees the port; stalled requests are released at once."""
        self._server.stopping.set()
        if self._thread is not None:
            # shutdown() waits for serve_forever() to return: only from another thread.
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
