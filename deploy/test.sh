#!/usr/bin/env bash
# The one test command: installs dependencies, builds with warnings as errors, runs every suite,
# then runs the unit and fuzz-corpus suites again under ASan+UBSan (clang, separate build dir,
# libFuzzer targets built too). Ends with `tests: N passed, N failed, N skipped` and exits
# non-zero on any failure (and, with CI=true, on any skipped test).
#
#   deploy/test.sh                 everything
#   SKIP_DEPS=1 deploy/test.sh     don't run install-deps.sh (already installed)
#   SKIP_SANITIZE=1 deploy/test.sh skip the ASan/UBSan pass (local iteration only)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

step() { printf '\n== %s (%ds)\n' "$*" $(( $(date +%s) - started )) >&2; }

if [ -z "${SKIP_DEPS:-}" ]; then
  step "installing dependencies"
  bash deploy/install-deps.sh || { echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }
fi

setup() {  # setup DIR [meson options...]
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

status=0
dirs=()

step "configure + build (gcc, -Werror)"
if setup build --werror && ninja -C build; then
  step "test: every suite"
  meson test -C build --print-errorlogs --num-processes 2 || status=1
  dirs+=(build)
else
  echo "build failed" >&2
  status=1
fi

if [ -z "${SKIP_SANITIZE:-}" ]; then
  step "configure + build (clang, ASan+UBSan, libFuzzer targets)"
  if CC=clang CXX=clang++ setup build-asan --werror -Db_sanitize=address,undefined \
       -Db_lundef=false -Dfuzz=true -Ddpdk=disabled -Dbuildtype=debugoptimized &&
     ninja -C build-asan; then
    step "test: unit + fuzz-corpus under ASan+UBSan"
    ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      meson test -C build-asan --print-errorlogs --num-processes 2 \
        --suite unit --suite fuzz-corpus || status=1
    dirs+=(build-asan)
  else
    echo "sanitizer build failed" >&2
    status=1
  fi
fi

step "results"
if [ "${#dirs[@]}" -eq 0 ]; then
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
python3 "$root/deploy/count_tests.py" "${dirs[@]/#/$root/}" || status=1
exit $status
