#!/usr/bin/env bash
# Configures and builds slipway in DIR (default build/), passing the rest
# to configure:  scripts/build.sh build --enable-werror
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
shift || true
cd "$src"
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p "$dir"
cd "$dir"
[ -f Makefile ] || "$src/configure" "$@" >configure.out
make -j"$(nproc)" >make.out 2>&1 || { cat make.out; exit 1; }
make -j"$(nproc)" tests/unit/test_util tests/unit/test_report tests/unit/test_config \
	tests/unit/test_store tests/unit/test_secrets tests/unit/test_actions tests/unit/test_settings tests/unit/test_lines tests/unit/test_command tests/unit/test_docker tests/unit/test_docker_watch tests/unit/test_push tests/unit/test_sentry tests/unit/test_sentry_watch tests/unit/test_backup tests/unit/test_dora tests/unit/test_github tests/unit/test_webhook >>make.out 2>&1 || { cat make.out; exit 1; }
