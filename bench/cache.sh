#!/usr/bin/env bash
# The stage cache on the sample pipeline: setup (the venv, cached on
# requirements.txt and not made again when restored, as `slipway init`
# writes it), lint and test, run with
# the cache emptied first (cold) and with the venv a run saved (warm).  The
# two alternate, PAIRS (5) rounds after one of each to warm the page cache;
# prints the medians of each series, of the setup stage alone, and the
# median of the rounds' ratios cold/warm.  Never fails on a timing.
#
#   bench/cache.sh                       # build/slipway next to this script
#   SLIPWAY=/path/to/slipway PAIRS=9 bench/cache.sh
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
SLIPWAY=${SLIPWAY:-$here/../build/slipway}
PAIRS=${PAIRS:-5}
[ -x "$SLIPWAY" ] || { echo "cache.sh: no slipway at $SLIPWAY (build it first)" >&2; exit 2; }
[ -x /usr/bin/python3 ] || { echo "cache.sh: needs /usr/bin/python3 and the sample's Debian packages" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench-cache.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
mkdir -p "$HOME"
cd "$work" && cp -a "$here/../examples/sample" p && cd p
rm -rf .venv slipway.json
cat >slipway.json <<'EOF'
{"version": 1, "stages": [
  {"name": "setup", "run": "test -x .venv/bin/python || /usr/bin/python3 -m venv --system-site-packages .venv && .venv/bin/pip install -q --no-index -r requirements.txt",
   "cache": [{"path": ".venv", "key": ["requirements.txt"]}]},
  {"name": "lint", "run": ".venv/bin/python -m flake8 --extend-exclude .venv", "parse": "flake8"},
  {"name": "test", "run": ".venv/bin/python -m pytest -q --ignore=.venv --cov=. --cov-report=term", "parse": "pytest"}],
 "retention": {"runs": 1000}}
EOF
git init -q -b main && git add -A && git commit -q -m sample

# one_run cold|warm: prints "wall_ms setup_ms"
one_run() {
	[ "$1" = cold ] && rm -rf .git/slipway/cache
	local t0 t1 id
	t0=$(now_ns)
	"$SLIPWAY" run --again --follow >/dev/null 2>&1 || { echo "cache.sh: a $1 run failed" >&2; exit 2; }
	t1=$(now_ns)
	id=$(ls .git/slipway/runs | sort -n | tail -1)
	python3 - "$((t1 - t0))" ".git/slipway/runs/$id/run.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[2]))
setup = [s for s in j["stages"] if s["name"] == "setup"][0]
print("%.0f %d" % (int(sys.argv[1]) / 1e6, setup["duration_ms"]))
EOF
}

one_run cold >/dev/null
one_run warm >/dev/null
: >cold.txt
: >warm.txt
: >ratios.txt
for ((i = 0; i < PAIRS; i++)); do
	c=$(one_run cold)
	w=$(one_run warm)
	echo "$c" >>cold.txt
	echo "$w" >>warm.txt
	echo "$(ratio "${c%% *}" "${w%% *}")" >>ratios.txt
done
col() { awk -v k="$1" '{print $k}' "$2" | median; }
# The last run was warm: it must have restored the venv.
"$SLIPWAY" log latest setup | grep -q '^cache hit \.venv' || echo "cache.sh: the warm runs did not hit the cache" >&2
printf '%-34s %10s %10s\n' "sample pipeline, $PAIRS rounds" "cold" "warm"
printf '%-34s %10s %10s\n' "run, wall (median ms)" "$(col 1 cold.txt)" "$(col 1 warm.txt)"
printf '%-34s %10s %10s\n' "setup stage (median ms)" "$(col 2 cold.txt)" "$(col 2 warm.txt)"
printf '%-34s %10s\n' "cold/warm (median of the rounds)" "$(sort -n ratios.txt | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')"
