#!/usr/bin/env bash
# Installs the Python package from this checkout into a fresh virtual environment and runs its
# tests there with an empty LD_LIBRARY_PATH, from outside the source tree: the installed
# package must load its own copy of the Swift runtime.
#
#   python/check_install.sh                                  # release library (the default)
#   LOGITDYN_SWIFT_CONFIGURATION=debug python/check_install.sh   # reuse a debug build (CI)
#
# The venv sees the system's site-packages (numpy, pytest, ml_dtypes), so nothing is
# downloaded; the package itself installs without build isolation (its backend needs no
# package).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation --disable-pip-version-check "$repo/python"
cd "$work"
env -u LOGITDYN_LIBRARY LD_LIBRARY_PATH= "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$repo/python/tests"
