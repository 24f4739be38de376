#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ with clang, in a directory
# of their own (the gcc build is left as it is), and runs each on its
# corpus.  Ends with "tests: N passed, N failed", like tests/run.
#
#   scripts/fuzz.sh [-o DIR] [--build-only] [--merge] [--strict] [NAME...]
#   scripts/fuzz.sh --crashes
#
# FUZZ_SECONDS (default 30) per harness; FUZZ_RUNS executions instead, or
# whichever comes first when both are set.  FUZZ_SEED fixes libFuzzer's
# seed: with FUZZ_RUNS and a fresh DIR, a run is the same on every machine.
# DIR (default build-fuzz/) holds the binaries and, per harness, the inputs
# found this time (DIR/NAME/corpus), the log and any reproducer.  The
# corpus in tests/fuzz/corpus/NAME is only read, unless --merge (by hand,
# never in CI) adds to it the new inputs that reach new coverage.
# --strict builds without the limits below (into build-fuzz-strict/);
# --crashes replays tests/fuzz/crashes/ on that build: which are still open.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=
build_only=0
merge=0
strict=0
crashes=0
names=()
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift ;;
	--build-only) build_only=1 ;;
	--merge) merge=1 ;;
	--strict) strict=1 ;;
	--crashes) crashes=1; strict=1 ;;
	-h|--help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
	*) names+=("$1") ;;
	esac
	shift
done
[ ${#names[@]} -gt 0 ] || names=(config lines junit cobertura record secrets actions webhook docker sentry github)
[ -n "$out" ] || out=$src/build-fuzz$([ $strict -eq 1 ] && echo -strict)
runs=${FUZZ_RUNS:-}
seconds=${FUZZ_SECONDS:-$([ -n "$runs" ] || echo 30)}

# The parsers of untrusted input and what they need; nothing else of the core.
# The API clients also read main's slipway.json and GitHub's follows a run
# (core/run.c, the executor behind it, core/follow.c), which their readers
# never reach: the linker leaves out what nothing calls (--gc-sections),
# and with it the need.
core=(util suggest regex metrics report_lines report_xml json_check config session record store secrets
	yamltree json_print actions actions_cond actions_expr actions_job actions_matrix actions_uses webhook_payload
	http docker docker_containers docker_stream docker_image docker_swarm sentry github)
declare -A dict=([config]=json [record]=json [junit]=xml [cobertura]=xml [lines]=lines [webhook]=webhook [docker]=docker
	[sentry]=http [github]=http)

# A known bug whose fix is not in yet keeps its reproducer in
# tests/fuzz/crashes/ and may turn off, per core file (limits) or in the
# harnesses (harness_limits), the check that finds it: none today.
declare -A limits=()
harness_limits=

CC=${FUZZ_CC:-clang}
san="-fsanitize=address,undefined,float-cast-overflow,integer-divide-by-zero -fno-sanitize-recover=all"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -I$src/include -I$src -I$src/tests/fuzz -I$out/obj
	-ffunction-sections -fdata-sections -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	$(pkg-config --cflags libcjson libpcre2-8 expat yaml-0.1 libcurl)"
# Every function in a section of its own, for --gc-sections (above); -z
# start-stop-gc lets it drop their coverage tables too, which ld otherwise
# keeps, and all they point to, because libFuzzer finds them by name.
libs="-Wl,--gc-sections,-z,start-stop-gc $(pkg-config --libs libcjson libpcre2-8 expat yaml-0.1 libcurl)"
if [ $strict -eq 1 ]; then
	limits=()
	harness_limits=
fi

check_compiler() {
	local probe=$out/probe
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$probe.c"
	if ! $CC -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >"$probe.log" 2>&1; then
		cat "$probe.log" >&2
		echo "fuzz.sh: $CC cannot build a libFuzzer harness: run scripts/install-deps.sh test" \
			"(Debian packages clang and libclang-rt-14-dev)" >&2
		exit 1
	fi
	rm -f "$probe" "$probe.c" "$probe.log"
}

# Rebuilt when the source, a header or this script changed.
stale() {
	local obj=$1 s
	shift
	[ -f "$obj" ] || return 0
	for s in "$@" "$0" "$src"/include/slipway/*.h "$src"/core/*.h "$src"/tests/fuzz/*.h "$out"/obj/config.h; do
		[ "$s" -nt "$obj" ] && return 0
	done
	return 1
}

compile() {
	local obj=$1 source=$2
	shift 2
	stale "$obj" "$source" || return 0
	# shellcheck disable=SC2086 # the flags are words
	$CC $cflags $san "$@" -c "$source" -o "$obj" || exit 1
}

# core/github.c's user agent names the version: configure's, from AC_INIT.
config_h() {
	local v h=$out/obj/config.h
	v=$(sed -n 's/^AC_INIT(\[slipway\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")
	grep -qs "\"$v\"" "$h" || printf '#define PACKAGE_VERSION "%s"\n' "$v" >"$h"
}

build() {
	mkdir -p "$out/obj"
	check_compiler
	config_h
	local objs=() c n
	for c in "${core[@]}"; do
		# shellcheck disable=SC2086
		compile "$out/obj/$c.o" "$src/core/$c.c" -fsanitize=fuzzer-no-link ${limits[$c]:-}
		objs+=("$out/obj/$c.o")
	done
	for n in "${names[@]}"; do
		[ -f "$src/tests/fuzz/fuzz_$n.c" ] || { echo "fuzz.sh: no harness $n" >&2; exit 2; }
		# shellcheck disable=SC2086
		compile "$out/obj/fuzz_$n.o" "$src/tests/fuzz/fuzz_$n.c" -fsanitize=fuzzer $harness_limits
		if stale "$out/fuzz_$n" "$out/obj/fuzz_$n.o" "${objs[@]}"; then
			# shellcheck disable=SC2086
			$CC $san -fsanitize=fuzzer "$out/obj/fuzz_$n.o" "${objs[@]}" $libs -o "$out/fuzz_$n" || exit 1
		fi
	done
}

# The libFuzzer status line's "cov: N ft: N corp: N/..." and the run count.
summary() {
	local log=$1 last execs
	last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse)' "$log" | tail -1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	local cov ft corp rate
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[bKM]*\).*/\1/p' <<<"$last")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	echo "${execs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
}

# Where the reproducer went, its size and, when short, its bytes; run once
# more with whole allocation stacks (fuzzing keeps them short for speed).
show_reproducer() {
	local n=$1 log=$2 unit
	unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	grep -E 'ERROR: |runtime error|check failed|SUMMARY: |Test unit written' "$log" | head -20 | sed 's/^/  /'
	if [ -z "$unit" ] || [ ! -f "$unit" ]; then
		echo "  no reproducer written; the log is $log"
		return
	fi
	ASAN_OPTIONS='' "$out/fuzz_$n" "$unit" >"$unit.log" 2>&1
	echo "  reproducer: $unit ($(wc -c <"$unit") bytes); the log is $log, its replay $unit.log"
	[ "$(wc -c <"$unit")" -le 512 ] && od -A x -t x1z -v "$unit" | sed 's/^/  /'
}

run_one() {
	local n=$1 dir=$out/$1 seeds=$src/tests/fuzz/corpus/$1
	mkdir -p "$dir/corpus"
	local opts=(-timeout=10 -rss_limit_mb=2048 -reload=0 -print_final_stats=1 -artifact_prefix="$dir/")
	[ -n "$runs" ] && opts+=(-runs="$runs")
	[ -n "$seconds" ] && opts+=(-max_total_time="$seconds")
	[ -n "${FUZZ_SEED:-}" ] && opts+=(-seed="$FUZZ_SEED")
	[ -n "${dict[$n]:-}" ] && opts+=(-dict="$src/tests/fuzz/${dict[$n]}.dict")
	# New inputs go to the first directory: the build's, never the tree's.
	"$out/fuzz_$n" "${opts[@]}" "$dir/corpus" "$seeds" >"$dir/log" 2>&1
	local rc=$?
	if [ $rc -ne 0 ] || grep -qE '^(==[0-9]+==)?ERROR: |runtime error' "$dir/log"; then
		echo "FAIL: fuzz_$n (exit $rc)"
		show_reproducer "$n" "$dir/log"
		return 1
	fi
	echo "PASS: fuzz_$n ($(summary "$dir/log"))"
	if [ $merge -eq 1 ]; then
		"$out/fuzz_$n" -merge=1 "${opts[@]:0:2}" "$seeds" "$dir/corpus" >"$dir/merge.log" 2>&1 ||
			{ echo "  merge failed: $dir/merge.log"; return 0; }
		echo "  merged into $seeds: $(sed -n 's/^MERGE-OUTER: \([0-9]* new files\).*/\1/p' "$dir/merge.log")"
	fi
	return 0
}

# Each known reproducer on the strict build: still failing, or fixed.
replay_crashes() {
	local f n open=0
	for f in "$src"/tests/fuzz/crashes/*-*; do
		n=$(basename "$f")
		n=${n%%-*}
		if "$out/fuzz_$n" "$f" >"$out/replay.log" 2>&1; then
			echo "fixed: $(basename "$f") (remove it and its limit in scripts/fuzz.sh)"
		else
			echo "open: $(basename "$f"): $(grep -m1 -E 'runtime error|check failed|ERROR: ' "$out/replay.log")"
			open=$((open + 1))
		fi
	done
	[ $open -eq 0 ]
}

mkdir -p "$out"
build
[ $build_only -eq 1 ] && exit 0
# Short allocation stacks: a third faster; a failure is replayed with whole ones.
export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-malloc_context_size=4}
export UBSAN_OPTIONS=print_stacktrace=1
[ $crashes -eq 1 ] && { replay_crashes; exit; }
passed=0
failed=0
for n in "${names[@]}"; do
	if run_one "$n"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "tests: $passed passed, $failed failed"
[ $failed -eq 0 ]
