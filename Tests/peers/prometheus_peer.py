"""Parses a Prometheus text exposition with the official client's parser (not ours).

Usage: prometheus_peer.py FILE
Prints one JSON object: {"families": {name: type}, "samples": [[name, labels, value]...]}.
Exits non-zero if the text does not parse.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    families, samples = {}, []
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for s in family.samples:
            samples.append([s.name, s.labels, s.value])
    print(json.dumps({"families": families, "samples": samples}))


if __name__ == "__main__":
    main()
