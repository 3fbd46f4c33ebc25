#!/usr/bin/env python3
"""Top ops by self CPU time in a Chrome trace from `axolotl_bench_lora --trace FILE` (LibTorch's legacy
profiler): per thread, events nest by time; an op's self time is its duration minus its children's.
usage: trace_ops.py FILE [N]"""
import json
import sys
from collections import defaultdict


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    with open(path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    by_tid = defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            by_tid[e.get("tid")].append((float(e["ts"]), float(e["dur"]), e["name"]))
    self_us, calls, total = defaultdict(float), defaultdict(int), 0.0
    for evs in by_tid.values():
        evs.sort(key=lambda x: (x[0], -x[1]))
        stack = []  # (end, name) of the open events
        for ts, dur, name in evs:
            while stack and stack[-1][0] <= ts:
                stack.pop()
            if stack:
                self_us[stack[-1][1]] -= dur  # the parent's self time excludes this child
            else:
                total += dur
            self_us[name] += dur
            calls[name] += 1
            stack.append((ts + dur, name))
    print(f"{'op':<48} {'self ms':>9} {'%':>6} {'calls':>7}")
    for name, us in sorted(self_us.items(), key=lambda x: -x[1])[:top]:
        print(f"{name[:48]:<48} {us / 1000:9.1f} {100 * us / total:6.1f} {calls[name]:7d}")
    print(f"{'total (top-level events)':<48} {total / 1000:9.1f}")


if __name__ == "__main__":
    main()
