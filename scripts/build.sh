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
make -j"$(nproc)" check-programs >>make.out 2>&1 || { cat make.out; exit 1; }
