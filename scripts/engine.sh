#!/usr/bin/env bash
# engine.sh — a private container engine for slipway's tests and demo: podman
# serving the Docker Engine API on a unix socket, plus a local image registry,
# with all configuration, storage and state under one directory.
#
#   scripts/engine.sh [--install] start     start both (no-op when running)
#   scripts/engine.sh stop                  stop both (by pidfile)
#   scripts/engine.sh status                say what runs; exit 1 if not both
#   scripts/engine.sh env                   export lines, for: eval "$(... env)"
#   scripts/engine.sh podman ARGS...        podman on the private storage
#
# SW_ENGINE_DIR      state directory (default ~/.local/share/slipway/engine,
#                    where the sample's docker stages look for engine.sock
#                    when DOCKER_HOST is not set: examples/sample/ci/docker-env.sh)
# SW_REGISTRY_PORT   registry port on 127.0.0.1 (default 5000)
# SW_ENGINE_TIMEOUT  seconds to wait for each component (default 30)
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
	local want=(podman runc conmon busybox-static docker-compose docker-registry
		mmdebstrap uidmap curl ca-certificates)
	command -v docker >/dev/null 2>&1 || want+=(podman-docker)
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
	for tool in podman runc docker-registry curl docker docker-compose; do
		command -v "$tool" >/dev/null 2>&1 \
			|| die "'$tool' not found; run: scripts/engine.sh --install start"
	done
}

# --- configuration ---------------------------------------------------------

write_config() {
	mkdir -p "$DIR" "$ROOT" "$RUNROOT" "$DIR/tmp" "$DIR/networks" "$DIR/registry"
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

ping_engine() { curl -sf -m 2 --unix-socket "$SOCK" http://d/_ping 2>/dev/null | grep -q OK; }
ping_registry() { curl -sf -m 2 -o /dev/null "http://127.0.0.1:$REG_PORT/v2/"; }

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
	if alive_pid "$REGISTRY_PID" "docker-registry" >/dev/null && ping_registry; then
		say "registry already running on 127.0.0.1:$REG_PORT"
		return 0
	fi
	if ping_registry || port_busy "$REG_PORT"; then
		die "127.0.0.1:$REG_PORT is already in use by another process; set SW_REGISTRY_PORT"
	fi
	spawn "$DIR/registry.log" docker-registry serve "$DIR/registry.yml"
	echo "$SPAWNED_PID" >"$REGISTRY_PID"
	wait_for "registry" ping_registry "$SPAWNED_PID" "$DIR/registry.log"
	say "registry answering on 127.0.0.1:$REG_PORT (pid $(cat "$REGISTRY_PID"))"
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
}

stop_pidfile() {
	local file=$1 command=$2 name=$3 pid
	if ! pid=$(alive_pid "$file" "$command"); then
		rm -f "$file"
		say "$name not running"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
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
	start_registry
	check_clients
}

cmd_stop() {
	stop_pidfile "$PODMAN_PID" "system service" "engine"
	rm -f "$SOCK"
	stop_pidfile "$REGISTRY_PID" "docker-registry" "registry"
	# containers/storage leaves its overlay directory bind-mounted; release it
	# unless containers still have their root filesystems mounted below it.
	umount "$ROOT/overlay" 2>/dev/null || true
}

cmd_status() {
	local rc=0
	if ping_engine; then echo "engine: running (unix://$SOCK)"; else echo "engine: stopped"; rc=1; fi
	if alive_pid "$REGISTRY_PID" "docker-registry" >/dev/null && ping_registry; then
		echo "registry: running (127.0.0.1:$REG_PORT)"
	else
		echo "registry: stopped"; rc=1
	fi
	return $rc
}

cmd_env() {
	printf 'export DOCKER_HOST=%q\n' "unix://$SOCK"
	printf 'export REGISTRY=%q\n' "127.0.0.1:$REG_PORT"
	printf 'export CONTAINERS_CONF=%q\n' "$DIR/containers.conf"
	printf 'export CONTAINERS_REGISTRIES_CONF=%q\n' "$DIR/registries.conf"
	printf 'export CONTAINERS_STORAGE_CONF=%q\n' "$DIR/storage.conf"
	printf 'export SW_ENGINE_DIR=%q\n' "$DIR"
}

usage() {
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
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
	podman) private_podman "$@" ;;
	*) usage ;;
	esac
}

main "$@"
