"""etcd's v3 JSON gateway, replaying recorded range replies, on 127.0.0.1 in a thread."""
import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


class FakeEtcd:
    """etcd's v3 JSON gateway on 127.0.0.1: answers range requests by key prefix from
    PREFIXES ({prefix: reply dict}); GATEWAY is the path prefix it serves ('/v3' or '/v3beta')."""

    def __init__(self, prefixes, gateway="/v3", status=200):
        self.prefixes = prefixes
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append((self.path, body))
                if self.path != gateway + "/kv/range":
                    return self._send(404, b"404 page not found\n")
                if status != 200:
                    return self._send(status, json.dumps({"error": "etcdserver: request timed out", "code": 14}).encode())
                req = json.loads(body)
                key = base64.b64decode(req["key"]).decode()
                reply = fake.prefixes.get(key, {"header": {"revision": "1"}})
                return self._send(200, json.dumps(reply).encode())

            def _send(self, code, data):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
