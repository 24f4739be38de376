# A real OpenSSH server for integration tests of ssh:// deploy targets,
# sourced after tests/lib.sh.  The sshd is the test's own: started by hand
# from /usr/sbin/sshd with its own config, listening on 127.0.0.1 only, on a
# free port, letting in only the current user with a key made here.
# (scripts/install-deps.sh test installs openssh-server and keeps the
# system's sshd from ever running.)
#
# sshd costs time to start: start one per test script, not one per test.
# In the script's top level, before the t_run calls:
#
#	. "$SW_SRCDIR/tests/lib.sh"
#	. "$SW_SRCDIR/tests/sshd.sh"
#	...test functions...
#	SSHD=$T_DIR/sshd
#	trap 'sshd_down "$SSHD"' EXIT
#	trap "exit 143" TERM INT
#	sshd_up "$SSHD" || { echo "FAIL: sshd_up"; exit 1; }
#	t_run some_test
#	t_done
#
# sshd_up DIR exports:
#   SSHD_DIR             DIR
#   SSHD_PORT            the port sshd listens on, on 127.0.0.1
#   SSH_TARGET           ssh://USER@127.0.0.1:PORT (USER: id -un)
#   SLIPWAY_SSH_COMMAND  "ssh -F DIR/ssh_config", what slipway runs for ssh
# DIR/ssh_config's settings (port, user, key, known hosts, BatchMode) apply
# to the alias slipway-test and to the host 127.0.0.1, so both
#   $SLIPWAY_SSH_COMMAND slipway-test true
#   $SLIPWAY_SSH_COMMAND -p "$SSHD_PORT" "$(id -un)@127.0.0.1" true
# log in.  A command run there sees the user's real $HOME (the passwd
# one), not the suite's private one.  Keep DIR short (under T_DIR is fine):
# a ControlPath DIR/cm-%C must fit in a unix socket's 108 bytes.
#
# sshd_up fails (never skips) with a message naming what went wrong; the
# server's log is DIR/sshd.log.  SSHD_MOUNT (see sshd_launch) gives the
# server a tree of its own at one path.

SSHD_BIN=/usr/sbin/sshd

# sshd_free_port: a port free on 127.0.0.1 now (the kernel's pick).
sshd_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sshd_banner PORT: something on 127.0.0.1:PORT speaks SSH.
sshd_banner() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	IFS= read -r -t 2 line <&3
	exec 3<&- 3>&-
	case $line in SSH-*) return 0 ;; *) return 1 ;; esac
}

# sshd_running PID...: one of the PIDs runs (a zombie does not: a
# container's init may be slow to reap the daemon).
sshd_running() {
	local p state
	for p in "$@"; do
		state=$(ps -o stat= -p "$p" 2>/dev/null) || continue
		case $state in Z*|"") ;; *) return 0 ;; esac
	done
	return 1
}

# sshd_started DIR: waits (10 s at most) for the sshd of DIR to write its
# pid file, or to log that it gave up.
sshd_started() {
	local end=$((SECONDS + 10))
	while [ $SECONDS -lt $end ]; do
		[ -s "$1/sshd.pid" ] && sshd_running "$(cat "$1/sshd.pid")" && return 0
		grep -qE 'fatal|Cannot bind|Address already in use' "$1/sshd.log" 2>/dev/null && return 1
		sleep 0.1
	done
	echo "  sshd_up: sshd wrote no pid file in 10s" >&2
	return 1
}

sshd_log_tail() {
	[ -s "$1/sshd.log" ] && sed 's/^/    sshd.log| /' "$1/sshd.log" | tail -15 >&2
	return 0
}

# sshd_client_config DIR FILE KNOWN_HOSTS: a client config for the sshd of
# DIR, trusting the host keys in KNOWN_HOSTS.
sshd_client_config() {
	local dir=$1 file=$2 known=$3
	cat >"$file" <<EOF
Host slipway-test 127.0.0.1
	HostName 127.0.0.1
	Port $SSHD_PORT
	User $(id -un)
	IdentityFile $dir/client_key
	IdentitiesOnly yes
	UserKnownHostsFile $known
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	UpdateHostKeys no
	BatchMode yes
	ConnectTimeout 10
	LogLevel ERROR
EOF
}

# sshd_launch DIR: starts the sshd of DIR; with SSHD_MOUNT=ROOT:MOUNTPOINT,
# in a mount namespace of its own where ROOT is bound on MOUNTPOINT, so
# that sessions there see ROOT's files at MOUNTPOINT: one machine, hosts
# each with their own tree at the same path (a fleet's deploy path).
sshd_launch() {
	local dir=$1
	if [ -z "${SSHD_MOUNT:-}" ]; then
		"$SSHD_BIN" -f "$dir/sshd_config" -E "$dir/sshd.log"
		return
	fi
	[ "$(id -u)" -eq 0 ] || { echo "  sshd_up: SSHD_MOUNT needs root (unshare --mount)" >&2; return 1; }
	unshare --mount --propagation private sh -c 'mount --bind "$1" "$2" && exec "$3" -f "$4" -E "$5"' sh \
		"${SSHD_MOUNT%%:*}" "${SSHD_MOUNT#*:}" "$SSHD_BIN" "$dir/sshd_config" "$dir/sshd.log" 2>>"$dir/sshd.log"
}

# sshd_up DIR: see the header.
sshd_up() {
	local dir=$1 user port attempt pid
	[ -x "$SSHD_BIN" ] || { echo "  openssh-server is not installed: scripts/install-deps.sh test" >&2; return 1; }
	command -v ssh >/dev/null && command -v ssh-keygen >/dev/null ||
		{ echo "  openssh-client is not installed: scripts/install-deps.sh test" >&2; return 1; }
	mkdir -p "$dir" && chmod 0700 "$dir" || { echo "  sshd_up: cannot make $dir" >&2; return 1; }
	dir=$(cd "$dir" && pwd)
	user=$(id -un)
	rm -f "$dir"/host_key* "$dir"/client_key*
	ssh-keygen -q -t ed25519 -N '' -C slipway-test-host -f "$dir/host_key" ||
		{ echo "  sshd_up: ssh-keygen could not make the host key" >&2; return 1; }
	ssh-keygen -q -t ed25519 -N '' -C slipway-test-client -f "$dir/client_key" ||
		{ echo "  sshd_up: ssh-keygen could not make the client key" >&2; return 1; }
	cp "$dir/client_key.pub" "$dir/authorized_keys"
	chmod 0600 "$dir/authorized_keys"
	# The privilege separation directory (root only; an unprivileged sshd
	# does without).
	if [ ! -d /run/sshd ] && [ "$(id -u)" -eq 0 ]; then
		mkdir -p /run/sshd && chmod 0755 /run/sshd ||
			{ echo "  sshd_up: cannot make /run/sshd (sshd's privilege separation directory)" >&2; return 1; }
	fi
	# The free port may be taken between the pick and sshd's bind: a few tries.
	for attempt in 1 2 3; do
		port=$(sshd_free_port) || { echo "  sshd_up: no free port on 127.0.0.1 (python3)" >&2; return 1; }
		cat >"$dir/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PidFile $dir/sshd.pid
AllowUsers $user
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
LogLevel VERBOSE
EOF
		rm -f "$dir/sshd.pid"
		: >"$dir/sshd.log"
		"$SSHD_BIN" -t -f "$dir/sshd_config" 2>"$dir/sshd.check" ||
			{ sed 's/^/    /' "$dir/sshd.check" >&2; echo "  sshd_up: $dir/sshd_config is refused by sshd -t" >&2; return 1; }
		# sshd forks into the background first, then listens, then writes its
		# pid file: the pid file says it listens, the log that it gave up.
		sshd_launch "$dir" && sshd_started "$dir" && break
		if grep -q 'Address already in use' "$dir/sshd.log" && [ $attempt -lt 3 ]; then
			continue
		fi
		sshd_log_tail "$dir"
		echo "  sshd_up: $SSHD_BIN did not start (log: $dir/sshd.log)" >&2
		return 1
	done
	pid=$(cat "$dir/sshd.pid")
	export SSHD_DIR=$dir SSHD_PORT=$port
	export SSH_TARGET="ssh://$user@127.0.0.1:$port"
	export SLIPWAY_SSH_COMMAND="ssh -F $dir/ssh_config"
	if ! wait_for 10 sshd_banner "$port"; then
		sshd_log_tail "$dir"
		echo "  sshd_up: sshd (pid $pid) does not answer on 127.0.0.1:$port" >&2
		return 1
	fi
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/host_key.pub")" >"$dir/known_hosts"
	sshd_client_config "$dir" "$dir/ssh_config" "$dir/known_hosts"
	# Accepting connections is not logging in: a locked account, a key
	# refused would only show up in the first test otherwise.
	if ! ssh -F "$dir/ssh_config" slipway-test true </dev/null 2>"$dir/ssh.check"; then
		sed 's/^/    /' "$dir/ssh.check" >&2
		sshd_log_tail "$dir"
		echo "  sshd_up: sshd on 127.0.0.1:$port runs but $user cannot log in with $dir/client_key" >&2
		return 1
	fi
}

# sshd_unknown_host_config DIR: DIR/ssh_config_unknown, like DIR/ssh_config
# but with an empty known_hosts (DIR/known_hosts_empty), so that ssh fails
# with "Host key verification failed".
sshd_unknown_host_config() {
	local dir=$1
	: >"$dir/known_hosts_empty"
	sshd_client_config "$dir" "$dir/ssh_config_unknown" "$dir/known_hosts_empty"
}

# sshd_down DIR: stops the sshd of DIR and the sessions it still serves,
# and waits until they are gone.  Harmless when none runs.
sshd_down() {
	local dir=$1 pid kids=() p
	[ -s "$dir/sshd.pid" ] || return 0
	pid=$(cat "$dir/sshd.pid")
	sshd_running "$pid" || { rm -f "$dir/sshd.pid"; return 0; }
	# The per-connection sshd processes are the listener's children (and
	# theirs): the listener's SIGTERM does not end them.
	p=$(pgrep -P "$pid")
	for p in $p; do
		kids+=("$p" $(pgrep -P "$p"))
	done
	kill "$pid" "${kids[@]}" 2>/dev/null
	local end=$((SECONDS + 10))
	while sshd_running "$pid" "${kids[@]}"; do
		if [ $SECONDS -ge $end ]; then
			kill -9 "$pid" "${kids[@]}" 2>/dev/null
			sleep 0.2
			break
		fi
		sleep 0.1
	done
	rm -f "$dir/sshd.pid"
}
