#!/usr/bin/python3
"""Parses Prometheus text (stdin) with prometheus_client's own parser (Debian's
python3-prometheus-client) and prints every sample as JSON: [{"name", "labels", "value",
"type"}]. Exit 1 with the parser's error when the text does not parse."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

try:
    out = []
    for family in text_string_to_metric_families(sys.stdin.read()):
        for s in family.samples:
            out.append({"name": s.name, "labels": s.labels, "value": s.value,
                        "type": family.type})
    print(json.dumps(out))
except Exception as e:  # the parser raises ValueError and others
    print(f"does not parse: {e}", file=sys.stderr)
    sys.exit(1)
