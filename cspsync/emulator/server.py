"""The emulator on loopback HTTP: stdlib ``ThreadingHTTPServer`` in a thread, translating each request
to an ``httpx.Request`` for the app and its ``httpx.Response`` back.

It refuses any address but loopback: the emulator has no real authentication, so it must never be
reachable from another machine. Injected connection faults become real ones: a dropped connection
closes the socket without an answer, a timeout holds it briefly and then closes it.
"""

from __future__ import annotations

import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

from cspsync.emulator import codes
from cspsync.emulator.app import EmulatorApp
from cspsync.errors import ConfigError

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive"}


def _base_url(httpd: ThreadingHTTPServer) -> str:
    host, port = httpd.server_address[0], httpd.server_address[1]
    text = host.decode() if isinstance(host, bytes) else str(host)
    return f"http://[{text}]:{port}" if ":" in text else f"http://{text}:{port}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: EmulatorApp) -> None:
        self.app = app
        super().__init__(address, _Handler)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: headers and body go out in two writes; with Nagle on, the body waits ~40 ms for a delayed ACK
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log is the app's, and a served emulator must not flood the terminal."""

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        request = httpx.Request(
            self.command,
            _base_url(self.server) + self.path,
            headers=[(key, value) for key, value in self.headers.items() if key.lower() not in _HOP_BY_HOP],
            content=self._body(),
        )
        app = self.server.app
        try:
            response = app(request)
        except httpx.TimeoutException:
            app.faults.sleep(app.faults.timeout_hold_seconds)
            self.close_connection = True
            return
        except httpx.TransportError:
            self.close_connection = True
            return
        except Exception:  # a bug in the emulator: answer as the real service would, and show it
            traceback.print_exc(file=sys.stderr)
            response = codes.SERVER_ERROR.error().response()
        content = response.content
        self.send_response(response.status_code)
        for key, value in response.headers.multi_items():
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class EmulatorServer:
    """A running loopback server; ``url`` has no trailing slash. Stop it with ``shutdown()``."""

    def __init__(self, httpd: _Server) -> None:
        self._httpd = httpd
        self.url = _base_url(httpd)
        self.port = int(httpd.server_address[1])
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="cspsync-emulator", daemon=True
        )
        self._thread.start()

    def shutdown(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops (or ``timeout`` passes); True when it has stopped."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.shutdown()


def check_loopback(host: str) -> None:
    """ConfigError unless ``host`` is a loopback address."""
    if host not in LOOPBACK_HOSTS:
        raise ConfigError(
            f"The emulator only listens on loopback (127.0.0.1, ::1 or localhost); refusing to bind {host!r}.",
            hint="it has no real authentication, so it must not be reachable from other machines",
        )


def serve(app: EmulatorApp, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Serve ``app`` on ``host:port`` (0: any free port) from a background thread."""
    check_loopback(host)
    try:
        if host == "::1":
            return EmulatorServer(_Server6((host, port), app))
        return EmulatorServer(_Server(("127.0.0.1", port), app))
    except OSError as err:
        raise ConfigError(f"Cannot listen on {host}:{port}: {err.strerror or err}") from None
