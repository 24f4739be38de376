#!/usr/bin/env bash
# `slipway status --json` in a repository with BRANCHES (5000) branches,
# each ahead of and behind main by a few commits, against the shell loop a
# script would write for the same answer: `git for-each-ref` for the
# branches, then `git rev-list --left-right --count main...B` for each.
# The two alternate (A B A B), PAIRS (3) rounds after one warm-up of each;
# prints each series' median and the median of the rounds' ratios
# shell/slipway (the target is 10 or more).  Never fails on a timing.
#
#   bench/status.sh                       # build/slipway next to this script
#   SLIPWAY=/path/to/slipway BRANCHES=1000 PAIRS=5 bench/status.sh
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
SLIPWAY=${SLIPWAY:-$here/../build/slipway}
BRANCHES=${BRANCHES:-5000}
PAIRS=${PAIRS:-3}
[ -x "$SLIPWAY" ] || { echo "status.sh: no slipway at $SLIPWAY (build it first)" >&2; exit 2; }
command -v git >/dev/null || { echo "status.sh: needs git" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench-status.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
cd "$work"
git init -q -b main r
cd r

# One fast-import stream: 200 commits on main, then per branch one commit
# of its own on a main commit 20 to 200 back, so that each is ahead by one
# and behind by a different count.
{
	t=1764000000
	echo "reset refs/heads/main"
	for i in $(seq 1 200); do
		printf 'commit refs/heads/main\nmark :%d\ncommitter bench <bench@example.invalid> %d +0000\ndata 9\nmain %04d\n' "$i" $((t + i)) "$i"
		[ "$i" -gt 1 ] && printf 'from :%d\n' $((i - 1))
		printf 'M 644 inline main.txt\ndata 5\n%04d\n\n' "$i"
	done
	printf 'commit refs/heads/main\nmark :201\ncommitter bench <bench@example.invalid> %d +0000\ndata 12\nthe pipeline\nfrom :200\n' $((t + 201))
	printf 'M 644 inline slipway.json\ndata 62\n{"version": 1, "stages": [{"name": "test", "run": "true"}]}\n\n\n'
	for b in $(seq 1 "$BRANCHES"); do
		base=$((180 - b % 180))
		printf 'commit refs/heads/topic/%05d\ncommitter bench <bench@example.invalid> %d +0000\ndata 6\nb%05d\nfrom :%d\n' "$b" $((t + 300 + b)) "$b" "$base"
		printf 'M 644 inline b.txt\ndata 6\n%05d\n\n' "$b"
	done
} | git fast-import --quiet
git checkout -q main
git pack-refs --all

slipway_once() { "$SLIPWAY" status --json >"$work/slipway.out"; }
shell_once() {
	git for-each-ref --format='%(refname:short)' refs/heads | while read -r b; do
		printf '%s ' "$b"
		git rev-list --left-right --count "main...$b"
	done >"$work/shell.out"
}
timed() {
	local t0 t1
	t0=$(now_ns)
	"$@"
	t1=$(now_ns)
	echo $((t1 - t0))
}

slipway_once
shell_once
n_slipway=$(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(len(j["branches"]))' "$work/slipway.out" 2>/dev/null || echo "?")
n_shell=$(wc -l <"$work/shell.out")
echo "status.sh: $BRANCHES branches (+ main); slipway lists $n_slipway, the shell loop counts $n_shell"
a=() b=() r=()
for i in $(seq 1 "$PAIRS"); do
	ta=$(timed slipway_once)
	tb=$(timed shell_once)
	a+=("$ta") b+=("$tb") r+=("$(ratio "$tb" "$ta")")
	echo "  round $i: slipway $(ms "$ta") ms, shell loop $(ms "$tb") ms, ratio $(ratio "$tb" "$ta")"
done
ma=$(printf '%s\n' "${a[@]}" | median)
mb=$(printf '%s\n' "${b[@]}" | median)
mr=$(printf '%s\n' "${r[@]}" | median)
echo "status.sh: median slipway status --json $(ms "$ma") ms, shell loop $(ms "$mb") ms"
echo "status.sh: median ratio shell/slipway $mr (target: 10 or more)"
