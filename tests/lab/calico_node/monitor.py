"""`calico-node -monitor-addresses`: re-detect the node's address every poll interval.

Follows MonitorIPAddressSubnets / configureAndCheckIPAddressSubnets in
node/pkg/lifecycle/startup/startup.go (projectcalico/calico v3.24.5; the same loop since
node v3.15.2 / v3.16.0, pkg/startup/startup.go):
- reads its Node once, then every AUTODETECT_POLL_INTERVAL (a Go duration, default 60 s;
  unparsable -> an error line and 60 s) re-runs IP_AUTODETECTION_METHOD, but only when
  IP=autodetect (or IP is unset and the Node has no address, which never happens after
  start-up). IP=<address> keeps that address; IP unset keeps the stored one.
- a changed address: "Node IPv4 changed", a conflict check against every other Node, then
  the Node is written (3 tries) and "Updated node IP addresses" is logged.
- Before v3.29.0 the Node is read once, when the monitor starts, and the write
  (CreateOrUpdate) goes through libcalico-go's resourceToKVPair, which clears the caller's
  ResourceVersion. So the first change is written; every later one becomes a Create that
  fails ("resource already exists: Node(<name>)") until the monitor restarts. Commit
  72b396abe8 (v3.29.0) re-reads the Node every poll, and every change is written.
- a conflict, or a failed detection without a stored address: the Node's address is cleared
  (IP=autodetect only) and the process exits ("Terminating"); runit starts it again.
Log lines carry the `monitor-addresses/` component prefix of logutils.Formatter; line
numbers are v3.24.5's.
"""
import ipaddress
import json
import re
import time

import autodetect
import calicolog as log
import release

NODES = "/calico/resources/v3/projectcalico.org/nodes/"
DEFAULT_INTERVAL = 60.0
STARTUP = "monitor-addresses/startup.go "
METHODS = "monitor-addresses/autodetection_methods.go "
# autodetection_methods.go line of each method's "Using autodetected ..." (v3.24.5).
METHOD_LINES = (("interface=", 117), ("cidr=", 131), ("can-reach=", 143), ("skip-interface=", 161))
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text):
    """Go's time.ParseDuration for non-negative values ("5s", "1m30s", "1.5s") -> seconds;
    ValueError otherwise. A bare "0" is valid, a bare number is not."""
    if text == "0":
        return 0.0
    body = text[1:] if text[:1] == "+" else text
    if not body:
        raise ValueError('time: invalid duration "%s"' % text)
    if re.fullmatch(r"\d+(\.\d*)?", body):
        raise ValueError('time: missing unit in duration "%s"' % text)
    pos, total = 0, 0.0
    while pos < len(body):
        match = _PART.match(body, pos)
        if not match:
            raise ValueError('time: invalid duration "%s"' % text)
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return total


def poll_interval(env):
    raw = env.get("AUTODETECT_POLL_INTERVAL", "")
    if not raw:
        return DEFAULT_INTERVAL
    try:
        return parse_duration(raw)
    except ValueError as exc:
        log.error(STARTUP + "252", "error parsing node IP auto-detect polling interval %s" % raw, error=str(exc))
        return DEFAULT_INTERVAL


def _address(resource):
    return (((resource or {}).get("spec") or {}).get("bgp") or {}).get("ipv4Address") or ""


def _method_line(method):
    for prefix, line in METHOD_LINES:
        if method.startswith(prefix):
            return line
    return 103


class Monitor:
    def __init__(self, env, nodename, etcd, version):
        self.env, self.nodename, self.etcd, self.version = env, nodename, etcd, version
        self.ip_env = env.get("IP", "")
        self.rereads = release.parse(version) >= (3, 29, 0)
        self.node, self.revision = None, 0

    def get_node(self):
        raw, self.revision = self.etcd.get_with_revision(NODES + self.nodename)
        self.node = json.loads(raw) if raw else {"spec": {}}

    def run(self):
        interval = poll_interval(self.env)
        self.get_node()
        while True:
            time.sleep(interval)
            if self.rereads:
                self.get_node()
            if self.check():
                self.write()

    # configureAndCheckIPAddressSubnets
    def check(self):
        old = _address(self.node)
        new = self.configure(old)
        if new == old:
            return False
        log.info(STARTUP + "561", "Node IPv4 changed, will check for conflicts")
        if self.env.get("DISABLE_NODE_IP_CHECK") != "true" and self.conflicts(new):
            self.clear_and_terminate()
        return True

    # configureIPsAndSubnets (IPv4 part)
    def configure(self, old):
        if self.ip_env == "autodetect" or (self.ip_env == "" and not old):
            method = self.env.get("IP_AUTODETECTION_METHOD", "")
            try:
                _name, addr, message = autodetect.detect(method, self.version)
            except autodetect.AutodetectError as exc:
                log.error(METHODS + "60", str(exc))
                addr, message = None, None
            if addr is not None:
                log.info(METHODS + str(_method_line(method)), message)
                self.set_address(str(addr))
                return str(addr)
            if not old:
                log.warning(STARTUP + "507", "Couldn't autodetect an IPv4 address. If auto-detecting, choose a "
                            "different autodetection method. Otherwise provide an explicit address.")
                self.clear_and_terminate()
            log.warning(STARTUP + "513", "Autodetection of IPv4 address failed, keeping existing value: %s" % old)
            self.validate(old)
            return old
        if self.ip_env not in ("", "none"):
            cidr = self.local_cidr(self.ip_env)
            self.set_address(cidr)
            self.validate(cidr)
            return cidr
        self.validate(old)
        return old

    def local_cidr(self, ip_text):
        """autodetection.GetLocalCIDR: the address with its interface's prefix if local."""
        ip = ip_text.split("/")[0]
        for _index, _name, addrs in autodetect.interfaces():
            for addr in addrs:
                if str(addr.ip) == ip:
                    return str(addr)
        return ip_text

    def validate(self, cidr):
        if not cidr:
            return
        ip = ipaddress.ip_interface(cidr).ip
        if any(addr.ip == ip for _i, _n, addrs in autodetect.interfaces() for addr in addrs):
            return
        log.warning(STARTUP + "622", "Unable to confirm IPv4 address %s is assigned to this host" % ip)

    def set_address(self, cidr):
        self.node.setdefault("spec", {}).setdefault("bgp", {})["ipv4Address"] = cidr

    # checkConflictingNodes (IPv4 part)
    def conflicts(self, new_cidr):
        ours = new_cidr.split("/")[0]
        conflict = False
        for key, raw in sorted(self.etcd.get_prefix(NODES).items()):
            try:
                theirs = _address(json.loads(raw)).split("/")[0]
            except ValueError:
                continue
            name = key[len(NODES):]
            if name == self.nodename:
                if theirs and theirs != ours:
                    log.warning(STARTUP + "978", "IPv4 address has changed. This could happen if there are "
                                "multiple nodes with the same name.", node=name, original=theirs, updated=ours)
            elif theirs and theirs == ours:
                log.warning(STARTUP + "990", "Calico node '%s' is already using the IPv4 address %s." % (name, ours))
                conflict = True
        return conflict

    def clear_and_terminate(self):
        """clearNodeIPs (IP=autodetect, and only while the Node has a ResourceVersion) +
        utils.Terminate. The cleared address is the new, conflicting one."""
        if self.ip_env == "autodetect" and self.revision:
            log.info(STARTUP + "391", "Clearing out-of-date IPv4 address from this node", IP=_address(self.node))
            self.set_address("")
            try:
                error = self.create_or_update()
            except OSError as exc:
                error = str(exc)
            if error:
                log.warning(STARTUP + "407", "Failed to clear node addresses", error=error)
        log.warning("monitor-addresses/utils.go 49", "Terminating")
        raise SystemExit(1)

    def write(self):
        for _attempt in range(3):
            try:
                error = self.create_or_update()
            except OSError as exc:
                error = str(exc)
            if error is None:
                log.info(STARTUP + "356", "Updated node IP addresses")
                return
            log.error(STARTUP + "359", "Unable to set node resource configuration, retrying...", error=error)

    def create_or_update(self):
        """CreateOrUpdate: Update when the Node carries a ResourceVersion, else Create."""
        key, body = NODES + self.nodename, json.dumps(self.node)
        if self.revision:
            revision, self.revision = self.revision, 0  # resourceToKVPair clears it, success or not
            if self.etcd.put_if_revision(key, body, revision) is None:
                return "update conflict: Node(%s)" % self.nodename
            return None
        if self.etcd.put_if_absent(key, body):
            return None
        return "resource already exists: Node(%s)" % self.nodename
