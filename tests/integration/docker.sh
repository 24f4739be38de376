# The container engine client against the real engines: podman's API
# service and the Docker Engine (dockerd), both started by scripts/engine.sh
# once for the suite.  slipway containers / container start|stop|restart|
# logs|events on real containers; health going from starting to healthy and
# to unhealthy; a docker-compose project grouped under its name; status
# --json's summary; and the errors: no engine, a socket nobody listens on,
# permission denied, an engine that stops in the middle of a log.
# slow
# timeout: 900
. "$SW_SRCDIR/tests/lib.sh"

ENGINE=$SW_SRCDIR/scripts/engine.sh
ID=swd$$
declare -A HOSTS=()


cleanup() {
	local e
	for e in "${!HOSTS[@]}"; do
		DOCKER_HOST=${HOSTS[$e]} docker ps -aq --filter "label=slipway.test=$ID" 2>/dev/null |
			xargs -r env DOCKER_HOST="${HOSTS[$e]}" docker rm -f >/dev/null 2>&1
	done
}

# box NAME [docker run options...] [-- COMMAND...]: a busybox container of
# this test, without a network, that ends on SIGTERM at once.
box() {
	local name=$1
	shift
	local opts=() cmd=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	cmd=("$@")
	[ ${#cmd[@]} -gt 0 ] || cmd=(sh -c 'trap "exit 0" TERM; while true; do sleep 1; done')
	docker run -d --network none --name "$ID-$name" --label "slipway.test=$ID" "${opts[@]}" \
		slipway-busybox:latest "${cmd[@]}" >/dev/null
}

# A health check's result now.  Podman runs health checks from systemd
# timers, which this machine has not: the test runs the check itself, as
# the timer would.  dockerd runs its own.
health_tick() {
	if [ "$KIND" = podman ]; then
		"$ENGINE" podman healthcheck run "$1" >/dev/null 2>&1 || true
	fi
}

health_is() {
	health_tick "$ID-$1"
	$SLIPWAY containers --json --all --no-stats >c.json
	[ "$(json c.json "[c['health'] for c in j['containers'] if c['name'] == '$ID-$1'][0]")" = "$2" ]
}

state_is() {
	$SLIPWAY containers --json --all --no-stats >c.json
	[ "$(json c.json "[c['state'] for c in j['containers'] if c['name'] == '$ID-$1'][0]")" = "$2" ]
}

# ---- on each engine ----

lists_containers_grouped_by_project() {
	box web --label com.docker.compose.project="$ID-p" --label com.docker.compose.service=web
	box proxy --label com.docker.compose.project="$ID-p" --label com.docker.compose.service=proxy
	box loose
	box gone -- true
	wait_for 20 state_is gone exited
	$SLIPWAY containers --json >c.json
	expect_eq "$(json c.json "sorted(c['name'] for c in j['containers'] if c['project'] == '$ID-p')")" \
		"['$ID-proxy', '$ID-web']"
	# Running only, unless --all.
	expect_eq "$(json c.json "[c['name'] for c in j['containers'] if c['name'] == '$ID-gone']")" "[]"
	$SLIPWAY containers --json --all >c.json
	expect_eq "$(json c.json "[(c['state'], c['exit_code']) for c in j['containers'] if c['name'] == '$ID-gone']")" \
		"[('exited', 0)]"
	expect_eq "$(json c.json "j['projects']['$ID-p']")" "{'running': 2, 'total': 2, 'unhealthy': []}"
	# Grouped: the project's containers follow one another, those outside
	# compose come after every project.
	expect_eq "$(json c.json "[c['project'] for c in j['containers']].index(None) > max(i for i, c in enumerate(j['containers']) if c['project'])")" True
	case $KIND in
	podman) json c.json 'j["engine"]' | grep -q '^Podman Engine ' ;;
	docker) json c.json 'j["engine"]' | grep -q '^Docker Engine ' ;;
	esac
	# One project only, and the table a person reads.
	$SLIPWAY containers --project "$ID-p" --json >p.json
	expect_eq "$(json p.json 'len(j["containers"])')" 2
	$SLIPWAY containers --project "$ID-p" >table
	grep -q "^$ID-p  2/2 running$" table || fail "no project heading: $(cat table)"
	grep -q "^  $ID-web  *running  *-  " table || fail "no row for web: $(cat table)"
}

# Memory as docker stats shows it (within what a second between the two
# readings may change), and a CPU percentage for each running container.
stats_are_the_docker_clis() {
	box busy -- sh -c 'trap "exit 0" TERM; while true; do :; done'
	box idle
	sleep 1
	$SLIPWAY containers --json >c.json
	local cpu mem
	cpu=$(json c.json "[c['cpu_pct'] for c in j['containers'] if c['name'] == '$ID-busy'][0]")
	mem=$(json c.json "[c['mem_bytes'] for c in j['containers'] if c['name'] == '$ID-idle'][0]")
	# A shell spinning takes a good part of a CPU, even on a loaded machine.
	awk -v c="$cpu" 'BEGIN { exit !(c > 10) }' || fail "busy container at $cpu % CPU"
	awk -v m="$mem" 'BEGIN { exit !(m > 0) }' || fail "idle container uses $mem bytes"
	local theirs
	theirs=$(docker stats --no-stream --format '{{.MemUsage}}' "$ID-idle" | sed 's| /.*||')
	python3 - "$mem" "$theirs" <<'EOF'
import re, sys
mine = float(sys.argv[1])
num, unit = re.match(r'([0-9.]+)\s*([A-Za-z]*)', sys.argv[2]).groups()
theirs = float(num) * {'B': 1, 'KiB': 1024, 'kB': 1000, 'MiB': 1 << 20, 'MB': 1e6, 'GiB': 1 << 30, 'GB': 1e9}.get(unit, 1)
# A container a second old still moves its pages about: 540 KiB against
# 864 KiB was seen on a loaded machine.
if abs(mine - theirs) > max(0.5 * theirs, 1 << 20):
    sys.exit(f"  slipway says {mine:.0f} bytes, docker stats {sys.argv[2]}")
EOF
	docker rm -f "$ID-busy" >/dev/null
}

health_goes_starting_healthy_unhealthy() {
	box ok --health-cmd 'test -e /ready' --health-interval 1s --health-retries 1 --health-start-period 60s
	box sick --health-cmd 'false' --health-interval 1s --health-retries 1
	health_is ok starting
	docker exec "$ID-ok" touch /ready
	wait_for 30 health_is ok healthy
	wait_for 30 health_is sick unhealthy
	$SLIPWAY containers --json --all --no-stats >c.json
	expect_eq "$(json c.json "'$ID-sick' in j['projects']['']['unhealthy']")" True
	$SLIPWAY containers >table
	grep -q "^  $ID-sick  *running  *unhealthy" table || fail "$(cat table)"
}

start_stop_restart() {
	box one
	$SLIPWAY container stop "$ID-one" >out
	expect_eq "$(cat out)" "stopped $ID-one"
	state_is one exited
	$SLIPWAY container stop "$ID-one" >out
	expect_eq "$(cat out)" "$ID-one was already stopped"
	$SLIPWAY container start "$ID-one" >out
	expect_eq "$(cat out)" "started $ID-one"
	state_is one running
	$SLIPWAY container start "$ID-one" >out
	expect_eq "$(cat out)" "$ID-one was already running"
	local before
	before=$(docker inspect -f '{{.State.StartedAt}}' "$ID-one")
	$SLIPWAY container restart "$ID-one" >out
	expect_eq "$(cat out)" "restarted $ID-one"
	[ "$(docker inspect -f '{{.State.StartedAt}}' "$ID-one")" != "$before" ] || fail "not restarted"
	# A name that is not there: exit 1, the nearest name offered.
	local rc=0
	$SLIPWAY container stop "$ID-onee" 2>err || rc=$?
	expect_eq $rc 1
	grep -q "no container named \"$ID-onee\" on .*; did you mean \"$ID-one\"?" err || fail "$(cat err)"
}

logs_are_demultiplexed() {
	box talk -- sh -c 'echo out one; echo err one >&2; echo out two; printf "no newline"; sleep 1'
	box tty -t -- sh -c 'echo on a tty; sleep 30'
	wait_for 20 state_is talk exited
	$SLIPWAY container logs "$ID-talk" >out 2>err
	expect_eq "$(cat out)" "$(printf 'out one\nout two\nno newline')"
	expect_eq "$(cat err)" "err one"
	wait_for 10 sh -c "$SLIPWAY container logs $ID-tty | grep -qx 'on a tty'"
	# --follow ends with the container.
	box count -- sh -c 'for i in 1 2 3; do echo tick $i; sleep 1; done'
	timeout 30 $SLIPWAY container logs --follow "$ID-count" >out
	expect_eq "$(cat out)" "$(printf 'tick 1\ntick 2\ntick 3')"
	# (Not on a log whose last line has no newline: podman 4.3's tail
	# joins that line to the one before.)
	$SLIPWAY container logs "$ID-count" --tail 2 >out
	expect_eq "$(cat out)" "$(printf 'tick 2\ntick 3')"
	# Escape sequences a container prints reach a terminal harmless; a pipe
	# gets the bytes as they were.
	box esc -- sh -c 'printf "\033]0;owned\007\033[2Jred\n"; sleep 30'
	wait_for 10 sh -c "$SLIPWAY container logs $ID-esc | grep -q red"
	$SLIPWAY container logs "$ID-esc" | od -c | grep -q '033' || fail "pipe output was changed"
	tmux -L "$T_TMUX" new-session -d -x 120 -y 10 "$SLIPWAY container logs $ID-esc; sleep 30"
	sleep 1
	tmux -L "$T_TMUX" capture-pane -p >screen
	grep -q '\^\[\]0;owned\^G\^\[\[2Jred' screen || fail "terminal got: $(cat screen)"
}

events_follow_starts_and_stops() {
	box ev
	$SLIPWAY container events >events &
	local pid=$!
	sleep 1
	docker stop -t 1 "$ID-ev" >/dev/null
	docker start "$ID-ev" >/dev/null
	wait_for 20 grep -q " start $ID-ev\$" events
	grep -q " die $ID-ev\$" events || fail "$(cat events)"
	kill -INT $pid
	local rc=0
	wait $pid || rc=$?
	expect_eq $rc 130
}

compose_project_is_grouped() {
	cat >docker-compose.yml <<EOF
version: "2.4"
services:
  web:
    image: slipway-busybox:latest
    network_mode: none
    labels: {slipway.test: "$ID"}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
  worker:
    image: slipway-busybox:latest
    network_mode: none
    labels: {slipway.test: "$ID"}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
EOF
	timeout 120 docker-compose -p "${ID}c" up -d >/dev/null 2>&1 || fail "docker-compose up failed"
	$SLIPWAY containers --project "${ID}c" --json >c.json
	expect_eq "$(json c.json "sorted(c['service'] for c in j['containers'])")" "['web', 'worker']"
	expect_eq "$(json c.json "j['projects']['${ID}c']['running']")" 2
	timeout 120 docker-compose -p "${ID}c" down -t 1 >/dev/null 2>&1
}

status_has_a_summary() {
	box st --label com.docker.compose.project="$ID-s"
	make_repo r <<'EOF'
{"version": 1, "stages": [{"name": "a", "run": "true"}]}
EOF
	cd r
	$SLIPWAY status --json >s.json
	expect_eq "$(json s.json "j['containers']['projects']['$ID-s']")" "{'running': 1, 'total': 1, 'unhealthy': []}"
}

# ---- errors ----

no_engine_is_a_clear_error() {
	local rc=0
	DOCKER_HOST=unix:///nonexistent/docker.sock $SLIPWAY containers 2>err || rc=$?
	expect_eq $rc 2
	expect_eq "$(cat err)" \
		"slipway: cannot reach the container engine at unix:///nonexistent/docker.sock: No such file or directory"
	rc=0
	DOCKER_HOST=unix:///nonexistent/docker.sock $SLIPWAY container logs web 2>err || rc=$?
	expect_eq $rc 2
	# A socket file nobody listens on.
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$PWD/dead.sock"
	rc=0
	DOCKER_HOST=unix://$PWD/dead.sock $SLIPWAY containers 2>err || rc=$?
	expect_eq $rc 2
	grep -q "Connection refused (the socket exists but no engine listens" err || fail "$(cat err)"
	# The config names the engine when DOCKER_HOST does not.
	make_repo r <<EOF
{"version": 1, "docker": {"host": "unix://$PWD/none.sock"}, "stages": [{"name": "a", "run": "true"}]}
EOF
	rc=0
	(cd r && env -u DOCKER_HOST $SLIPWAY containers 2>../err) || rc=$?
	expect_eq $rc 2
	grep -q "at unix://$PWD/none.sock: No such file" err || fail "$(cat err)"
	# status works without an engine.
	(cd r && DOCKER_HOST=unix:///nonexistent/docker.sock $SLIPWAY status --json >../s.json)
	expect_eq "$(json s.json 'j["containers"]')" None
}

permission_denied_names_the_docker_group() {
	# Root passes any permission check: the socket is tried as nobody.
	chmod 755 "$PWD"
	python3 -c 'import socket,sys,os,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen(1); time.sleep(30)' "$PWD/root.sock" &
	local srv=$! rc=0
	wait_for 5 test -S root.sock
	DOCKER_HOST=unix://$PWD/root.sock setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SLIPWAY" containers 2>err || rc=$?
	kill $srv
	expect_eq $rc 2
	grep -q "root.sock: Permission denied (is your user in the docker group? sudo usermod -aG docker \$USER" err ||
		fail "$(cat err)"
}

# An engine that stops in the middle of a log, and frames that arrive a
# byte at a time: a small server speaking the engine's protocol.
an_engine_that_stops_mid_stream() {
	python3 - "$PWD/fake.sock" <<'EOF' &
import json, os, socket, struct, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
def reply(c, body, ctype="application/json"):
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s" % (ctype.encode(), len(body), body))
for _ in range(12):
    c, _ = s.accept()
    req = c.recv(65536).decode()
    if not req:            # slipway's probe of the socket: a connect alone
        c.close()
        continue
    line = req.split("\r\n")[0]
    if "/_ping" in line:
        c.sendall(b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nServer: Docker/20.10.24 (linux)\r\n"
                  b"Content-Length: 2\r\n\r\nOK")
    elif "/version" in line:
        reply(c, json.dumps({"ApiVersion": "1.41", "MinAPIVersion": "1.12", "Version": "20.10.24"}).encode())
    elif line.split()[1].endswith("/json"):
        reply(c, json.dumps({"Config": {"Tty": False}}).encode())
    elif "/logs" in line:
        c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        frames = b"".join(struct.pack(">BxxxI", k, len(t)) + t for k, t in
                          [(1, b"first li"), (1, b"ne\nsecond\n"), (2, b"an error\n"), (1, b"cut off")])
        for i in range(len(frames)):
            c.sendall(b"1\r\n" + frames[i:i + 1] + b"\r\n")
        if "follow=1" in line:
            c.close()          # the engine went away: no last chunk
            continue
        c.sendall(b"0\r\n\r\n")
    c.close()
EOF
	local srv=$! rc=0
	wait_for 5 test -S fake.sock
	DOCKER_HOST=unix://$PWD/fake.sock $SLIPWAY container logs web >out 2>err || rc=$?
	expect_eq $rc 0
	expect_eq "$(cat out)" "$(printf 'first line\nsecond\ncut off')"
	expect_eq "$(cat err)" "an error"
	rc=0
	DOCKER_HOST=unix://$PWD/fake.sock $SLIPWAY container logs --follow web >out 2>err || rc=$?
	kill $srv 2>/dev/null
	expect_eq $rc 1
	grep -q "the container engine at unix://$PWD/fake.sock stopped in the middle of the log of web" err ||
		fail "$(cat err)"
	grep -q '^second$' out || fail "$(cat out)"
}

trap cleanup EXIT
if ! engines_up; then
	echo "FAIL: engines_start"
	exit 1
fi
for KIND in podman docker; do
	export DOCKER_HOST=${HOSTS[$KIND]}
	for t in lists_containers_grouped_by_project stats_are_the_docker_clis health_goes_starting_healthy_unhealthy \
		start_stop_restart logs_are_demultiplexed events_follow_starts_and_stops compose_project_is_grouped \
		status_has_a_summary; do
		eval "${t}_on_$KIND() { $t; }"
		t_run "${t}_on_$KIND"
	done
done
DOCKER_HOST=${HOSTS[podman]}
t_run no_engine_is_a_clear_error
t_run permission_denied_names_the_docker_group
t_run an_engine_that_stops_mid_stream
t_done
