#!/usr/bin/env bash
# Installs, from Debian's packages, what slipway needs to build, to run its
# demo and to pass its tests.  Idempotent; needs root (or sudo).
#   scripts/install-deps.sh [build|demo|test]   (default: test, the superset)
set -euo pipefail
what=${1:-test}

build=(build-essential autoconf automake pkg-config git
	libncurses-dev libcurl4-openssl-dev libcjson-dev libgit2-dev libpcre2-dev libexpat1-dev libyaml-dev libsqlite3-dev
	libmicrohttpd-dev libssl-dev)
python=(python3 python3-venv python3-django python3-pytest python3-pytest-django
	python3-pytest-cov python3-flake8 gunicorn)
engine=(podman runc conmon busybox-static docker-compose docker-registry mmdebstrap uidmap
	curl ca-certificates)
tools=(tmux bsdutils procps)
# The fuzz harnesses (scripts/fuzz.sh): clang and its libFuzzer runtime,
# which clang only recommends.
fuzz=(clang libclang-rt-14-dev)
# Only the tests: the sqlite3 shell, to make and read the databases a
# deploy backs up; an OpenSSH server and client for the ssh:// deploy
# targets (tests/sshd.sh starts its own sshd on 127.0.0.1, never the
# system's service: see no_system_sshd below); openssl's command, to sign
# the webhook deliveries tests/integration/watch.sh sends.
testing=(sqlite3 openssh-server openssh-client openssl)

case $what in
build) want=("${build[@]}") ;;
demo) want=("${build[@]}" "${python[@]}" "${engine[@]}" "${tools[@]}") ;;
test) want=("${build[@]}" "${python[@]}" "${engine[@]}" "${tools[@]}" "${fuzz[@]}" "${testing[@]}") ;;
*) echo "usage: $0 [build|demo|test]" >&2; exit 2 ;;
esac
# The docker CLI: the machine's own if it has one, else podman's shim.
command -v docker >/dev/null 2>&1 || want+=(podman-docker)

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

# A test machine opens no public port: the openssh-server package would
# run sshd on 0.0.0.0:22.  /etc/ssh/sshd_not_to_be_run keeps Debian's init
# script and systemd unit from starting it (an sshd started by hand with
# its own -f, as tests/sshd.sh does, is not concerned); one already running
# from the package's postinst is stopped.
no_system_sshd() {
	dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -q 'ok installed' || return 0
	[ -e /etc/ssh/sshd_not_to_be_run ] || $sudo touch /etc/ssh/sshd_not_to_be_run
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		$sudo systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
	fi
	command -v service >/dev/null 2>&1 && $sudo service ssh stop >/dev/null 2>&1 || true
	if [ -s /run/sshd.pid ]; then
		local pid
		pid=$(cat /run/sshd.pid)
		$sudo kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			$sudo kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	return 0
}

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	no_system_sshd
	exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Before the package exists, so that its postinst finds the marker.
case " ${missing[*]} " in
*" openssh-server "*) $sudo mkdir -p /etc/ssh && $sudo touch /etc/ssh/sshd_not_to_be_run ;;
esac
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
no_system_sshd
