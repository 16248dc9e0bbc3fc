#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
# promparse: parse the Prometheus text exposition format on stdin with
# Debian's python3-prometheus-client (prometheus_client.parser, the
# reference Python parser), then apply promtool's "check metrics" lint
# rules that matter here: every family has HELP and TYPE exactly once,
# counters are named *_total, no series twice, label values are valid
# UTF-8. Prints one line per sample, "TYPE NAME{k="v",...} VALUE", labels
# sorted and values escaped as in the format; exits 1 on any problem.
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

raw = sys.stdin.buffer.read()
try:
    text = raw.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit(f"promparse: not UTF-8: {e}")

problems = []
helps, types = {}, {}
for line in text.splitlines():
    m = re.match(r"# (HELP|TYPE) (\S+)", line)
    if m:
        d = helps if m.group(1) == "HELP" else types
        if m.group(2) in d:
            problems.append(f"{m.group(1)} twice for {m.group(2)}")
        d[m.group(2)] = True
for name in types:
    if name not in helps:
        problems.append(f"no HELP for {name}")

seen = set()
out = []
try:
    for fam in text_string_to_metric_families(text):
        if fam.type == "counter" and not re.search(r"_total$", fam.name + "_total"):
            problems.append(f"counter {fam.name} not *_total")
        for s in fam.samples:
            if fam.type == "counter" and not s.name.endswith("_total"):
                problems.append(f"counter sample {s.name} not *_total")
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in seen:
                problems.append(f"series twice: {s.name}{s.labels}")
            seen.add(key)
            lab = ",".join(
                '%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
                for k, v in sorted(s.labels.items()))
            val = s.value
            val = int(val) if val == int(val) and abs(val) < 1e15 else val
            out.append(f"{fam.type} {s.name}{{{lab}}} {val}")
except Exception as e:  # the parser raises ValueError and friends
    sys.exit(f"promparse: parse error: {e!r}")

if problems:
    sys.exit("promparse: " + "; ".join(problems))
print("\n".join(out))
