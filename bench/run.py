"""`make bench`: run every benchmark, print one markdown report, keep it in results/latest.md."""

from __future__ import annotations

import platform
import sys
import time

from bench import cache_bench
from bench.table import RESULTS


def main() -> None:
    sections = [
        f"# memory admin benchmarks — {time.strftime('%Y-%m-%d %H:%M')} "
        f"({platform.machine()}, Python {platform.python_version()})\n",
        "Ratios are measured in the same run; absolute figures vary with machine load.\n",
    ]
    for name, module in (("cache", cache_bench),):
        sys.stderr.write(f"running {name} benchmarks...\n")
        sections.append(module.main())
    report = "\n".join(sections)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(report)
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
