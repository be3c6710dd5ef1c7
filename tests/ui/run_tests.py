#!/usr/bin/python3
"""Run the UI tests: every `test_*` function of every tests/ui/test_*.py module.

  run_tests.py [-k SUBSTRING] [MODULE ...]

Each test runs on its own; apps it started are killed afterwards whatever happened, and a
screenshot of the screen at the moment of failure goes to build/ui-failures/. Prints one
line per test with its time and closes with 'N passed, N failed'; exits 1 on any failure.
"""
import argparse
import glob
import importlib.util
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402

FAILURES = os.path.join(lib.REPO, "build", "ui-failures")


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-k", dest="pattern", help="run only tests whose name contains this")
    parser.add_argument("modules", nargs="*", help="test modules (default: tests/ui/test_*.py)")
    args = parser.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    paths = args.modules or sorted(glob.glob(os.path.join(here, "test_*.py")))
    tests = []
    for path in paths:
        module = load(path)
        found = [(getattr(module, a).__code__.co_firstlineno, f"{module.__name__}.{a}", getattr(module, a))
                 for a in dir(module)
                 if a.startswith("test_") and callable(getattr(module, a))
                 and getattr(getattr(module, a), "__module__", None) == module.__name__]
        # In the order they are written: earlier tests check what later ones rely on.
        for _line, name, fn in sorted(found, key=lambda t: t[0]):
            if not args.pattern or args.pattern in name:
                tests.append((name, fn))

    passed, failed, skipped = 0, [], 0
    for name, fn in tests:
        start = time.monotonic()
        reason = ""
        try:
            fn()
            status = "PASS"
            passed += 1
        except lib.Skip as e:
            status = "SKIP"
            reason = f": {e}"
            skipped += 1
        except Exception as e:
            status = "FAIL"
            shot = os.path.join(FAILURES, f"{name}.png")
            lib.screenshot_screen(shot)
            failed.append((name, e, traceback.format_exc(), shot))
        finally:
            for app in list(lib.LIVE_APPS):
                if status == "FAIL":
                    failed[-1] = failed[-1] + (app.output(),)
                app.quit()
        print(f"{status} {name} ({time.monotonic() - start:.1f}s){reason}", flush=True)

    for name, e, tb, shot, *logs in failed:
        print(f"\n=== {name} ===\n{tb}screenshot: {shot}")
        for log in logs:
            print(f"--- app output ---\n{log}")
    print(f"\n{passed} passed, {len(failed)} failed, {skipped} skipped")
    if not tests:
        print("no UI tests found", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
