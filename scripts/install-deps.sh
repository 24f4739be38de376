#!/usr/bin/env bash
# Installs, from Debian's packages, what slipway needs to build, to run its
# demo and to pass its tests.  Idempotent; needs root (or sudo).
#   scripts/install-deps.sh [build|demo|test]   (default: test, the superset)
set -euo pipefail
what=${1:-test}

build=(build-essential autoconf automake pkg-config git
	libncurses-dev libcurl4-openssl-dev libcjson-dev libgit2-dev libpcre2-dev libexpat1-dev libyaml-dev libsqlite3-dev)
python=(python3 python3-venv python3-django python3-pytest python3-pytest-django
	python3-pytest-cov python3-flake8 gunicorn)
engine=(podman runc conmon busybox-static docker-compose docker-registry mmdebstrap uidmap
	curl ca-certificates)
tools=(tmux bsdutils procps)
# The fuzz harnesses (scripts/fuzz.sh): clang and its libFuzzer runtime,
# which clang only recommends.
fuzz=(clang libclang-rt-14-dev)
# Only the tests: the sqlite3 shell, to make and read the databases a
# deploy backs up.
testing=(sqlite3)

case $what in
build) want=("${build[@]}") ;;
demo) want=("${build[@]}" "${python[@]}" "${engine[@]}" "${tools[@]}") ;;
test) want=("${build[@]}" "${python[@]}" "${engine[@]}" "${tools[@]}" "${fuzz[@]}" "${testing[@]}") ;;
*) echo "usage: $0 [build|demo|test]" >&2; exit 2 ;;
esac
# The docker CLI: the machine's own if it has one, else podman's shim.
command -v docker >/dev/null 2>&1 || want+=(podman-docker)

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
