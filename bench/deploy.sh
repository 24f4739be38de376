#!/usr/bin/env bash
# Deploy benchmark: `slipway deploy --follow` of the sample site (its own
# deploy section: shared data and .env, SQLite backup, docker-compose
# down / up -d --build, health on the proxy and the containers) against
# bench/deploy-by-hand.sh doing the same steps, each with its own deploy
# path, compose project and ports on one engine.  Every round deploys a new
# commit on each side (the page differs, so each side builds its own image
# layer: neither gets the other's cache); the two take turns (A B, then
# B A) for PAIRS (5) rounds; the median of the pairwise ratios is printed.
# Then one release whose proxy answers 503 on each side: the time from the
# failed validation (the health step's end in slipway's journal; the
# script's "validation-failed" line) to the previous release answering 2xx
# again, as curl polling every 50 ms sees it.
#
#   bench/deploy.sh                         # build/slipway, podman; ~5 min
#   ENGINE=docker PAIRS=3 bench/deploy.sh   # dockerd (vfs: slow builds)
#
# The pipeline of the benchmark's repository is one `true` stage: what is
# measured is the deploy, not the run that proves the commit.  Never fails
# on a timing: exit 0 unless it cannot run (2).  Containers and the work
# directory are removed at the end, Ctrl-C included; the engines stay up.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
SLIPWAY=${SLIPWAY:-$here/../build/slipway}
SLIPWAY=$(cd "$(dirname "$SLIPWAY")" && pwd)/$(basename "$SLIPWAY")
PAIRS=${PAIRS:-5}
ENGINE=${ENGINE:-podman}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-20}
export SW_ENGINE_DIR=${SW_ENGINE_DIR:-/var/tmp/slipway-bench-engine}
export SW_REGISTRY_PORT=${SW_REGISTRY_PORT:-5085}
TAG=swbd$$

die() { echo "bench: $*" >&2; exit 2; }
[ -x "$SLIPWAY" ] || die "no slipway at $SLIPWAY (build first)"
for t in git python3 curl sqlite3 docker-compose; do command -v "$t" >/dev/null || die "$t not found"; done
"$here/../scripts/engine.sh" start >/dev/null 2>&1 || die "the engines did not start (scripts/engine.sh start)"
eval "$("$here/../scripts/engine.sh" env)"
case $ENGINE in
podman) ;;
docker) export DOCKER_HOST=$SW_DOCKERD_HOST ;;
*) die "ENGINE=$ENGINE: podman or docker" ;;
esac
"$here/../scripts/base-image.sh" --engine "$ENGINE" >/dev/null 2>&1 || die "no base image in $ENGINE"

work=$(mktemp -d /tmp/slipway-bench.XXXXXX)
repo=$work/repo
A=$work/slipway B=$work/hand
PA=${TAG}s PB=${TAG}h

cleanup() {
	local p
	for p in "$PA" "$PB"; do
		docker ps -aq --filter "label=com.docker.compose.project=$p" | xargs -r docker rm -f >/dev/null 2>&1
		docker volume ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker volume rm -f >/dev/null 2>&1
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r AP1 AP2 BP1 BP2 <<<"$(python3 -c 'import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
URL_A=http://127.0.0.1:$AP2/ URL_B=http://127.0.0.1:$BP2/

mkdir -p "$repo" "$A/shared" "$B/shared"
cp -a "$here/../examples/sample/." "$repo/"
rm -rf "$repo/.venv" "$repo/staticfiles" "$repo/data" "$repo/.env"
python3 - "$repo/slipway.json" "$A" "$PA" "$URL_A" "$HEALTH_TIMEOUT" <<'EOF'
import json, sys
f, path, project, url, timeout = sys.argv[1:]
j = json.load(open(f))
j["stages"] = [{"name": "test", "run": "true"}]
j.pop("gates", None)
d = j["deploy"]
d.update(path=path, project=project)
d["health"].update(url=url, timeout=int(timeout))
json.dump(j, open(f, "w"), indent=2)
EOF
printf 'APP_PORT=%s\nPROXY_PORT=%s\n' "$AP1" "$AP2" >"$A/shared/.env"
printf 'APP_PORT=%s\nPROXY_PORT=%s\n' "$BP1" "$BP2" >"$B/shared/.env"
cd "$repo" || exit 2
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
git init -q -b main && git add -A && git commit -q -m "The sample site" && git branch hand

# release BRANCH TEXT: a commit on BRANCH whose home page says TEXT.
release() {
	git checkout -q "$1"
	sed -i "s|<h1>Welcome to Holiday Homes</h1>.*|<h1>Welcome to Holiday Homes</h1><!-- $2 -->|" templates/index.html
	git commit -q -am "$2"
}

# The run proving the commit is not the deploy: it is made before the clock starts.
prove_a() { git checkout -q main && "$SLIPWAY" run main --follow >/dev/null 2>&1 || die "the benchmark's pipeline failed"; }
time_a() {
	local t0 t1
	t0=$(now_ns)
	"$SLIPWAY" deploy --follow >"$work/a.out" 2>&1 || { tail -20 "$work/a.out" >&2; die "slipway deploy failed"; }
	t1=$(now_ns)
	echo $((t1 - t0))
}
time_b() {
	local t0 t1
	t0=$(now_ns)
	"$here/deploy-by-hand.sh" "$repo" "$(git rev-parse hand)" "$B" "$PB" "$URL_B" "$HEALTH_TIMEOUT" \
		>"$work/b.out" 2>&1 || { tail -20 "$work/b.out" >&2; die "deploy-by-hand.sh failed"; }
	t1=$(now_ns)
	echo $((t1 - t0))
}

echo "== $ENGINE ($DOCKER_HOST), $PAIRS rounds, slipway = $SLIPWAY"
# Warm-up: the first deploy of each builds both images from the base.
release main "slipway warm-up" && prove_a && time_a >/dev/null
release hand "hand warm-up" && time_b >/dev/null

ratios=() ours=() theirs=()
for i in $(seq "$PAIRS"); do
	release main "slipway round $i" && prove_a
	release hand "hand round $i"
	if [ $((i % 2)) = 1 ]; then
		a=$(time_a) && b=$(time_b) || exit 2
	else
		b=$(time_b) && a=$(time_a) || exit 2
	fi
	ours+=("$a") theirs+=("$b") ratios+=("$(ratio "$a" "$b")")
	[ -n "${VERBOSE:-}" ] && echo "  round $i: slipway $(ms "$a") ms, by hand $(ms "$b") ms"
done
printf 'deploy: slipway %s ms, by hand %s ms (medians)\n' \
	"$(ms "$(printf '%s\n' "${ours[@]}" | median)")" "$(ms "$(printf '%s\n' "${theirs[@]}" | median)")"
printf 'deploy: ratio slipway/by hand, median of %d pairs: %s (pairs: %s)\n' "$PAIRS" \
	"$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "${ratios[*]}"

# broken BRANCH: a release whose proxy answers 503 (the pipeline cannot see it).
broken() {
	git checkout -q "$1"
	sed -i 's|^        location / {$|&\n            return 503;|' nginx/nginx.conf.template
	git commit -q -am "Maintenance page"
}

# back_after URL: polls URL every 50 ms; prints the time (ns) of the first
# 2xx after it has answered otherwise (the failed release, or nothing).
back_after() {
	local seen=0 code deadline=$((SECONDS + 600))
	while [ $SECONDS -lt $deadline ]; do
		code=$(curl -s -o /dev/null -m 1 --noproxy '*' -w '%{http_code}' "$1")
		case $code in
		2??) [ $seen = 1 ] && { now_ns; return 0; } ;;
		*) seen=1 ;;
		esac
		sleep 0.05
	done
	return 1
}

broken main && prove_a
back_after "$URL_A" >"$work/a.back" &
poll=$!
"$SLIPWAY" deploy --follow >"$work/a.out" 2>&1
wait "$poll"
"$SLIPWAY" deploys --json >"$work/a.json"
read -r fail_ms done_ms steps <<<"$(python3 - "$work/a.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))[0]
s = {x["name"]: x for x in d["steps"]}
rb = " ".join("%s=%.1f" % (n[9:], (s[n]["finished_ms"] - s[n]["started_ms"]) / 1000)
              for n in ("rollback-stop", "rollback-switch", "rollback-start", "rollback-health") if s.get(n, {}).get("finished_ms"))
print(s["health"]["finished_ms"], d["finished_ms"], rb.replace(" ", ","), d["status"])
EOF
)"
back_a=$(cat "$work/a.back")
broken hand
back_after "$URL_B" >"$work/b.back" &
poll=$!
"$here/deploy-by-hand.sh" "$repo" "$(git rev-parse hand)" "$B" "$PB" "$URL_B" "$HEALTH_TIMEOUT" >"$work/b.out" 2>/dev/null
wait "$poll"
fail_b=$(sed -n 's/^validation-failed //p' "$work/b.out")
back_b=$(cat "$work/b.back")
awk -v fa="$fail_ms" -v ba="$back_a" -v da="$done_ms" -v fb="$fail_b" -v bb="$back_b" -v st="$steps" 'BEGIN {
	printf "rollback: failed validation to the previous release answering: slipway %.1f s (rolled back, journal closed %.1f s after the failure; steps %s), by hand %.1f s\n",
		(ba / 1e6 - fa) / 1000, (da - fa) / 1000, st, (bb - fb) / 1e9 }'
