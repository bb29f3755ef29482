"""How long `convier --help` takes to answer, in a fresh interpreter each time, for one or more
checkouts (a path each: the code is imported from there). Prints the median, the fastest and the
slowest of --runs wall-clock times per checkout, and the ratio of the medians to the first.

    .venv/bin/python bench/cli_help.py --runs 15 /path/to/before /path/to/after
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HELP = "from service.cli import main; main(['--help'])"


def timings(checkout: Path, runs: int) -> list[float]:
    """Wall-clock seconds of `runs` fresh `convier --help`, importing the code of `checkout`."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", HELP], cwd=checkout, check=True, stdout=subprocess.DEVNULL
        )
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    """Measure each checkout and print a line each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    first = None
    for checkout in args.checkouts:
        measured = timings(checkout.resolve(), args.runs)
        median = statistics.median(measured)
        first = first or median
        print(f"{checkout}: median {median:.3f} s, fastest {min(measured):.3f} s, "
              f"slowest {max(measured):.3f} s, {median / first:.2f}× the first")  # fmt: skip


if __name__ == "__main__":
    main()
