#!/usr/bin/env bash
# Integration test of scripts/engine.sh itself: both real container engines
# (podman's Docker API service and dockerd) and both registries start, answer,
# run the busybox image, take pushes, and leave no process behind on stop.
# Each check prints PASS:/FAIL: (tests/run counts them); exit 0 = all passed.
# Any component that cannot start is a failure, never a skip. No slipway code
# runs here (not one for the sanitizer list in .ci/run).
#
# It stops its engines at the end, so it never uses the shared test engine
# (/var/tmp/slipway-test-engine, port 5055) that other tests keep running:
# SW_ENGINES_TEST_DIR  its state dir (default /tmp/slipway-engines-test, kept
#                      between runs, so busybox is built once)
# SW_ENGINES_TEST_PORT its plain registry's port (default 5075; the password
#                      registry listens on the next one)
# When run as root, missing Debian packages are installed (engine.sh --install).
# slow
# timeout: 300
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
export SW_ENGINE_DIR=${SW_ENGINES_TEST_DIR:-/tmp/slipway-engines-test}
export SW_REGISTRY_PORT=${SW_ENGINES_TEST_PORT:-5075}
export SW_REGISTRY_AUTH_PORT=$((SW_REGISTRY_PORT + 1))
unset SW_DOCKERD_STORAGE
ENGINE=$TOP/scripts/engine.sh
IMAGE=slipway-busybox:latest
TAG=t$$
WORK=
CHECKS=0

fail() { printf 'FAIL: engines: %s\n' "$*" >&2; exit 1; }
ok() { CHECKS=$((CHECKS + 1)); printf 'PASS: engines: %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# The same lock protocol as containers.sh, on this test's own state dir.
LOCK=
take_lock() {
	local lock=$SW_ENGINE_DIR/test.lock owner deadline=$((SECONDS + 120))
	mkdir -p "$SW_ENGINE_DIR" || fail "cannot create $SW_ENGINE_DIR"
	[ -d "$lock" ] || rm -f "$lock"
	until mkdir "$lock" 2>/dev/null; do
		owner=$(cat "$lock/pid" 2>/dev/null)
		if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
			rm -rf "$lock"
			continue
		fi
		[ $SECONDS -lt $deadline ] || fail "another engines test (pid $owner) holds $lock"
		sleep 1
	done
	echo $$ >"$lock/pid"
	LOCK=$lock
}

cleanup() {
	local rc=$?
	set +e
	"$ENGINE" stop >/dev/null 2>&1
	[ -n "$WORK" ] && rm -rf "$WORK"
	[ -n "$LOCK" ] && rm -rf "$LOCK"
	exit $rc
}

# on ENGINE COMMAND...: COMMAND with DOCKER_HOST at podman's or dockerd's socket.
on() {
	local which=$1
	shift
	case $which in
	podman) DOCKER_HOST=$PODMAN_HOST "$@" ;;
	dockerd) DOCKER_HOST=$SW_DOCKERD_HOST "$@" ;;
	esac
}

start_engines() {
	local install=() t0
	[ "$(id -u)" -eq 0 ] && install=(--install)
	t0=$(now)
	timeout 240 "$ENGINE" "${install[@]}" start || fail "engine.sh start failed"
	eval "$("$ENGINE" env)"
	PODMAN_HOST=$DOCKER_HOST
	# The stop check's container from earlier runs, stopped, kept by dockerd.
	on dockerd docker ps -aq --filter 'name=^swengines[0-9]+' | xargs -r env DOCKER_HOST="$SW_DOCKERD_HOST" \
		docker rm -f >/dev/null 2>&1
	ok "engine.sh start ($(since "$t0") s)"
	"$ENGINE" status >/dev/null || fail "status does not report all four running: $("$ENGINE" status)"
	[ "$(stat -c %a "$REGISTRY_AUTH_PASSWORD_FILE")" = 600 ] \
		|| fail "$REGISTRY_AUTH_PASSWORD_FILE is not mode 600"
	t0=$(now)
	"$ENGINE" start >/dev/null 2>&1 || fail "a second start failed"
	"$ENGINE" busybox >/dev/null 2>&1 || fail "engine.sh busybox failed"
	ok "status: all four run; start and busybox again are no-ops ($(since "$t0") s)"
}

# components SOCKET: the Components names /version reports, one a line.
components() {
	curl -sf -m 5 --unix-socket "$1" http://d/version | /usr/bin/python3 -c '
import json, sys
for c in json.load(sys.stdin).get("Components") or []:
    print(c["Name"])'
}

check_apis() {
	local which sock names
	for which in podman dockerd; do
		case $which in podman) sock=${PODMAN_HOST#unix://} ;; dockerd) sock=${SW_DOCKERD_HOST#unix://} ;; esac
		[ "$(curl -sf -m 5 --unix-socket "$sock" http://d/_ping)" = OK ] \
			|| fail "$which: /_ping on $sock does not answer OK"
		names=$(components "$sock") || fail "$which: no /version on $sock"
		case $which in
		podman) grep -qx 'Podman Engine' <<<"$names" || fail "podman: /version Components: $names" ;;
		dockerd)
			{ grep -qx 'Engine' <<<"$names" && ! grep -q Podman <<<"$names"; } \
				|| fail "dockerd: /version Components: $names"
			grep -qx 'containerd' <<<"$names" || fail "dockerd: no containerd in Components: $names"
			;;
		esac
		ok "$which answers /_ping and /version ($(tr '\n' ',' <<<"$names" | sed 's/,$//'))"
	done
}

run_busybox() {
	local which out
	for which in podman dockerd; do
		out=$(on "$which" timeout 60 docker run --rm --network none "$IMAGE" \
			sh -c "echo hello-$which-\$(ls /bin | wc -l)" 2>&1) \
			|| fail "$which: docker run $IMAGE failed: $out"
		case $out in hello-"$which"-[1-9]*) ;; *) fail "$which: unexpected output: $out" ;; esac
		ok "$which runs $IMAGE with --network none ($out applets)"
	done
}

# tag_listed REGISTRY NAME TAG [CURL-ARGS...]
tag_listed() {
	local body
	body=$(curl -sf -m 5 "${@:4}" "http://$1/v2/$2/tags/list") || return 1
	grep -q "\"$3\"" <<<"$body"
}

push_plain() {
	local which dest
	for which in podman dockerd; do
		dest=$REGISTRY/slipway-busybox:$TAG-$which
		on "$which" docker tag "$IMAGE" "$dest" || fail "$which: docker tag $dest failed"
		on "$which" timeout 120 docker push "$dest" >/dev/null 2>&1 \
			|| fail "$which: docker push $dest failed"
		tag_listed "$REGISTRY" slipway-busybox "$TAG-$which" \
			|| fail "$which: the registry does not list $TAG-$which"
		on "$which" docker rmi "$dest" >/dev/null 2>&1
		ok "$which pushes to the plain registry ($dest)"
	done
}

# docker login goes through the engine's /auth. podman 4.3's skips TLS only
# for "localhost:…" and ignores registries.conf there, so a login to
# 127.0.0.1:PORT through podman fails ("server gave HTTP response to HTTPS
# client"); the login is made through dockerd, and the docker CLI sends the
# credentials it stored to either engine with each push.
push_auth() {
	local which dest out creds
	creds=$REGISTRY_AUTH_USER:$(cat "$REGISTRY_AUTH_PASSWORD_FILE")
	# A client config of the test's own: nothing is written to ~/.docker.
	export DOCKER_CONFIG=$WORK/docker-config
	mkdir -p "$DOCKER_CONFIG"
	for which in podman dockerd; do
		dest=$REGISTRY_AUTH/slipway-busybox:$TAG-$which
		on "$which" docker tag "$IMAGE" "$dest" || fail "$which: docker tag $dest failed"
		if out=$(on "$which" timeout 120 docker push "$dest" 2>&1); then
			fail "$which: push to the password registry without login succeeded"
		fi
		tag_listed "$REGISTRY_AUTH" slipway-busybox "$TAG-$which" -u "$creds" \
			&& fail "$which: the refused push left $TAG-$which in the registry"
		out=$(grep -ioE 'unauthorized[^"]{0,40}|authentication required|no basic auth credentials' <<<"$out" \
			| head -n 1) || fail "$which: the push failed, but not for want of credentials"
		ok "$which: push without login refused ($out)"
	done

	if on dockerd docker login -u "$REGISTRY_AUTH_USER" --password-stdin "$REGISTRY_AUTH" \
		<<<"wrong-$$" >/dev/null 2>&1; then
		fail "docker login with a wrong password succeeded"
	fi
	out=$(on dockerd docker login -u "$REGISTRY_AUTH_USER" --password-stdin "$REGISTRY_AUTH" \
		<"$REGISTRY_AUTH_PASSWORD_FILE" 2>&1) || fail "docker login failed: $out"
	grep -qF "\"$REGISTRY_AUTH\"" "$DOCKER_CONFIG/config.json" 2>/dev/null \
		|| fail "the login was not stored in DOCKER_CONFIG"
	[ ! -e "$HOME/.docker/config.json" ] || [ "$HOME/.docker" = "$DOCKER_CONFIG" ] \
		|| ! grep -qF "\"$REGISTRY_AUTH\"" "$HOME/.docker/config.json" \
		|| fail "the login was written to ~/.docker"
	ok "docker login: wrong password refused, password file accepted"

	for which in podman dockerd; do
		dest=$REGISTRY_AUTH/slipway-busybox:$TAG-$which
		out=$(on "$which" timeout 120 docker push "$dest" 2>&1) \
			|| fail "$which: push after docker login failed: $(tail -n 1 <<<"$out")"
		tag_listed "$REGISTRY_AUTH" slipway-busybox "$TAG-$which" -u "$creds" \
			|| fail "$which: the password registry does not list $TAG-$which"
		on "$which" docker rmi "$dest" >/dev/null 2>&1
		ok "$which pushes to the password registry after docker login ($dest)"
	done
	on dockerd docker logout "$REGISTRY_AUTH" >/dev/null 2>&1
	unset DOCKER_CONFIG
}

# Processes of this state dir: anything naming it on its command line (the
# podman service, dockerd, its containerd and shims, conmon, registries).
dir_processes() {
	pgrep -a -f -- "$SW_ENGINE_DIR/" || true
}

stop_engines() {
	local t0 left deadline pid
	# A container left running in dockerd: stop must end it too (dockerd's
	# shutdown stops containers; a shim left behind would keep it alive).
	# (sh as pid 1 ignores TERM: dockerd KILLs it after its stop timeout.)
	on dockerd docker run -d --network none --stop-timeout 2 --name "swengines$$" \
		"$IMAGE" sleep 600 >/dev/null \
		|| fail "dockerd: docker run -d failed"
	pid=$(on dockerd docker inspect --format '{{.State.Pid}}' "swengines$$") \
		|| fail "dockerd: no pid for the running container"
	t0=$(now)
	"$ENGINE" stop >/dev/null 2>&1 || fail "engine.sh stop failed"
	deadline=$((SECONDS + 20))
	while left=$(dir_processes); [ -n "$left" ]; do
		[ $SECONDS -lt $deadline ] || fail "left running after stop: $left"
		sleep 0.5
	done
	! kill -0 "$pid" 2>/dev/null || fail "the container's process $pid survived stop"
	if "$ENGINE" status >/dev/null 2>&1; then
		fail "status says running after stop"
	fi
	awk -v d="$SW_ENGINE_DIR/" 'index($5 "/", d) == 1 { found = 1 } END { exit !found }' \
		/proc/self/mountinfo && fail "mounts left under $SW_ENGINE_DIR: $(grep -F "$SW_ENGINE_DIR" /proc/self/mountinfo)"
	ok "after stop ($(since "$t0") s) no process and no mount of $SW_ENGINE_DIR is left"
}

main() {
	local t0
	t0=$(now)
	for tool in curl timeout pgrep; do
		command -v "$tool" >/dev/null || fail "$tool not found"
	done
	trap cleanup EXIT
	trap "exit 143" TERM INT
	WORK=$(mktemp -d "${SW_TEST_ROOT:-/tmp}/engines.XXXXXX")
	take_lock
	start_engines
	check_apis
	run_busybox
	push_plain
	push_auth
	stop_engines
	echo "# engines: $CHECKS checks passed in $(since "$t0") s"
}

main "$@"
