#!/usr/bin/env bash
# base-image.sh — make the sample project's base image (Debian bookworm with
# Django, gunicorn and nginx) from Debian packages with mmdebstrap, since no
# image registry can be pulled from, and import it into the private engine.
#
#   scripts/base-image.sh [--force] [--engine podman|docker]
#
# Skips everything when the image is already in the engine; reuses the cached
# root filesystem tarball (under $SW_ENGINE_DIR/cache) when only the import is
# missing. --force rebuilds the tarball and re-imports. --engine docker
# imports into engine.sh's dockerd instead of podman (the default): each
# engine has its own image store, and the one tarball serves both. Needs root (mmdebstrap
# --mode=root) and a running engine (scripts/engine.sh start).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
IMAGE=${SW_BASE_IMAGE:-localhost/slipway-sample-base:bookworm}
SUITE=bookworm
PACKAGES=python3-django,libjs-jquery,gunicorn,nginx-light,python3-venv,python3-sentry-sdk,ca-certificates
SOURCES=${SW_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}

die() { printf 'base-image.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'base-image.sh: %s\n' "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

FORCE=0
TO=podman
while [ $# -gt 0 ]; do
	case $1 in
	--force) FORCE=1 ;;
	--engine) [ $# -ge 2 ] || die "--engine needs podman or docker"; TO=$2; shift ;;
	*) die "usage: $0 [--force] [--engine podman|docker]" ;;
	esac
	shift
done

eval "$("$HERE/engine.sh" env)"
case $TO in
podman) ;;
docker) DOCKER_HOST=$SW_DOCKERD_HOST ;;
*) die "--engine $TO: podman or docker" ;;
esac
"$HERE/engine.sh" status >/dev/null || die "the engine is not running: scripts/engine.sh start"

if [ "$FORCE" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
	say "$IMAGE already in the engine; nothing to do"
	exit 0
fi

command -v mmdebstrap >/dev/null || die "mmdebstrap not found: scripts/engine.sh --install start"
[ "$(id -u)" -eq 0 ] || die "mmdebstrap --mode=root needs root"
[ -r "$SOURCES" ] || die "no apt sources at $SOURCES (set SW_APT_SOURCES)"

CACHE=$SW_ENGINE_DIR/cache
key=$(printf '%s %s %s' "$SUITE" "$PACKAGES" "$(cat "$SOURCES")" | sha256sum | cut -c1-12)
TARBALL=$CACHE/sample-base-$SUITE-$key.tar
mkdir -p "$CACHE"

if [ "$FORCE" = 1 ] || [ ! -f "$TARBALL" ]; then
	t0=$(now)
	say "building $SUITE root filesystem with mmdebstrap ($PACKAGES)"
	rm -rf "$TARBALL.part"
	# Documentation, man pages and translations are dropped to keep it small.
	mmdebstrap --mode=root --variant=apt --format=tar --quiet \
		--include="$PACKAGES" \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-include=/usr/share/locale/locale.alias' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		"$SUITE" "$TARBALL.part" - <"$SOURCES" >"$CACHE/mmdebstrap.log" 2>&1 || {
		tail -n 20 "$CACHE/mmdebstrap.log" >&2
		die "mmdebstrap failed (log: $CACHE/mmdebstrap.log)"
	}
	[ -f "$TARBALL.part" ] || die "mmdebstrap did not write a tar file"
	mv "$TARBALL.part" "$TARBALL"
	say "root filesystem built in $(elapsed "$t0") s ($(du -h "$TARBALL" | cut -f1))"
else
	say "reusing cached $TARBALL"
fi

t0=$(now)
docker import \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'ENV LANG=C.UTF-8' \
	--change 'CMD ["/bin/bash"]' \
	"$TARBALL" "$IMAGE" >/dev/null || die "docker import of $TARBALL failed"
size=$(docker image inspect --format '{{.Size}}' "$IMAGE" 2>/dev/null) \
	|| die "$IMAGE missing after import"
if [ "$size" -lt 10000000 ]; then
	docker rmi -f "$IMAGE" >/dev/null 2>&1 || true
	die "$IMAGE imported with only $size bytes; removed it"
fi
say "imported $IMAGE in $(elapsed "$t0") s"
