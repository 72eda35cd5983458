#!/usr/bin/env bash
# Builds the C++ core and the Python module with AddressSanitizer and UBSan (the "asan" preset)
# and runs the C++-heavy tests on that build. Any sanitizer report fails the run.
#   tools/sanitized_tests.sh [pytest arguments]   (default: the C++-heavy test files)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset asan -DPython_EXECUTABLE="$(command -v python)" >/dev/null
cmake --build --preset asan -j"$(nproc)"
# The package's Python files beside the sanitized module, in a folder of its own.
pkg=build/asan/pkg
rm -rf "$pkg" && mkdir -p "$pkg"
cp -r python/onlinesgd "$pkg/"
cp build/asan/_core*.so "$pkg/onlinesgd/"
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  tests=(tests/test_step.py tests/test_fast_kernel.py tests/test_kernel_block.py tests/test_rule_steps.py
         tests/test_teacher_frame.py tests/test_gaussian_averages.py tests/test_ode_integrator.py
         tests/test_rule_theory.py tests/test_checkpoint.py tests/test_ziggurat.py -p no:cacheprovider)
fi
# Python itself is not built with ASan: preload the runtime, and ignore the interpreter's
# deliberate leaks at exit (every sanitizer error still aborts).
export LD_PRELOAD="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
PYTHONPATH="$pkg" python -m pytest -q "${tests[@]}"
