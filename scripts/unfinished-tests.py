"""Prints the tests that a `swift test` log shows started and never ended (used by scripts/test
when the run goes past its time limit)."""
import re
import sys

started, ended = [], set()
pattern = re.compile(r'Test (case passing .*? to )?(".*?"|\S+\(.*?\)) (started|passed|failed|skipped|recorded)')
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        m = pattern.search(line)
        if not m or m.group(1) or m.group(3) == "recorded":
            continue
        name = m.group(2)
        if m.group(3) == "started":
            started.append(name)
        else:
            ended.add(name)
for name in started:
    if name not in ended:
        print("  " + name)
