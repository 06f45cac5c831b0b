"""A tiny etcd v3 client over etcd 3.4's JSON gateway (/v3/kv/*), standard library only."""
import base64
import json
import urllib.request


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _unb64(text):
    return base64.b64decode(text).decode()


def _prefix_end(prefix):
    raw = bytearray(prefix.encode())
    raw[-1] += 1
    return base64.b64encode(bytes(raw)).decode()


class Etcd:
    def __init__(self, endpoints, timeout=3.0):
        self.endpoints = [e.strip().rstrip("/") for e in endpoints.split(",") if e.strip()]
        self.timeout = timeout

    def _call(self, path, body):
        last = None
        for endpoint in self.endpoints:
            req = urllib.request.Request(endpoint + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return json.loads(resp.read().decode() or "{}")
            except OSError as exc:
                last = exc
        raise OSError("no etcd endpoint answered: %s" % last)

    def get(self, key):
        kvs = self._call("/v3/kv/range", {"key": _b64(key)}).get("kvs", [])
        return _unb64(kvs[0]["value"]) if kvs else None

    def get_prefix(self, prefix):
        kvs = self._call("/v3/kv/range", {"key": _b64(prefix), "range_end": _prefix_end(prefix)}).get("kvs", [])
        return {_unb64(kv["key"]): _unb64(kv.get("value", "")) for kv in kvs}

    def put(self, key, value):
        self._call("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})

    def put_if_absent(self, key, value):
        # A transaction: create only when the key's create_revision is 0 (absent).
        self._call("/v3/kv/txn", {
            "compare": [{"key": _b64(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"}],
            "success": [{"request_put": {"key": _b64(key), "value": _b64(value)}}],
        })
