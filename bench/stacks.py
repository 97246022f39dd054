"""Summarize py-spy's collapsed stacks (`py-spy record --format raw`): where the samples are.

    python bench/stacks.py PROFILE.txt [--top 25] [--match zoombot] [--threads]

Prints the functions with the most samples on the stack ("inclusive") and at the top of the
stack ("self"), as shares of all samples. --match keeps only frames whose file contains the
text (e.g. the project's own code); --threads splits samples by thread name first.
"""
from __future__ import annotations

import argparse
import collections
import re
import sys

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def frames_of(stack: str) -> list[tuple[str, str]]:
    out = []
    for raw in stack.split(";"):
        m = FRAME.match(raw.strip())
        if m:
            out.append((m["func"], m["file"]))
        else:
            out.append((raw.strip(), ""))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default=None)
    parser.add_argument("--threads", action="store_true")
    args = parser.parse_args()

    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    with open(args.profile) as handle:
        for line in handle:
            stack, _, count_text = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            count = int(count_text)
            total += count
            frames = frames_of(stack)
            if frames and frames[0][1] == "" and frames[0][0].startswith(("thread", "process")):
                threads[frames[0][0]] += count
            if args.match:
                frames = [f for f in frames if args.match in f[1]]
            seen = set()
            for func, file in frames:
                key = f"{func} ({file.rsplit('site-packages/', 1)[-1]})"
                if key not in seen:
                    inclusive[key] += count
                    seen.add(key)
            if frames:
                func, file = frames[-1]
                own[f"{func} ({file.rsplit('site-packages/', 1)[-1]})"] += count
    if not total:
        print("no samples")
        return 1
    print(f"{total} samples")
    if args.threads:
        print("\nby thread:")
        for name, count in threads.most_common(args.top):
            print(f"  {100 * count / total:5.1f}%  {name}")
    print("\ninclusive:")
    for name, count in inclusive.most_common(args.top):
        print(f"  {100 * count / total:5.1f}%  {name}")
    print("\nself:")
    for name, count in own.most_common(args.top):
        print(f"  {100 * count / total:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
