#!/usr/bin/env bash
# Seeds for the config and record harnesses from what the unit tests parse
# and write: relinks test_config and test_store (from the gcc build in
# SW_BUILDDIR, default build/) with extract-seeds.c, runs them, and lets
# libFuzzer keep the inputs that add coverage to tests/fuzz/corpus/NAME.
#   SW_BUILDDIR=build tests/fuzz/extract-seeds.sh   (after scripts/fuzz.sh --build-only)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${SW_BUILDDIR:-$src/build}
fuzz=${FUZZ_BUILDDIR:-$src/build-fuzz}
tmp=$(mktemp -d /tmp/slipway-seeds.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
libs=$(pkg-config --libs libcjson libgit2 libpcre2-8 expat)
for t in config store; do
	# shellcheck disable=SC2086
	gcc -std=c11 -D_GNU_SOURCE -I"$src/include" -o "$tmp/test_$t" "$build/tests/unit/test_$t.o" \
		"$src/tests/fuzz/extract-seeds.c" "$build/libslipway.a" $libs \
		-Wl,--wrap=sw_config_parse -Wl,--wrap=sw_write_atomic
done
mkdir -p "$tmp/config" "$tmp/record"
(cd "$tmp/config" && SW_SRCDIR=$src SW_SEED_DIR=$tmp/config "$tmp/test_config" >/dev/null)
(cd "$tmp/record" && SW_SEED_DIR=$tmp/record "$tmp/test_store" >/dev/null)
rm -f "$tmp"/config/record-* "$tmp"/record/config-*
for n in config record; do
	mkdir -p "$src/tests/fuzz/corpus/$n"
	echo "$n: $(find "$tmp/$n" -type f | wc -l) inputs from the tests"
	"$fuzz/fuzz_$n" -merge=1 "$src/tests/fuzz/corpus/$n" "$tmp/$n" 2>&1 | grep 'MERGE-OUTER: [0-9]* new files' || true
done
