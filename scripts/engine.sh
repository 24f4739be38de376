#!/usr/bin/env bash
# engine.sh — private container engines for slipway's tests and demo: podman
# serving the Docker Engine API on a unix socket, the real Docker Engine
# (dockerd) on another, a local image registry and a second one that asks
# for a password, with all configuration, storage and state under one directory.
#
#   scripts/engine.sh [--install] start     start all four (no-op when running)
#   scripts/engine.sh stop                  stop all four (by pidfile)
#   scripts/engine.sh status                say what runs; exit 1 unless all do
#   scripts/engine.sh env                   export lines, for: eval "$(... env)"
#   scripts/engine.sh busybox               build slipway-busybox:latest in both
#                                           engines unless there (engines running)
#   scripts/engine.sh podman ARGS...        podman on the private storage
#   scripts/engine.sh swarm                 make dockerd a one-node swarm manager
#                                           on 127.0.0.1 (no-op when it is one)
#
# SW_ENGINE_DIR      state directory (default ~/.local/share/slipway/engine,
#                    where the sample's docker stages look for engine.sock
#                    when DOCKER_HOST is not set: examples/sample/ci/docker-env.sh)
# SW_REGISTRY_PORT   registry port on 127.0.0.1 (default 5000)
# SW_REGISTRY_AUTH_PORT  the password registry's port (default SW_REGISTRY_PORT+1)
# SW_DOCKERD_STORAGE dockerd's storage driver (default vfs)
# SW_ENGINE_TIMEOUT  seconds to wait for each component (default 30)
# SW_SWARM_PORT      the swarm manager's port on 127.0.0.1 (default 2377; its
#                    gossip port is 7946 whatever this says: one swarm per machine)
#
# DOCKER_HOST from env is podman's socket; SW_DOCKERD_HOST is dockerd's. The
# password registry's user is "slipway", its password in the file named by
# REGISTRY_AUTH_PASSWORD_FILE (made at first start; never printed here).
#
# The machine's own /etc/containers files and /var/lib/containers are never
# written: podman reads the config files written here (CONTAINERS_CONF,
# CONTAINERS_REGISTRIES_CONF, CONTAINERS_STORAGE_CONF) and --root/--runroot.
set -euo pipefail

DIR=${SW_ENGINE_DIR:-${HOME:-/root}/.local/share/slipway/engine}
REG_PORT=${SW_REGISTRY_PORT:-5000}
TIMEOUT=${SW_ENGINE_TIMEOUT:-30}
SOCK=$DIR/engine.sock
ROOT=$DIR/storage
RUNROOT=$DIR/run
PODMAN_PID=$DIR/podman.pid
REGISTRY_PID=$DIR/registry.pid
AUTH_PORT=${SW_REGISTRY_AUTH_PORT:-$((REG_PORT + 1))}
AUTH_PID=$DIR/registry-auth.pid
# Not a word that appears in logs: the tests name it a secret, and every
# secret's value is masked wherever it appears ("slipway-busybox" would
# become "***-busybox").
AUTH_USER=sw-pusher
AUTH_PASSWORD=$DIR/registry-auth.password
AUTH_HTPASSWD=$DIR/registry-auth.htpasswd
DOCKERD_DIR=$DIR/docker
DOCKERD_SOCK=$DIR/docker.sock
DOCKERD_PID=$DOCKERD_DIR/docker.pid
BUSYBOX_IMAGE=slipway-busybox:latest

die() { printf 'engine.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'engine.sh: %s\n' "$*" >&2; }

# --- installation ----------------------------------------------------------

missing_packages() {
	local pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' \
			|| printf '%s\n' "$pkg"
	done
}

install_packages() {
	# docker.io is dockerd, its containerd and the docker CLI (/usr/bin/docker);
	# podman-docker declares Conflicts: docker.io, so it is never installed.
	# apache2-utils is htpasswd, for the bcrypt hash the registry insists on.
	local want=(podman runc conmon busybox-static docker-compose docker-registry
		docker.io apache2-utils mmdebstrap uidmap curl ca-certificates)
	local missing
	missing=$(missing_packages "${want[@]}")
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "--install needs root to apt-get install: $missing"
	say "installing: $(echo "$missing" | tr '\n' ' ')"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null 2>&1 || {
		apt-get update -q >/dev/null 2>&1 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null \
			|| die "apt-get install failed for: $missing"
	}
}

require_tools() {
	local tool
	for tool in podman runc docker-registry curl docker docker-compose dockerd containerd; do
		command -v "$tool" >/dev/null 2>&1 \
			|| die "'$tool' not found; run: scripts/engine.sh --install start"
	done
}

# --- configuration ---------------------------------------------------------

write_config() {
	mkdir -p "$DIR" "$ROOT" "$RUNROOT" "$DIR/tmp" "$DIR/networks" "$DIR/registry" \
		"$DIR/registry-auth" "$DOCKERD_DIR"
	# crun fails here with "cgroups in hybrid mode not supported"; the sandbox
	# may not raise rlimits, so podman's default ulimits must be lowered.
	cat >"$DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
# conmon of a finished "docker exec" lingers this long for its exit code
# (default 300 s): keep it short so tests leave no processes behind.
exit_command_delay = 10
events_logger = "file"
events_logfile_path = "$DIR/events.log"
tmp_dir = "$DIR/tmp"
static_dir = "$ROOT/libpod"
volume_path = "$ROOT/volumes"

[network]
network_config_dir = "$DIR/networks"
EOF
	cat >"$DIR/registries.conf" <<EOF
unqualified-search-registries = []
short-name-mode = "permissive"

[[registry]]
location = "127.0.0.1:$REG_PORT"
insecure = true

[[registry]]
location = "127.0.0.1:$AUTH_PORT"
insecure = true
EOF
	cat >"$DIR/storage.conf" <<EOF
[storage]
driver = "$(storage_driver)"
graphroot = "$ROOT"
runroot = "$RUNROOT"
EOF
	cat >"$DIR/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REG_PORT
EOF
	cat >"$DIR/registry-auth.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/registry-auth
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$AUTH_PORT
auth:
  htpasswd:
    realm: slipway
    path: $AUTH_HTPASSWD
EOF
	# Its own file, so /etc/docker/daemon.json is never read. 127.0.0.0/8 is
	# insecure by default anyway; saying so keeps that from being a surprise.
	# dockerd 20.10 writes its identity key to /etc/docker/key.json unless told
	# otherwise, and only daemon.json can (its --deprecated-key-path is gone).
	cat >"$DOCKERD_DIR/daemon.json" <<EOF
{
  "insecure-registries": ["127.0.0.1:$REG_PORT", "127.0.0.1:$AUTH_PORT"],
  "deprecated-key-path": "$DOCKERD_DIR/key.json"
}
EOF
	write_password
}

# A random password at first start (kept after: tests and logins read it),
# and its bcrypt line in the htpasswd file whenever that is older. The
# password goes to the hashing tools on stdin, never on a command line.
write_password() {
	if [ ! -s "$AUTH_PASSWORD" ]; then
		(umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$AUTH_PASSWORD.new")
		mv "$AUTH_PASSWORD.new" "$AUTH_PASSWORD"
	fi
	chmod 600 "$AUTH_PASSWORD"
	[ -s "$AUTH_HTPASSWD" ] && [ "$AUTH_HTPASSWD" -nt "$AUTH_PASSWORD" ] &&
		grep -q "^$AUTH_USER:" "$AUTH_HTPASSWD" && return 0
	local line
	line=$(bcrypt_line <"$AUTH_PASSWORD") || die "cannot make a bcrypt hash: scripts/engine.sh --install start"
	case $line in "$AUTH_USER:\$2"[aby]"\$"*) ;; *) die "the bcrypt hash looks wrong" ;; esac
	(umask 077 && printf '%s\n' "$line" >"$AUTH_HTPASSWD")
}

# user:hash for the password on stdin. The registry reads only bcrypt from
# htpasswd files: htpasswd -B, else Python's bcrypt module, else crypt(3)'s
# blowfish (libxcrypt; Python's crypt module is gone in 3.13).
bcrypt_line() {
	local pw
	pw=$(cat)
	if command -v htpasswd >/dev/null 2>&1; then
		htpasswd -niB "$AUTH_USER" <<<"$pw" | sed -n 1p
	elif /usr/bin/python3 -c 'import bcrypt' 2>/dev/null; then
		/usr/bin/python3 -c 'import bcrypt, sys
print(sys.argv[1] + ":" + bcrypt.hashpw(sys.stdin.read().rstrip("\n").encode(), bcrypt.gensalt()).decode())' \
			"$AUTH_USER" <<<"$pw"
	else
		/usr/bin/python3 -W ignore -c 'import crypt, sys
print(sys.argv[1] + ":" + crypt.crypt(sys.stdin.read().rstrip("\n"), crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
			"$AUTH_USER" <<<"$pw"
	fi
}

# overlay when the kernel offers it, else vfs (slow but works anywhere).
storage_driver() {
	if [ -n "${SW_STORAGE_DRIVER:-}" ]; then
		echo "$SW_STORAGE_DRIVER"
	elif grep -qw overlay /proc/filesystems 2>/dev/null || modprobe -q overlay 2>/dev/null; then
		echo overlay
	else
		echo vfs
	fi
}

export_env() {
	export CONTAINERS_CONF=$DIR/containers.conf
	export CONTAINERS_REGISTRIES_CONF=$DIR/registries.conf
	export CONTAINERS_STORAGE_CONF=$DIR/storage.conf
}

private_podman() {
	export_env
	podman --root "$ROOT" --runroot "$RUNROOT" "$@"
}

# --- processes -------------------------------------------------------------

# pid from FILE if that process is alive and runs COMMAND
alive_pid() {
	local file=$1 command=$2 pid
	[ -r "$file" ] || return 1
	pid=$(cat "$file")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$command" || return 1
	echo "$pid"
}

# spawn LOG COMMAND...: start COMMAND detached (own session, no terminal),
# with none of the caller's descriptors beyond stdio (a caller's lock file
# must not be held for the daemon's lifetime). Sets SPAWNED_PID.
spawn() {
	local log=$1
	shift
	(
		for fd in "/proc/$BASHPID/fd/"*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
		done
		# The caller's directory may be a test's, removed later: conmon
		# inherits the service's working directory and fails without one.
		cd "$DIR" || exit 1
		exec setsid "$@" </dev/null >"$log" 2>&1
	) &
	SPAWNED_PID=$!
}

ping_engine() { ping_socket "$SOCK"; }
ping_dockerd() { ping_socket "$DOCKERD_SOCK"; }
ping_socket() { curl -sf -m 2 --unix-socket "$1" http://d/_ping 2>/dev/null | grep -q OK; }
ping_registry() { curl -sf -m 2 -o /dev/null "http://127.0.0.1:$REG_PORT/v2/"; }
# The password registry answers /v2/ without one with 401 and a challenge.
ping_registry_auth() {
	[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AUTH_PORT/v2/")" = 401 ]
}

# wait until CHECK succeeds; fail early if PID dies; bounded by $TIMEOUT
wait_for() {
	local what=$1 check=$2 pid=$3 log=$4 tries=$((TIMEOUT * 5))
	while [ "$tries" -gt 0 ]; do
		"$check" && return 0
		kill -0 "$pid" 2>/dev/null || {
			tail -n 20 "$log" >&2 || true
			die "$what exited during start-up (log: $log)"
		}
		sleep 0.2
		tries=$((tries - 1))
	done
	tail -n 20 "$log" >&2 || true
	die "$what did not answer within ${TIMEOUT}s (log: $log)"
}

start_engine() {
	if alive_pid "$PODMAN_PID" "system service" >/dev/null && ping_engine; then
		say "engine already running (socket $SOCK)"
		return 0
	fi
	[ ${#SOCK} -lt 100 ] || die "socket path too long for a unix socket: $SOCK"
	rm -f "$SOCK"
	export_env
	spawn "$DIR/podman.log" podman --root "$ROOT" --runroot "$RUNROOT" \
		system service --time=0 "unix://$SOCK"
	echo "$SPAWNED_PID" >"$PODMAN_PID"
	wait_for "podman API service" ping_engine "$SPAWNED_PID" "$DIR/podman.log"
	say "engine answering on $SOCK (pid $(cat "$PODMAN_PID"))"
}

start_registry() {
	run_registry registry "$REGISTRY_PID" "$REG_PORT" "$DIR/registry.yml" ping_registry
}

start_registry_auth() {
	run_registry "password registry" "$AUTH_PID" "$AUTH_PORT" "$DIR/registry-auth.yml" \
		ping_registry_auth
}

# run_registry NAME PIDFILE PORT CONFIG CHECK: one docker-registry process.
# Matched by its config file: both registries are "docker-registry serve".
run_registry() {
	local name=$1 pidfile=$2 port=$3 config=$4 check=$5 log=${4%.yml}.log
	if alive_pid "$pidfile" "serve $config" >/dev/null && "$check"; then
		say "$name already running on 127.0.0.1:$port"
		return 0
	fi
	# Alive but not answering here (its port was changed): it goes, or it
	# would outlive its overwritten pidfile.
	stop_pidfile "$pidfile" "serve $config" "$name" >/dev/null 2>&1
	if port_busy "$port"; then
		die "127.0.0.1:$port is already in use by another process; set SW_REGISTRY_PORT / SW_REGISTRY_AUTH_PORT"
	fi
	spawn "$log" docker-registry serve "$config"
	echo "$SPAWNED_PID" >"$pidfile"
	wait_for "$name" "$check" "$SPAWNED_PID" "$log"
	say "$name answering on 127.0.0.1:$port (pid $(cat "$pidfile"))"
}

# The real Docker Engine, everything under $DOCKERD_DIR: its own daemon.json
# (never /etc/docker/daemon.json), no bridge and no firewall rules (containers
# use --network host on 127.0.0.1 or --network none, as with podman). dockerd
# starts its own containerd under the exec root, unless a containerd already
# answers on /run/containerd/containerd.sock: then it would use that one, and
# containers would live outside this directory, so that is refused.
start_dockerd() {
	if alive_pid "$DOCKERD_PID" dockerd >/dev/null && ping_dockerd; then
		say "docker engine already running (socket $DOCKERD_SOCK)"
		return 0
	fi
	[ ${#DOCKERD_SOCK} -lt 100 ] || die "socket path too long for a unix socket: $DOCKERD_SOCK"
	# containerd's socket is the longest path dockerd makes.
	local shim_sock=$DOCKERD_DIR/exec/containerd/containerd.sock
	[ ${#shim_sock} -lt 100 ] || die "state directory too long for containerd's socket: $shim_sock"
	[ -S /run/containerd/containerd.sock ] \
		&& die "a system containerd runs (/run/containerd/containerd.sock); dockerd would use it instead of its own"
	# A dockerd killed hard leaves its pidfile and containerd behind; dockerd
	# refuses to start over a pidfile, and the old containerd must go first.
	reap_dockerd_children
	rm -f "$DOCKERD_SOCK" "$DOCKERD_PID"
	spawn "$DOCKERD_DIR/dockerd.log" dockerd \
		--host "unix://$DOCKERD_SOCK" \
		--config-file "$DOCKERD_DIR/daemon.json" \
		--data-root "$DOCKERD_DIR/data" \
		--exec-root "$DOCKERD_DIR/exec" \
		--pidfile "$DOCKERD_PID" \
		--iptables=false --ip-masq=false --bridge=none \
		--storage-driver "${SW_DOCKERD_STORAGE:-vfs}"
	wait_for "docker engine" ping_dockerd "$SPAWNED_PID" "$DOCKERD_DIR/dockerd.log"
	say "docker engine answering on $DOCKERD_SOCK (pid $SPAWNED_PID)"
}

# containerd and its shims started for this dockerd: all name the exec root.
dockerd_children() {
	pgrep -f -- "$DOCKERD_DIR/exec/containerd" || true
}

# After a dockerd that was killed (or KILLed by stop): its containerd dies
# with it but the shims stay, each with its container running. End the
# containers through runc's state (a shim's TERM leaves its container
# orphaned), then the shims, then release dockerd's mounts (the data root
# bound on itself, network namespaces) that only a clean shutdown undoes.
reap_dockerd_children() {
	local runc_root=$DOCKERD_DIR/exec/runtime-runc/moby id pids left
	if [ -d "$runc_root" ]; then
		for id in $(runc --root "$runc_root" list -q 2>/dev/null); do
			runc --root "$runc_root" kill --all "$id" KILL 2>/dev/null || true
			runc --root "$runc_root" delete --force "$id" 2>/dev/null || true
		done
	fi
	pids=$(dockerd_children)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null || true
		for _ in $(seq 25); do
			[ -z "$(dockerd_children)" ] && break
			sleep 0.2
		done
		left=$(dockerd_children)
		# shellcheck disable=SC2086
		[ -z "$left" ] || kill -KILL $left 2>/dev/null || true
		say "ended containerd processes dockerd left behind (pids $(tr '\n' ' ' <<<"$pids"))"
	fi
	# Deepest first; mountinfo's fifth field is the mount point.
	awk -v d="$DOCKERD_DIR/" 'index($5 "/", d) == 1 { print $5 }' /proc/self/mountinfo \
		| sort -r | while read -r mnt; do umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true; done
}

port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The docker CLI and docker-compose must both reach the engine.
check_clients() {
	local out
	out=$(DOCKER_HOST=unix://$SOCK docker version --format '{{.Server.Version}}' 2>&1) \
		|| die "docker CLI cannot talk to the engine: $out"
	printf '%s\n' 'version: "2.4"' 'services: {probe: {image: probe, network_mode: none}}' \
		>"$DIR/compose-check.yml"
	out=$(DOCKER_HOST=unix://$SOCK docker-compose -p swcheck -f "$DIR/compose-check.yml" \
		ps 2>&1) || die "docker-compose cannot talk to the engine: $out"
	out=$(DOCKER_HOST=unix://$DOCKERD_SOCK docker version --format '{{.Server.Version}}' 2>&1) \
		|| die "docker CLI cannot talk to the docker engine: $out"
}

# stop_pidfile FILE COMMAND NAME [SECONDS]: TERM, then KILL after SECONDS (10).
stop_pidfile() {
	local file=$1 command=$2 name=$3 wait=${4:-10} pid
	if ! pid=$(alive_pid "$file" "$command"); then
		rm -f "$file"
		say "$name not running"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq $((wait * 5))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$file"
	say "$name stopped (pid $pid)"
}

# --- commands --------------------------------------------------------------

cmd_start() {
	[ "${INSTALL:-0}" = 1 ] && install_packages
	require_tools
	write_config
	start_engine
	start_dockerd
	start_registry
	start_registry_auth
	check_clients
	# Two inspects (~0.1 s) when the image is there; ~4 s once per state dir.
	cmd_busybox
}

# The four stop side by side: dockerd takes ~1 s (plus up to 10 s for each
# running container: their stop timeout), each registry ~2 s.
cmd_swarm() {
	ping_dockerd || die "the docker engine does not run: scripts/engine.sh start"
	local state
	state=$(DOCKER_HOST=unix://$DOCKERD_SOCK docker info --format '{{.Swarm.LocalNodeState}}' 2>&1) \
		|| die "docker info: $state"
	if [ "$state" = active ]; then
		say "the docker engine is a swarm manager already"
		return 0
	fi
	# Loopback only: the manager's port, and gossip (7946), bind 127.0.0.1.
	DOCKER_HOST=unix://$DOCKERD_SOCK docker swarm init --advertise-addr 127.0.0.1 \
		--listen-addr "127.0.0.1:${SW_SWARM_PORT:-2377}" >/dev/null || die "docker swarm init failed"
	say "the docker engine is a one-node swarm manager on 127.0.0.1:${SW_SWARM_PORT:-2377}"
}

cmd_stop() {
	local pids=() pid rc=0
	{ stop_pidfile "$PODMAN_PID" "system service" "engine"; rm -f "$SOCK"; } &
	pids+=($!)
	# dockerd stops its containers (in parallel, each given its stop timeout,
	# 10 s by default) and its containerd; whatever of containerd is left
	# after a KILL is ended here.
	{
		# A swarm outlives dockerd in its data root: left, its services
		# would start again with the next dockerd.
		if alive_pid "$DOCKERD_PID" dockerd >/dev/null && ping_dockerd; then
			DOCKER_HOST=unix://$DOCKERD_SOCK timeout 30 docker swarm leave --force >/dev/null 2>&1 || true
		fi
		stop_pidfile "$DOCKERD_PID" dockerd "docker engine" 30
		reap_dockerd_children
		rm -f "$DOCKERD_SOCK"
	} &
	pids+=($!)
	stop_pidfile "$REGISTRY_PID" "serve $DIR/registry.yml" "registry" &
	pids+=($!)
	stop_pidfile "$AUTH_PID" "serve $DIR/registry-auth.yml" "password registry" &
	pids+=($!)
	for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
	# containers/storage leaves its overlay directory bind-mounted; release it
	# unless containers still have their root filesystems mounted below it.
	umount "$ROOT/overlay" 2>/dev/null || true
	return $rc
}

cmd_status() {
	local rc=0
	if ping_engine; then echo "engine: running (unix://$SOCK)"; else echo "engine: stopped"; rc=1; fi
	if alive_pid "$DOCKERD_PID" dockerd >/dev/null && ping_dockerd; then
		echo "docker engine: running (unix://$DOCKERD_SOCK)"
	else
		echo "docker engine: stopped"; rc=1
	fi
	if alive_pid "$REGISTRY_PID" "serve $DIR/registry.yml" >/dev/null && ping_registry; then
		echo "registry: running (127.0.0.1:$REG_PORT)"
	else
		echo "registry: stopped"; rc=1
	fi
	if alive_pid "$AUTH_PID" "serve $DIR/registry-auth.yml" >/dev/null && ping_registry_auth; then
		echo "password registry: running (127.0.0.1:$AUTH_PORT, user $AUTH_USER)"
	else
		echo "password registry: stopped"; rc=1
	fi
	return $rc
}

# DOCKER_HOST stays podman's socket: the tests written before dockerd was
# here (containers.sh, release.sh) run against podman.
cmd_env() {
	printf 'export DOCKER_HOST=%q\n' "unix://$SOCK"
	printf 'export SW_DOCKERD_HOST=%q\n' "unix://$DOCKERD_SOCK"
	printf 'export REGISTRY=%q\n' "127.0.0.1:$REG_PORT"
	printf 'export REGISTRY_AUTH=%q\n' "127.0.0.1:$AUTH_PORT"
	printf 'export REGISTRY_AUTH_USER=%q\n' "$AUTH_USER"
	printf 'export REGISTRY_AUTH_PASSWORD_FILE=%q\n' "$AUTH_PASSWORD"
	printf 'export CONTAINERS_CONF=%q\n' "$DIR/containers.conf"
	printf 'export CONTAINERS_REGISTRIES_CONF=%q\n' "$DIR/registries.conf"
	printf 'export CONTAINERS_STORAGE_CONF=%q\n' "$DIR/storage.conf"
	printf 'export SW_ENGINE_DIR=%q\n' "$DIR"
}

# slipway-busybox:latest in both engines: /bin/busybox from busybox-static
# FROM scratch, its applets linked into /bin. Nothing can be pulled, so
# tests that need a small image use this one. An image whose label names
# the same busybox binary is kept: a run with both present costs two
# inspects. Built with the classic builder (no buildx here) and no network.
cmd_busybox() {
	local busybox=/bin/busybox sum host name ctx
	# A dynamic busybox fails in the RUN step below (no libc FROM scratch).
	{ [ -x "$busybox" ] && "$busybox" true; } \
		|| die "no busybox at $busybox: scripts/engine.sh --install start"
	sum=$(sha256sum "$busybox" | cut -c1-16)
	for host in "unix://$SOCK" "unix://$DOCKERD_SOCK"; do
		name=${host##*/}
		if [ "$(DOCKER_HOST=$host docker image inspect \
			--format '{{index .Config.Labels "slipway.busybox"}}' "$BUSYBOX_IMAGE" 2>/dev/null)" = "$sum" ]; then
			say "$BUSYBOX_IMAGE present ($name)"
			continue
		fi
		ctx=$(mktemp -d "$DIR/tmp/busybox.XXXXXX")
		cp "$busybox" "$ctx/busybox"
		cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
LABEL slipway.busybox=$sum
CMD ["/bin/sh"]
EOF
		DOCKER_HOST=$host DOCKER_BUILDKIT=0 docker build -q --force-rm --network none \
			-t "$BUSYBOX_IMAGE" "$ctx" >"$DIR/busybox-build.log" 2>&1 || {
			rm -rf "$ctx"
			tail -n 20 "$DIR/busybox-build.log" >&2
			die "building $BUSYBOX_IMAGE failed ($name; log: $DIR/busybox-build.log)"
		}
		rm -rf "$ctx"
		say "$BUSYBOX_IMAGE built ($name)"
	done
}

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit "${1:-2}"
}

main() {
	INSTALL=0
	while [ $# -gt 0 ]; do
		case $1 in
		--install) INSTALL=1; shift ;;
		-h|--help) usage 0 ;;
		*) break ;;
		esac
	done
	[ $# -ge 1 ] || usage
	local cmd=$1; shift
	case $cmd in
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	env) cmd_env ;;
	busybox) cmd_busybox ;;
	swarm) cmd_swarm ;;
	podman) private_podman "$@" ;;
	*) usage ;;
	esac
}

main "$@"
