"""A small threaded HTTP server the doubles build on (stdlib only)."""

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    server_version = "RibambelleDouble/1"
    double = None  # set per server class

    def log_message(self, format, *args):  # noqa: A002 - quiet in tests
        return

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        body = self._body() if method == "POST" else b""
        if parts.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        try:
            status, headers, content = self.double.handle(method, parts.path, parts.query, body, self.headers)
        except Exception as exc:  # noqa: BLE001 - a double never crashes: it answers 500 and says why
            status, headers, content = 500, {"Content-Type": "text/plain; charset=utf-8"}, repr(exc).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def do_GET(self):  # noqa: N802
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")


def form(body: bytes | str) -> dict[str, str]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def page(title: str, body: str) -> tuple[int, dict, bytes]:
    """A plain, accessible HTML page (the doubles' own screens)."""
    content = f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:36rem;margin:1rem auto;padding:0 1rem;color:#1a1a1a}}
button{{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem;border:2px solid #1a1a1a;
background:#fff;color:#1a1a1a;border-radius:.25rem}}button.primary{{background:#0b4f8a;color:#fff;border-color:#0b4f8a}}
button:focus{{outline:3px solid #b35c00;outline-offset:2px}}</style></head>
<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"""
    return 200, {"Content-Type": "text/html; charset=utf-8"}, content.encode()


def redirect(url: str) -> tuple[int, dict, bytes]:
    return 303, {"Location": url}, b""


class DoubleServer:
    """Start with .start() (port 0: any free port), stop with .stop(); .url is its base address."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        handler = type("BoundHandler", (Handler,), {"double": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.lock = threading.Lock()

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, method, path, query, body, headers):
        raise NotImplementedError
