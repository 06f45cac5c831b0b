"""calico-node's log line format: `2026-11-24 13:50:00.123 [INFO][1] startup/startup.go 564: msg`.

The file/line tags are the ones real calico-node prints for the same message, so the
collection's log parsing is exercised with the wording it will meet in the field.
"""
import os
import sys
import time

_PID = os.getpid()


def log(level, where, msg, **fields):
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + ".%03d" % int(now % 1 * 1000)
    extra = "".join(' %s="%s"' % (k, v) for k, v in fields.items())
    sys.stdout.write("%s [%s][%d] %s: %s%s\n" % (stamp, level, _PID, where, msg, extra))
    sys.stdout.flush()


def info(where, msg, **fields):
    log("INFO", where, msg, **fields)


def warning(where, msg, **fields):
    log("WARNING", where, msg, **fields)


def error(where, msg, **fields):
    log("ERROR", where, msg, **fields)


def fatal(where, msg, **fields):
    """calico-node logs at FATAL/ERROR and exits non-zero; the container then restarts."""
    log("FATAL", where, msg, **fields)
    sys.exit(1)
