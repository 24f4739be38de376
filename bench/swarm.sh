#!/usr/bin/env bash
# Swarm benchmark: `slipway deploy --follow` of a one-replica Swarm service
# ("target": "swarm": the update through the Engine API, followed to
# UpdateStatus completed) against `docker service update --image IMAGE
# --detach=false SERVICE` (the docker CLI's own wait for the service to
# converge) on the same service.  The service runs a busybox image with a
# HEALTHCHECK, replaced with `--update-delay 0s`, and both sides watch the
# new task for the same MONITOR (2) seconds: slipway's deploy.monitor, the
# CLI's --update-monitor.  Each round makes a new commit and proves it
# with `slipway run` (not timed), then times A (slipway) and B (the CLI,
# to an image tag of its own), in that order, for PAIRS (3, at most 20)
# rounds after a warm-up of each; it prints each pair and the median of
# the pairs' ratios slipway/docker (target: 1.1 or less).
#
#   bench/swarm.sh                        # build/slipway; about 2 min
#   PAIRS=7 MONITOR=5 bench/swarm.sh
#
# It needs the Docker Engine of scripts/engine.sh (dockerd, made a one-node
# swarm manager on 127.0.0.1 by `engine.sh swarm` if it is not one), git
# and python3.  The service uses the host's network namespace and listens
# on nothing.  Never fails on a timing: exit 0 unless it cannot run (2).
# The service, its images and the work directory are removed at the end,
# Ctrl-C included; the engines and the swarm stay.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
SLIPWAY=${SLIPWAY:-$here/../build/slipway}
SLIPWAY=$(cd "$(dirname "$SLIPWAY")" && pwd)/$(basename "$SLIPWAY")
PAIRS=${PAIRS:-3}
MONITOR=${MONITOR:-2}
STEP_TIMEOUT=${STEP_TIMEOUT:-300}
export SW_ENGINE_DIR=${SW_ENGINE_DIR:-/var/tmp/slipway-bench-engine}
export SW_REGISTRY_PORT=${SW_REGISTRY_PORT:-5085}
ENGINE=$here/../scripts/engine.sh
TAG=swbsw$$
SVC=$TAG-svc IMG=$TAG-img

die() { echo "bench: $*" >&2; exit 2; }
[ -x "$SLIPWAY" ] || die "no slipway at $SLIPWAY (build first)"
case $PAIRS in '' | *[!0-9]*) die "PAIRS=$PAIRS: a number of rounds, 1 to 20" ;; esac
[ "$PAIRS" -ge 1 ] && [ "$PAIRS" -le 20 ] || die "PAIRS=$PAIRS: 1 to 20 rounds"
case $MONITOR in '' | *[!0-9]*) die "MONITOR=$MONITOR: whole seconds" ;; esac
for t in git python3 docker timeout; do command -v "$t" >/dev/null || die "$t not found"; done
"$ENGINE" start >/dev/null 2>&1 || die "the engines did not start (scripts/engine.sh start)"
eval "$("$ENGINE" env)"
[ -n "${SW_DOCKERD_HOST:-}" ] || die "scripts/engine.sh gave no Docker Engine (SW_DOCKERD_HOST)"
export DOCKER_HOST=$SW_DOCKERD_HOST
"$ENGINE" busybox >/dev/null 2>&1 || die "no slipway-busybox image (scripts/engine.sh busybox)"
"$ENGINE" swarm >/dev/null 2>&1 || die "dockerd is not a swarm manager and could not be made one (scripts/engine.sh swarm)"

work=$(mktemp -d /tmp/slipway-bench-swarm.XXXXXX)
cleanup() {
	docker service rm "$SVC" >/dev/null 2>&1
	docker images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep "^$IMG:" | xargs -r docker rmi -f >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A task that is healthy a second after it starts and stops at once on
# SIGTERM: what is timed is the update, not a process's grace period.
mkdir -p "$work/ctx"
cat >"$work/ctx/Dockerfile" <<'EOF'
FROM slipway-busybox:latest
HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD true
CMD ["sh", "-c", "trap 'exit 0' TERM; sleep 86400 & wait"]
EOF
DOCKER_BUILDKIT=0 timeout "$STEP_TIMEOUT" docker build -q -t "$IMG:base" "$work/ctx" >/dev/null 2>&1 || die "the image did not build"
# (Its warning: the image is in no registry, which one node needs not.)
timeout "$STEP_TIMEOUT" docker service create -q --detach=false --name "$SVC" --network host --replicas 1 \
	--update-delay 0s --update-monitor "${MONITOR}s" --update-failure-action rollback \
	--rollback-delay 0s "$IMG:base" >/dev/null 2>&1 || die "the service $SVC did not start"

repo=$work/repo
mkdir -p "$repo"
cd "$repo" || exit 2
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
cat >slipway.json <<EOF
{"version": 1, "pass_env": ["DOCKER_HOST"],
 "stages": [{"name": "image", "run": "docker tag $IMG:base $IMG:\$SLIPWAY_COMMIT"}],
 "deploy": {"target": "swarm", "services": ["$SVC"], "image": "$IMG:\$SLIPWAY_COMMIT",
            "monitor": $MONITOR, "update_timeout": $STEP_TIMEOUT}}
EOF
git init -q -b main && git add -A && git commit -q -m "The service's pipeline"

# The run proving the commit is not the deploy: it is made before the clock starts.
prove() {
	git commit -q --allow-empty -m "$1"
	timeout "$STEP_TIMEOUT" "$SLIPWAY" run main --follow >"$work/run.out" 2>&1 ||
		{ tail -20 "$work/run.out" >&2; die "the benchmark's pipeline failed"; }
}
time_a() {
	local t0 t1
	t0=$(now_ns)
	timeout "$STEP_TIMEOUT" "$SLIPWAY" deploy --follow >"$work/a.out" 2>&1 ||
		{ tail -20 "$work/a.out" >&2; die "slipway deploy failed"; }
	t1=$(now_ns)
	echo $((t1 - t0))
}
time_b() {
	local t0 t1
	docker tag "$IMG:base" "$IMG:cli-$1" || die "docker tag failed"
	t0=$(now_ns)
	timeout "$STEP_TIMEOUT" docker service update --image "$IMG:cli-$1" --update-monitor "${MONITOR}s" \
		--detach=false "$SVC" >"$work/b.out" 2>&1 || { tail -20 "$work/b.out" >&2; die "docker service update failed"; }
	t1=$(now_ns)
	echo $((t1 - t0))
}

echo "== $(docker version --format 'Docker Engine {{.Server.Version}}, CLI {{.Client.Version}}') ($DOCKER_HOST)," \
	"$PAIRS pairs, monitor ${MONITOR}s, slipway = $SLIPWAY"
prove "warm-up" && time_a >/dev/null
time_b warm-up >/dev/null

ratios=() ours=() theirs=()
for i in $(seq "$PAIRS"); do
	prove "round $i"
	a=$(time_a) && b=$(time_b "$i") || exit 2
	ours+=("$a") theirs+=("$b") ratios+=("$(ratio "$a" "$b")")
	printf 'pair %d: slipway deploy --follow %s ms, docker service update --detach=false %s ms, ratio %s\n' \
		"$i" "$(ms "$a")" "$(ms "$b")" "$(ratio "$a" "$b")"
done
printf 'swarm: slipway %s ms, docker CLI %s ms (medians)\n' \
	"$(ms "$(printf '%s\n' "${ours[@]}" | median)")" "$(ms "$(printf '%s\n' "${theirs[@]}" | median)")"
printf 'swarm: ratio slipway/docker, median of %d pairs: %s (pairs: %s; target: 1.1 or less)\n' "$PAIRS" \
	"$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "${ratios[*]}"
