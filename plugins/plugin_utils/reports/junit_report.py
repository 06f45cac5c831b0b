# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""junit.xml for CI: a testsuite per check family, a testcase per node (classname meshdoctor.<family>).

Errors are <failure>s; warnings and infos go to the testcase's <system-out>; checks that need
a node's facts are <skipped> when there are none. Cluster-wide findings (datastore) are the
testcase named "cluster". Renders, never decides.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ..checks import FAMILIES

NEEDS_FACTS = ("calico_node", "docker", "sessions", "routes", "autodetection", "docker_bridges")


def render_junit(analysis):
    per = {}
    for item in analysis.findings:
        per.setdefault((item["check"], item["node"]), []).append(item)
    status = {node.name: node.status for node in analysis.cluster.nodes}
    names = [node.name for node in analysis.cluster.nodes]
    root = ET.Element("testsuites", name="meshdoctor", timestamp=analysis.generated_at)
    total = failures = skipped = 0
    for check in FAMILIES:
        suite = ET.SubElement(root, "testsuite", name="meshdoctor.%s" % check)
        s_tests = s_fail = s_skip = 0
        targets = names + (["cluster"] if check == "datastore" else [])
        for name in targets:
            items = per.get((check, None if name == "cluster" else name), [])
            case = ET.SubElement(suite, "testcase", classname="meshdoctor.%s" % check, name=name, time="0")
            s_tests += 1
            errors = [i for i in items if i["severity"] == "error"]
            others = [i for i in items if i["severity"] != "error"]
            if errors:
                s_fail += 1
                fail = ET.SubElement(case, "failure", message=errors[0]["message"], type=errors[0]["code"])
                fail.text = "\n".join("%s %s: %s" % (i["id"], i["code"], i["message"]) for i in errors)
            elif check in NEEDS_FACTS and status.get(name, "ok") != "ok":
                s_skip += 1
                ET.SubElement(case, "skipped", message="no facts from %s (%s)" % (name, status.get(name)))
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join("%s %s [%s]: %s" % (i["id"], i["code"], i["severity"], i["message"])
                                     for i in others)
        suite.set("tests", str(s_tests))
        suite.set("failures", str(s_fail))
        suite.set("errors", "0")
        suite.set("skipped", str(s_skip))
        total, failures, skipped = total + s_tests, failures + s_fail, skipped + s_skip
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
