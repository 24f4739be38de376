#!/usr/bin/env bash
# Integration test against a real container engine and a real registry: the
# sample project is built into an image, run, pushed, and deployed with
# docker-compose (nginx + gunicorn) whose SQLite data must survive down/up.
# Each check prints PASS:/FAIL: (tests/run counts them); exit 0 = all passed.
# Any component that cannot start is a failure, never a skip.
#
# SW_ENGINE_DIR     engine state (default /var/tmp/slipway-test-engine: kept
#                   between runs, so the base image is built once per machine)
# SW_REGISTRY_PORT  the test engine's registry port (default 5055)
# When run as root, missing Debian packages are installed (engine.sh --install).
# slow
# timeout: 1200
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
export SW_ENGINE_DIR=${SW_ENGINE_DIR:-/var/tmp/slipway-test-engine}
export SW_REGISTRY_PORT=${SW_REGISTRY_PORT:-5055}
ENGINE=$TOP/scripts/engine.sh
WAIT=${SW_TEST_WAIT:-60}          # seconds for any one service to answer
TAG=it$$
APP_IMAGE=slipway-sample-it
PROJECT=swit$$
WORK=
CHECKS=0

fail() { printf 'FAIL: containers: %s\n' "$*" >&2; exit 1; }
ok() { CHECKS=$((CHECKS + 1)); printf 'PASS: containers: %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Two distinct free ports on 127.0.0.1 (held together so they differ).
free_ports() {
	python3 -c 'import socket
socks = [socket.socket() for _ in range(int(__import__("sys").argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# fetch_has URL PATTERN: URL answers 2xx with PATTERN in the body. (The body
# is read whole first: grep -q closing a pipe early would fail the pipeline.)
fetch_has() {
	local body
	body=$(curl -fsS -m 5 "$1" 2>/dev/null) || return 1
	grep -q -- "$2" <<<"$body"
}

# wait_http URL PATTERN: fetch_has, retried until $WAIT seconds have passed.
wait_http() {
	local deadline=$((SECONDS + WAIT))
	while [ $SECONDS -lt $deadline ]; do
		fetch_has "$1" "$2" && return 0
		sleep 0.5
	done
	return 1
}

compose() {
	(cd "$WORK" && timeout 300 docker-compose -p "$PROJECT" "$@")
}

cleanup() {
	local rc=$?
	set +e
	docker rm -f "$PROJECT-smoke" >/dev/null 2>&1
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		compose down -v --remove-orphans >/dev/null 2>&1
		rm -rf "$WORK"
	fi
	docker rmi -f "$APP_IMAGE:$TAG" "${REGISTRY:-127.0.0.1:5000}/$APP_IMAGE:$TAG" \
		"slipway-sample-app:$TAG" "slipway-sample-proxy:$TAG" >/dev/null 2>&1
	[ -n "$LOCK" ] && rm -rf "$LOCK"
	exit $rc
}

# One run at a time per engine: two runs would reap each other's containers
# (reap_stale) and share the compose ports. The engine is left running for
# the other tests (tests/run: .ci/run stops it at the end). The lock is a directory
# holding the owner's pid (not flock: daemons would inherit the descriptor),
# taken over when that pid is gone.
LOCK=
take_lock() {
	local lock=$SW_ENGINE_DIR/test.lock owner deadline=$((SECONDS + 300))
	mkdir -p "$SW_ENGINE_DIR" || fail "cannot create $SW_ENGINE_DIR"
	[ -d "$lock" ] || rm -f "$lock"
	until mkdir "$lock" 2>/dev/null; do
		owner=$(cat "$lock/pid" 2>/dev/null)
		if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
			rm -rf "$lock"
			continue
		fi
		[ $SECONDS -lt $deadline ] || fail "another containers test (pid $owner) holds $lock"
		sleep 1
	done
	echo $$ >"$lock/pid"
	LOCK=$lock
}

# Under the lock, anything named after this test is a leftover of a run that
# was killed before its cleanup: remove it so it cannot hold ports or names.
reap_stale() {
	local -a stale
	mapfile -t stale < <(docker ps -aq --filter 'name=^swit[0-9]+' 2>/dev/null)
	if [ ${#stale[@]} -gt 0 ]; then
		echo "# removing containers left by an interrupted run: ${stale[*]}"
		docker rm -f "${stale[@]}" >/dev/null 2>&1
	fi
	mapfile -t stale < <(docker volume ls -q --filter 'name=^swit[0-9]+' 2>/dev/null)
	[ ${#stale[@]} -eq 0 ] || docker volume rm -f "${stale[@]}" >/dev/null 2>&1
	return 0
}

start_engine() {
	local install=()
	[ "$(id -u)" -eq 0 ] && install=(--install)
	timeout 600 "$ENGINE" "${install[@]}" start || fail "the container engine did not start"
	eval "$("$ENGINE" env)"
	reap_stale
	ok "engine and registry answer ($DOCKER_HOST, $REGISTRY)"
}

build_base() {
	local t0
	t0=$(now)
	timeout 900 "$TOP/scripts/base-image.sh" || fail "base image could not be built"
	ok "base image present ($(since "$t0") s)"
}

build_and_run_image() {
	local t0 port
	WORK=$(mktemp -d /tmp/slipway-it.XXXXXX)
	cp -a "$TOP/examples/sample/." "$WORK/"
	rm -rf "$WORK/.venv" "$WORK/staticfiles"
	# The database is bind-mounted from ./data (docker-compose.yml), which the
	# app's uid writes; podman refuses a missing bind source.
	install -d -o 10001 -g 10001 "$WORK/data" || fail "cannot make $WORK/data for uid 10001"
	t0=$(now)
	DOCKER_BUILDKIT=0 timeout 600 docker build -q --force-rm -t "$APP_IMAGE:$TAG" "$WORK" >/dev/null \
		|| fail "docker build of the sample failed"
	ok "sample image built ($(since "$t0") s)"

	port=$(free_ports 1)
	docker run -d --name "$PROJECT-smoke" --network host -e APP_PORT="$port" \
		"$APP_IMAGE:$TAG" >/dev/null || fail "docker run of the sample failed"
	wait_http "http://127.0.0.1:$port/health/" '"ok"' || {
		docker logs --tail 20 "$PROJECT-smoke" >&2
		fail "sample container did not answer on 127.0.0.1:$port within ${WAIT}s"
	}
	wait_http "http://127.0.0.1:$port/lettings/" 'Oceanview Retreat' \
		|| fail "sample container serves no lettings"
	ok "sample container answers HTTP on 127.0.0.1:$port"
	docker rm -f "$PROJECT-smoke" >/dev/null
}

push_image() {
	local dest=$REGISTRY/$APP_IMAGE:$TAG
	docker tag "$APP_IMAGE:$TAG" "$dest" || fail "docker tag $dest failed"
	timeout 300 docker push "$dest" >/dev/null || fail "docker push $dest failed"
	fetch_has "http://$REGISTRY/v2/_catalog" "\"$APP_IMAGE\"" \
		|| fail "registry catalog does not list $APP_IMAGE"
	fetch_has "http://$REGISTRY/v2/$APP_IMAGE/tags/list" "\"$TAG\"" \
		|| fail "registry has no tag $TAG for $APP_IMAGE"
	ok "pushed $dest; /v2/_catalog lists it"
}

compose_up() {
	local t0 out
	t0=$(now)
	out=$(compose up -d 2>&1) || fail "docker-compose up failed: $(tail -n 5 <<<"$out")"
	wait_http "$PROXY/health/" '"ok"' || {
		compose logs --tail 20 >&2
		fail "compose deployment did not answer through the proxy within ${WAIT}s"
	}
	echo "# compose up to healthy: $(since "$t0") s"
}

compose_deploy() {
	local t0 ports
	ports=$(free_ports 2)
	export PROXY_PORT=${ports% *} APP_PORT=${ports#* } APP_TAG=$TAG
	export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=1
	PROXY=http://127.0.0.1:$PROXY_PORT
	t0=$(now)
	compose build --force-rm -q >/dev/null 2>&1 || fail "docker-compose build failed"
	echo "# compose build: $(since "$t0") s"
	compose_up
	fetch_has "$PROXY/" 'Welcome to Holiday Homes' \
		|| fail "home page not served through the proxy"
	fetch_has "$PROXY/static/css/styles.css" 'font-family' \
		|| fail "static file not served by nginx (from its image)"
	curl -fsS -m 5 -o /dev/null "$PROXY/static/admin/css/base.css" \
		|| fail "admin static files missing from the proxy's image"
	ok "compose: / and /static/ answer through nginx on 127.0.0.1:$PROXY_PORT"
}

container_of() { compose ps -q "$1" | head -n 1; }

check_data_survives() {
	local app
	app=$(container_of app)
	[ -n "$app" ] || fail "no app container in the compose project"
	docker exec "$app" python3 manage.py shell -c "
from lettings.models import Address, Letting
a = Address.objects.create(number=42, street='Survivor Lane', city='Irvine', state='CA',
                           zip_code=92618, country_iso_code='USA')
Letting.objects.create(title='Survivor Cabin $TAG', address=a)" \
		|| fail "could not create a row in the database"
	wait_http "$PROXY/lettings/" "Survivor Cabin $TAG" || fail "new row not visible"
	compose down >/dev/null 2>&1 || fail "docker-compose down failed"
	compose_up
	wait_http "$PROXY/lettings/" "Survivor Cabin $TAG" \
		|| fail "the row did not survive docker-compose down + up"
	ok "SQLite row survived docker-compose down + up"
}

check_non_root() {
	local service id uid
	for service in app proxy; do
		id=$(container_of "$service")
		[ -n "$id" ] || fail "no $service container"
		uid=$(docker exec "$id" id -u) || fail "docker exec id -u in $service failed"
		[ "$uid" != 0 ] || fail "$service runs as root"
		ok "$service runs as uid $uid"
	done
}

main() {
	local t0
	t0=$(now)
	for tool in curl python3 timeout; do
		command -v "$tool" >/dev/null || fail "$tool not found"
	done
	trap cleanup EXIT
	trap "exit 143" TERM INT
	take_lock
	start_engine
	build_base
	build_and_run_image
	push_image
	compose_deploy
	check_data_survives
	check_non_root
	echo "# containers: $CHECKS checks passed in $(since "$t0") s"
}

main "$@"
