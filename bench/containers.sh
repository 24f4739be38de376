#!/usr/bin/env bash
# Containers benchmark: `slipway containers --json` (names, states, health,
# restarts, ports, CPU % and memory) against the docker CLI getting the same
# data (`docker ps -a` then `docker stats --no-stream`), with COUNT (50)
# running containers, on each engine: podman's API service and the Docker
# Engine, both from scripts/engine.sh.  The two alternate (A B A B) for
# PAIRS (7) rounds; the median of the pairwise ratios is printed.  Also the
# dashboard's CPU with the Containers panel open while nothing changes
# (events, not polling) when the build has the panel.
#
#   bench/containers.sh                   # build/slipway; about 3 minutes
#   COUNT=20 PAIRS=5 bench/containers.sh
#
# Never fails on a timing: exit 0 unless it cannot run.  The containers are
# removed at the end, Ctrl-C included; the engines are left running
# (scripts/engine.sh stop).
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
SLIPWAY=${SLIPWAY:-$here/../build/slipway}
COUNT=${COUNT:-50}
PAIRS=${PAIRS:-7}
export SW_ENGINE_DIR=${SW_ENGINE_DIR:-/var/tmp/slipway-bench-engine}
export SW_REGISTRY_PORT=${SW_REGISTRY_PORT:-5085}
ENGINE=$here/../scripts/engine.sh
TAG=swbench$$

[ -x "$SLIPWAY" ] || { echo "bench: no slipway at $SLIPWAY (build first)" >&2; exit 2; }
"$ENGINE" start >/dev/null 2>&1 || { echo "bench: the engines did not start (scripts/engine.sh start)" >&2; exit 2; }
eval "$("$ENGINE" env)"
declare -A HOSTS=([podman]=$DOCKER_HOST [docker]=$SW_DOCKERD_HOST)

cleanup() {
	local e
	for e in "${!HOSTS[@]}"; do
		DOCKER_HOST=${HOSTS[$e]} docker ps -aq --filter "label=$TAG" | xargs -r env DOCKER_HOST="${HOSTS[$e]}" docker rm -f >/dev/null 2>&1
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

slipway_run() { "$SLIPWAY" containers --json --all >/dev/null; }
cli_run() { docker ps -a >/dev/null && docker stats --no-stream >/dev/null; }

timed() {
	local t0 t1
	t0=$(now_ns)
	"$@"
	t1=$(now_ns)
	echo $((t1 - t0))
}

for e in podman docker; do
	export DOCKER_HOST=${HOSTS[$e]}
	echo "== $e ($DOCKER_HOST): starting $COUNT containers"
	for i in $(seq "$COUNT"); do
		docker run -d --network none --label "$TAG" --name "$TAG-$e-$i" slipway-busybox:latest \
			sh -c 'trap "exit 0" TERM; sleep 86400 & wait' >/dev/null || exit 2
	done
	slipway_run
	cli_run
	ratios=() ours=() theirs=()
	for _ in $(seq "$PAIRS"); do
		a=$(timed slipway_run)
		b=$(timed cli_run)
		ours+=("$a")
		theirs+=("$b")
		ratios+=("$(ratio "$a" "$b")")
	done
	printf '%s: slipway containers --json %s ms, docker ps + docker stats --no-stream %s ms (medians)\n' "$e" \
		"$(ms "$(printf '%s\n' "${ours[@]}" | median)")" "$(ms "$(printf '%s\n' "${theirs[@]}" | median)")"
	printf '%s: ratio slipway/docker CLI, median of %d pairs: %s (pairs: %s)\n' "$e" "$PAIRS" \
		"$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "${ratios[*]}"
done

# The dashboard with the Containers panel open, nothing changing: the CPU
# time its process takes over IDLE_S seconds.
if "$SLIPWAY" --help 2>&1 | grep -q . && command -v tmux >/dev/null; then
	IDLE_S=${IDLE_S:-10}
	dir=$(mktemp -d /tmp/slipway-bench.XXXXXX)
	(cd "$dir" && git init -q -b main && echo '{"version": 1, "stages": [{"name": "a", "run": "true"}]}' >slipway.json &&
		git add -A && git -c user.name=b -c user.email=b@b commit -qm x)
	export DOCKER_HOST=${HOSTS[docker]}
	tmux -L "$TAG" new-session -d -x 160 -y 45 -c "$dir" "$SLIPWAY"
	sleep 2
	tmux -L "$TAG" send-keys C
	sleep 3
	pid=$(tmux -L "$TAG" list-panes -F '#{pane_pid}')
	ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
	t0=$(ticks "$pid")
	sleep "$IDLE_S"
	t1=$(ticks "$pid")
	hz=$(getconf CLK_TCK)
	screen=$(tmux -L "$TAG" capture-pane -p | grep -c "$TAG-docker" || true)
	tmux -L "$TAG" kill-server
	rm -rf "$dir"
	awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$IDLE_S" -v rows="$screen" 'BEGIN {
		printf "dashboard, Containers panel open (%d rows on screen), nothing changing: %.2f%% of a CPU over %d s\n",
			rows, 100 * t / hz / s, s }'
fi
