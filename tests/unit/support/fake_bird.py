"""BIRD's control socket on a unix socket, in a thread, replaying recorded replies."""
import socket
import threading
import time

from fixtures import fixture_bytes


class FakeBird:
    """BIRD's control socket at PATH: sends WELCOME, then for each command line the reply
    REPLIES maps it to (bytes), in CHUNK-byte pieces; a key ending in " *" answers every
    command that starts with the rest. WELCOME and REPLIES may also be lists, one entry per
    connection (the last one stays), to play a BIRD that restarts with another state.
    mode: 'normal', 'silent' (never answers commands), 'close' (closes after half a reply),
    'no-welcome'."""

    def __init__(self, path, welcome=b"0001 BIRD 1.6.8 ready.\n", replies=None, chunk=7, mode="normal"):
        self.path = path
        self.welcomes = welcome if isinstance(welcome, list) else [welcome]
        self.replies = [dict(r) for r in replies] if isinstance(replies, list) else [dict(replies or {})]
        self.connections = 0
        self.chunk = chunk
        self.mode = mode
        self.commands = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(5)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _send(self, conn, data):
        for i in range(0, len(data), self.chunk):
            conn.sendall(data[i:i + self.chunk])
            time.sleep(0)

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stopping:
            try:
                conn, _addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            index = self.connections
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn, index), daemon=True).start()

    @staticmethod
    def _pick(entries, index):
        return entries[min(index, len(entries) - 1)]

    @staticmethod
    def _lookup(replies, cmd):
        if cmd in replies:
            return replies[cmd]
        for key, reply in replies.items():
            if key.endswith(" *") and cmd.startswith(key[:-1]):
                return reply
        return b"9001 syntax error\n"

    def _handle(self, conn, index):
        replies = self._pick(self.replies, index)
        try:
            if self.mode != "no-welcome":
                self._send(conn, self._pick(self.welcomes, index))
            buf = b""
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    cmd = line.decode().strip()
                    self.commands.append(cmd)
                    if self.mode in ("silent", "no-welcome"):
                        continue
                    reply = self._lookup(replies, cmd)
                    if self.mode == "close":
                        self._send(conn, reply[:len(reply) // 2])
                        return
                    self._send(conn, reply)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stopping = True
        self.sock.close()
        self.thread.join(2)

    @classmethod
    def recorded(cls, path, nodes=("a",), switch_after=1, version="bird_1.6.8"):
        """Serves the recorded BIRD replies (tests/unit/fixtures/bird/<VERSION>_<node>_*.bin) of
        node NODES[0] for the first SWITCH_AFTER connections, then of the next node, and so on
        (the last one stays): a BIRD that calico-node restarts with another state."""
        per_connection = [node for node in nodes for _repeat in range(switch_after)]

        def recorded(node, what):
            return fixture_bytes("bird", "%s_%s_%s.bin" % (version, node, what))

        return cls(path,
                   welcome=[recorded(node, "welcome") for node in per_connection],
                   replies=[{"show status": recorded(node, "show_status"),
                             "show protocols": recorded(node, "show_protocols"),
                             "show protocols all *": recorded(node, "show_protocols_all")}
                            for node in per_connection],
                   chunk=65536)
