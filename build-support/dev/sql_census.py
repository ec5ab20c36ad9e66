#!/usr/bin/env python3
"""Counts the SQL statements a platform run executed, per created booking (issue 25).

Run the booking bench with every statement logged, then count them:

    RUST_LOG=info,sqlx::query=debug BENCH_LOG=/tmp/sqlx.log BENCH_SECONDS=5 \\
        BENCH_BACKEND=embedded cargo bench -p estospaces --bench booking_load | tee /tmp/bench.txt
    build-support/dev/sql_census.py /tmp/sqlx.log /tmp/bench.txt

Statements are counted from the first booking inserted, grouped by their first 100
characters, with the time sqlx measured for each (logging slows the run: read the counts, not
the times, as the cost).
"""

import collections
import re
import sys


def main(log_path: str, bench_path: str, top: int = 30) -> None:
    created = int(re.search(r"created: (\d+)", open(bench_path).read()).group(1))
    counts: collections.Counter[str] = collections.Counter()
    seconds: collections.Counter[str] = collections.Counter()
    started = False
    for line in open(log_path):
        found = re.search(r'db\.statement="(.*?)" rows_affected', line)
        if not found:
            continue
        statement = re.sub(r"(\\n|\s)+", " ", found.group(1)).strip()
        started = started or "INSERT INTO bookings" in statement
        if not started:
            continue
        key = statement[:100]
        counts[key] += 1
        elapsed = re.search(r"elapsed_secs=([0-9.e-]+)", line)
        if elapsed:
            seconds[key] += float(elapsed.group(1))
    total = sum(counts.values())
    print(f"{total} statements for {created} bookings: {total / created:.1f} per booking")
    print("count  per booking  summed ms  statement")
    for key, count in counts.most_common(top):
        print(f"{count:6d} {count / created:11.2f} {seconds[key] * 1000:10.0f}  {key}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], *(int(arg) for arg in sys.argv[3:4]))
