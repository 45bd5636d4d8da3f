#!/usr/bin/env python3
"""Runs the end-to-end suite and ends with one plain line: `N passed, M failed`.

Usage: python3 tests/e2e/run.py [-k PATTERN ...]

Exits non-zero when a test failed or errored, or when no test ran. Each server's log is
kept while the suite runs; after a failure the logs stay on disk and their paths are printed.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="patterns", action="append",
                        help="only run tests whose name matches (unittest -k semantics)")
    args = parser.parse_args()

    logdir = os.environ.get("FERROFTP_E2E_LOGDIR")
    own_logdir = logdir is None
    if own_logdir:
        logdir = tempfile.mkdtemp(prefix="ferroftp-e2e-logs-")
        os.environ["FERROFTP_E2E_LOGDIR"] = logdir

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [p if "*" in p else f"*{p}*" for p in args.patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult, stream=sys.stderr)
    started = time.monotonic()
    result = runner.run(suite)
    elapsed = time.monotonic() - started

    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    sys.stderr.write(f"e2e suite took {elapsed:.1f}s\n")
    if failed:
        sys.stderr.write(f"server logs kept in {logdir}:\n")
        for name in sorted(os.listdir(logdir)):
            sys.stderr.write(f"  {os.path.join(logdir, name)}\n")
    elif own_logdir:
        shutil.rmtree(logdir, ignore_errors=True)
    sys.stderr.flush()

    line = f"{result.passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line, flush=True)
    return 1 if failed or result.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
