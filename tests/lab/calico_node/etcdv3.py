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

    def get_with_revision(self, key):
        """(value, mod_revision) or (None, 0): the revision is libcalico-go's ResourceVersion."""
        kvs = self._call("/v3/kv/range", {"key": _b64(key)}).get("kvs", [])
        return (_unb64(kvs[0]["value"]), int(kvs[0].get("mod_revision", 0))) if kvs else (None, 0)

    def get_prefix(self, prefix):
        kvs = self._call("/v3/kv/range", {"key": _b64(prefix), "range_end": _prefix_end(prefix)}).get("kvs", [])
        return {_unb64(kv["key"]): _unb64(kv.get("value", "")) for kv in kvs}

    def put(self, key, value):
        self._call("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})

    def put_if_revision(self, key, value, revision):
        """libcalico-go's etcdv3 Update: put only when the key's mod_revision is REVISION.
        Returns the new revision, or None when the compare failed (an update conflict)."""
        resp = self._call("/v3/kv/txn", {
            "compare": [{"key": _b64(key), "target": "MOD", "result": "EQUAL", "mod_revision": str(revision)}],
            "success": [{"request_put": {"key": _b64(key), "value": _b64(value)}}],
        })
        return int(resp["header"]["revision"]) if resp.get("succeeded") else None

    def put_if_absent(self, key, value):
        # A transaction: create only when the key's create_revision is 0 (absent).
        return self._call("/v3/kv/txn", {
            "compare": [{"key": _b64(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"}],
            "success": [{"request_put": {"key": _b64(key), "value": _b64(value)}}],
        }).get("succeeded", False)
