# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes the chosen report formats to report_dir; a failure is a warning, never an error.

FORMATS is the table of formats: name (the ``formats`` option's value) -> Format(file name,
render function). A render function takes the Analysis (plugin_utils._analysis) and returns
the file's text; it renders, never decides. A new format is one module under reports/ and
one row here (and its name in the ``formats`` choices of plugins/modules/mesh_check.py).
"""
from __future__ import annotations

import os
import tempfile
from collections import namedtuple

from . import history
from .html_report import render_html
from .json_report import render_json
from .junit_report import render_junit
from .prometheus_report import render_prometheus
from .printable import printable
from .text_summary import render_text_file

Format = namedtuple("Format", "filename render")

FORMATS = {
    "json": Format("report.json", render_json),
    "junit": Format("junit.xml", render_junit),
    "html": Format("report.html", render_html),
    "text": Format("summary.txt", render_text_file),
    "prometheus": Format("meshdoctor.prom", render_prometheus),
}
# Formats read by people and parsers as text: node text in them is written out with printable()
# (report.json keeps it exactly: JSON escapes every control character itself).
ESCAPED = ("junit", "html", "text")


def _write(path, text):
    """Write text to path atomically (temporary file in the same directory, then rename)."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".meshdoctor-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_reports(analysis, report_dir, formats, history_count=0):
    """([written paths], [warning sentences]). With history_count, each root cause's first sighting is read
    from the kept reports first (analysis.first_seen), and this run's report.json is kept beside them."""
    written, problems, texts = [], [], {}
    # Every step may fail on anything a node reported: each failure is a warning (one sentence,
    # itself printable), never an exception out of mesh_check.
    try:
        report_dir = os.path.expanduser(str(report_dir))
        os.makedirs(report_dir, exist_ok=True)
    except Exception as exc:  # pylint: disable=broad-except
        return [], ["mesh_check: reports not written: cannot create %s (%s)" % (printable(report_dir), _why(exc))]
    if history_count:
        try:
            analysis.first_seen, problems = history.first_seen(analysis.root_causes, report_dir, analysis.generated_at)
        except Exception as exc:  # pylint: disable=broad-except
            problems = ["mesh_check: history not read (%s)" % _why(exc)]
    for fmt in formats:
        if fmt not in FORMATS:
            problems.append("mesh_check: unknown report format %s skipped" % printable(repr(fmt)))
            continue
        filename, render = FORMATS[fmt].filename, FORMATS[fmt].render
        path = os.path.join(report_dir, filename)
        try:
            text = texts[fmt] = render(analysis)
            if fmt in ESCAPED:
                text = printable(text)
        except Exception as exc:  # pylint: disable=broad-except  # a report must not cost the analysis
            problems.append("mesh_check: %s not rendered (%s)" % (filename, _why(exc)))
            continue
        try:
            _write(path, text)
        except Exception as exc:  # pylint: disable=broad-except
            problems.append("mesh_check: %s not written (%s)" % (printable(path), _why(exc)))
            continue
        written.append(os.path.abspath(path))
    if history_count:
        try:
            text = texts.get("json") or render_json(analysis)      # the kept copy is report.json itself
            kept, trouble = history.keep(report_dir, analysis.generated_at, text, history_count, _write)
        except Exception as exc:  # pylint: disable=broad-except  # a report must not cost the analysis
            problems.append("mesh_check: history not kept (%s)" % _why(exc))
        else:
            written.extend(kept)
            problems.extend(trouble)
    return written, problems


def _why(exc):
    """'KeyError: boom' (or the OS's sentence), printable."""
    detail = getattr(exc, "strerror", None) if isinstance(exc, OSError) else None
    return printable(detail or "%s: %s" % (type(exc).__name__, exc))
