"""Runs einc's Python tests for ctest (`make test`): pytest over python/tests with the package
built in the build tree, or prints why they are skipped and exits 77 (ctest's skip code)."""
import importlib.util
import os
import sys

SKIP = 77


def skip(why):
    print(f"SKIPPED: einc's Python tests: {why}", flush=True)
    sys.exit(SKIP)


def main():
    # argv: BUILD_PYTHON_DIR [reason the extension was not built]
    if len(sys.argv) > 2 and sys.argv[2]:
        skip(f"the extension was not built ({sys.argv[2]})")
    missing = [m for m in ("numpy", "pytest") if importlib.util.find_spec(m) is None]
    if missing:
        skip(f"{sys.executable} lacks {', '.join(missing)} (python3 -m pip install numpy pytest einx==0.4.3)")
    if importlib.util.find_spec("einx") is None:
        print("NOTE: einx is not installed: the differential tests against einx 0.4.3 are skipped", flush=True)
    sys.path.insert(0, sys.argv[1])
    os.environ["PYTHONPATH"] = sys.argv[1] + os.pathsep + os.environ.get("PYTHONPATH", "")
    import pytest

    here = os.path.dirname(os.path.abspath(__file__))
    rc = pytest.main(["-q", "-p", "no:cacheprovider", here])
    sys.exit(int(rc))


if __name__ == "__main__":
    main()
