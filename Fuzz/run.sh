#!/bin/sh
# Builds the fuzz targets (libFuzzer + AddressSanitizer + SanitizerCoverage, release) and runs
# one target, or all of them, for SECONDS each on their committed corpus.
#   ./run.sh TARGET SECONDS [extra libFuzzer flags]    e.g. ./run.sh fuzz-npy 60
#   ./run.sh all SECONDS
#   ./run.sh merge TARGET                              minimise corpus/TARGET in place
#   FUZZ_NO_BUILD=1 ./run.sh ...                       skip the build (several runs side by side)
# Crashes, leaks, inputs slower than 1 s and allocations over 2 GiB are failures: libFuzzer
# stops and writes the input to artifacts/. New inputs go to a scratch copy (logs/new-TARGET),
# so the committed corpus changes only through `merge`. Logs: logs/TARGET.log.
set -eu
cd "$(dirname "$0")"
targets="fuzz-npy fuzz-safetensors fuzz-nfg fuzz-json-game fuzz-loss-batch fuzz-toml fuzz-jsonl fuzz-run-log"
# Swift's backtracer would wait on a crashing process; libFuzzer reports the crash itself.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
# TOMLKit's own leaks, and only those, are suppressed (see lsan.supp).
export LSAN_OPTIONS="suppressions=$(pwd)/lsan.supp:print_suppressions=0"

build() {
  # FUZZ_NO_BUILD=1 runs what is built (for several runs at once: one build at a time).
  [ "${FUZZ_NO_BUILD:-0}" = 1 ] && return 0
  swift build -c release --sanitize fuzzer --sanitize address \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp >&2
}

run_one() {
  target=$1; seconds=$2; shift 2
  bin=$(swift build -c release --sanitize fuzzer --sanitize address --show-bin-path)/$target
  mkdir -p artifacts logs "logs/new-$target"
  echo "== $target, ${seconds}s" >&2
  # TOMLKit leaks on every parse (see lsan.supp): checking each input for leaks while fuzzing
  # would be 97% of the time, so the TOML target checks leaks in the pass below instead.
  leaks=1
  [ "$target" = fuzz-toml ] && leaks=0
  "$bin" "logs/new-$target" "corpus/$target" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 \
    -max_len=8192 -detect_leaks=$leaks -print_final_stats=1 -artifact_prefix="artifacts/$target-" "$@" 2>&1 \
    | tee "logs/$target.log" | grep -E "^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" >&2 || true
  # Every input of the corpus and of this run once more, with leak detection on.
  "$bin" "corpus/$target" "logs/new-$target" -runs=0 -timeout=1 -rss_limit_mb=2048 -max_len=8192 -detect_leaks=1 \
    -artifact_prefix="artifacts/$target-" > "logs/$target-leaks.log" 2>&1 || true
  grep -E "^==[0-9]+==ERROR|SUMMARY" "logs/$target-leaks.log" >&2 || true
  # libFuzzer's exit status is lost in the pipe: a crash leaves its input in artifacts/.
  if ls "artifacts/$target-"* >/dev/null 2>&1; then echo "$target: FAILED, see artifacts/ and logs/$target.log" >&2; return 1; fi
}

case "${1:-}" in
  all)
    build
    status=0
    for t in $targets; do run_one "$t" "${2:?seconds}" || status=1; done
    exit $status ;;
  merge)
    build
    t=${2:?target}
    bin=$(swift build -c release --sanitize fuzzer --sanitize address --show-bin-path)/$t
    mkdir -p "logs/merged-$t"
    "$bin" -merge=1 -timeout=1 -rss_limit_mb=2048 -max_len=8192 "logs/merged-$t" "corpus/$t" "logs/new-$t" > "logs/merge-$t.log" 2>&1
    rm -rf "corpus/$t" && mv "logs/merged-$t" "corpus/$t"
    echo "$t: $(ls "corpus/$t" | wc -l) inputs after merging" >&2 ;;
  fuzz-*)
    build
    t=$1; s=${2:?seconds}; shift 2
    run_one "$t" "$s" "$@" ;;
  *)
    echo "usage: $0 TARGET|all SECONDS [libFuzzer flags] | $0 merge TARGET   (targets: $targets)" >&2
    exit 2 ;;
esac
