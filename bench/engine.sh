#!/usr/bin/env bash
# Engine benchmarks: slipway against plain shell doing the same work.
#
#   1. overhead: 200 stages of `true` under `slipway run --follow` against
#      `sh -c true` run 200 times in sequence, the two alternating (PAIRS
#      rounds, the median of the pairwise ratios), back to back and settled;
#   2. output:   one stage writing 1 GiB (10.6 million 101-byte lines): the
#      executor's peak RSS (VmHWM) and the stage's throughput against the
#      same command redirected to a file.
#
# Prints a table and ratios; never fails on a timing (exit 0 unless the
# benchmark itself cannot run).  Everything happens in a temporary directory
# under /tmp (TMPDIR), removed at the end.
#
#   bench/engine.sh                      # build/slipway next to this script
#   SLIPWAY=/path/to/slipway PAIRS=20 bench/engine.sh
#   BASELINE=/tmp/slipway-before BIG_BYTES=0 bench/engine.sh   # two builds, interleaved
#   STAGES=200 SCALE="20 50" BIG_BYTES=1073741824 bench/engine.sh
#   BIG_BYTES=0 bench/engine.sh          # the overhead part only
set -u

here=$(cd "$(dirname "$0")" && pwd)
SLIPWAY=${SLIPWAY:-$here/../build/slipway}
PAIRS=${PAIRS:-10}
VERBOSE=${VERBOSE:-}	# also every pair's times
BASELINE=${BASELINE:-}	# another slipway, measured in the same rounds
BIG_REPS=${BIG_REPS:-3}
STAGES=${STAGES:-200}
SCALE=${SCALE-20}	# other stage counts, one summary line each ("" for none)
BIG_BYTES=${BIG_BYTES:-1073741824}
LINE=0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789

die() { echo "bench/engine.sh: $*" >&2; exit 2; }
[ -x "$SLIPWAY" ] || die "no slipway binary at $SLIPWAY (build it, or set SLIPWAY)"
SLIPWAY=$(cd "$(dirname "$SLIPWAY")" && pwd)/$(basename "$SLIPWAY")
if [ -n "$BASELINE" ]; then
	[ -x "$BASELINE" ] || die "no slipway binary at $BASELINE (BASELINE)"
	BASELINE=$(cd "$(dirname "$BASELINE")" && pwd)/$(basename "$BASELINE")
fi
PY=$(command -v /usr/bin/python3 || command -v python3) || die "python3 is needed to read run.json"
command -v git >/dev/null || die "git is needed"

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench.XXXXXX") || die "cannot create a temporary directory"
cleanup() { rm -rf "$ROOT"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$here/lib.sh"

# new_repo DIR SLIPWAY_JSON: a git repository whose main has that slipway.json
new_repo() {
	mkdir -p "$1" && cd "$1" || die "cannot create $1"
	git init -q -b main . || die "git init failed"
	printf '%s\n' "$2" >slipway.json
	git add slipway.json
	git -c user.name=bench -c user.email=bench@example.invalid commit -q -m bench || die "git commit failed"
}

# latest_run: the id of the newest run in the current repository
latest_run() { ls .git/slipway/runs | grep -E '^[0-9]+$' | sort -n | tail -1; }

executor_pid() { sed -n 's/.*"executor_pid":[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$1" 2>/dev/null | head -1; }

# wait_executor RUN_JSON: until the run's executor process is gone.  The
# executor holds the run's lock for its whole life: a shared flock on it
# returns the moment the executor exits (pid polling without flock(1)).
wait_executor() {
	local pid lock
	lock="$(dirname "$1")/lock"
	if command -v flock >/dev/null && [ -e "$lock" ]; then
		flock -w 600 -s "$lock" true
		return
	fi
	pid=$(executor_pid "$1")
	[ -n "$pid" ] || return 0
	while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
}

# run_summary RUN_JSON: "status stages_passed sum_duration_ms span_ms log_bytes"
# span = the run's started_at to finished_at (whole seconds, as run.json keeps them)
run_summary() {
	"$PY" - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
st = r["stages"]
ok = sum(1 for s in st if s["status"] == "passed")
dur = sum(s["duration_ms"] for s in st)
from datetime import datetime
def t(k):
    return datetime.strptime(r[k], "%Y-%m-%dT%H:%M:%SZ").timestamp() if r.get(k) else 0
span = int((t("finished_at") - t("started_at")) * 1000)
print(r["status"], ok, dur, span, sum(s["log_bytes"] for s in st))
EOF
}

echo "slipway engine benchmark · $(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) cores · $(uname -sr)"
echo "binary: $SLIPWAY"
echo

# ---------------------------------------------------------------- 1. overhead

# stamp VAR: the time in ns, without a fork (bash 5's EPOCHREALTIME, in us)
stamp() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		printf -v "$1" '%s000' "${EPOCHREALTIME/[.,]/}"
	else
		printf -v "$1" '%s' "$(date +%s%N)"
	fi
}

# settle RUN_DIR: until the run's executor, its guardian and whatever else
# was in the run's session are gone (never timed)
settle() {
	local sid i
	wait_executor "$1/run.json"
	sid=$(sed -n 's/.*"session":[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$1/run.json" 2>/dev/null | head -1)
	[ -n "$sid" ] || return 0
	for ((i = 0; i < 1000; i++)); do
		pgrep -s "$sid" >/dev/null 2>&1 || return 0
		sleep 0.005
	done
}

# run_a BINARY MODE ID: one timed run (run ID), in a_ns.  follow: `run
# --again --follow >/dev/null` until it returns; nofollow: `run --again`
# until the executor exits (it holds the run's lock for its whole life).
run_a() {
	local t0 t1
	stamp t0
	if [ "$2" = follow ]; then
		"$1" run --again --follow >/dev/null 2>&1
	else
		"$1" run --again >/dev/null 2>&1
		wait_executor ".git/slipway/runs/$3/run.json"
	fi
	stamp t1
	a_ns=$((t1 - t0))
}

# pair BINARY MODE HOW ID: a slipway run, then the shell loop.  HOW back:
# each command starts the moment the one before returned, as a user's next
# command would, so what a run leaves to do after that lands on the shell
# loop (or the next run); settled: the shell loop waits until the run has
# settled (executor, guardian and session gone).  Nothing else runs
# between them.  Appends to times[KEY] (slipway ns, shell ns) and ids[KEY].
pair() {
	local key="$1 $2 $3" t0 t1
	run_a "$1" "$2" "$4"
	[ "$3" = settled ] && settle ".git/slipway/runs/$4"
	stamp t0
	bash "$ROOT/shell-$n.sh"
	stamp t1
	times[$key]+="$a_ns:$((t1 - t0)) "
	ids[$key]+="$4 "
}

# run_durs IDS...: the median sum of the stages' duration_ms of those runs;
# warns of one that did not pass its N stages
run_durs() {
	"$PY" -c '
import json, sys
n, ids = int(sys.argv[1]), [int(i) for i in sys.argv[2:]]
durs = []
for i in ids:
    try:
        r = json.load(open(".git/slipway/runs/%d/run.json" % i))
    except Exception as e:
        print("warning: run %d: %s" % (i, e), file=sys.stderr)
        continue
    st = r["stages"]
    ok = sum(1 for s in st if s["status"] == "passed")
    if r["status"] != "passed" or ok != n:
        print("warning: run %d: %s, %d/%d stages passed" % (i, r["status"], ok, n), file=sys.stderr)
    durs.append(sum(s["duration_ms"] for s in st))
durs.sort()
print(durs[len(durs) // 2] if durs else 0)' "$n" "$@"
}

# stats: "median min max" of the numbers on stdin
stats() { sort -g | awk '{a[NR]=$1} END {m = NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.2f %.2f %.2f\n", m, a[1], a[NR]}'; }

SERIES="follow:back follow:settled nofollow:back nofollow:settled"
BINARIES=$SLIPWAY
[ -n "$BASELINE" ] && BINARIES="$SLIPWAY $BASELINE"

# report BINARY: a line per series, from times[] and ids[]
report() {
	local b=$1 mh mode how key label med min max pr a s
	for mh in $SERIES; do
		mode=${mh%:*} how=${mh#*:} key="$b $mode $how"
		label="run --follow >/dev/null"
		[ "$mode" = nofollow ] && label="run, until the executor exits"
		label="$label, $([ "$how" = back ] && echo "back to back" || echo settled)"
		read -r med min max < <(for pr in ${times[$key]}; do
			awk -v a="${pr%:*}" -v b="${pr#*:}" 'BEGIN {printf "%.4f\n", a/b}'; done | stats)
		a=$(for pr in ${times[$key]}; do echo "${pr%:*}"; done | median)
		s=$(for pr in ${times[$key]}; do echo "${pr#*:}"; done | median)
		# shellcheck disable=SC2086
		printf '     %-45s %5s  %5s-%-5s %8s %8s %6s\n' "$label" "$med" "$min" "$max" \
			"$(ms "$a")" "$(ms "$s")" "$(run_durs ${ids[$key]})"
		if [ -n "$VERBOSE" ]; then
			echo "       slipway/shell ms: $(for pr in ${times[$key]}; do
				printf '%s/%s ' "$(ms "${pr%:*}")" "$(ms "${pr#*:}")"; done)"
		fi
	done
}

# overhead N: a new repository with N stages of `true`, one warm-up of each
# command, then PAIRS rounds; each round makes one pair of every series (of
# every binary), so that all of them see the same load on a shared machine
overhead() {
	local n=$1 json r b mh id
	json=$("$PY" -c '
import json, sys
n = int(sys.argv[1])
print(json.dumps({"version": 1, "main": "main", "integration": "development",
                  "retention": {"runs": 100000},
                  "stages": [{"name": "s%d" % i, "run": "true"} for i in range(n)]}))' "$n")
	new_repo "$ROOT/overhead-$n" "$json"
	printf 'i=0\nwhile [ $i -lt %d ]; do sh -c true; i=$((i + 1)); done\n' "$n" >"$ROOT/shell-$n.sh"
	for b in $BINARIES; do
		"$b" run --again --follow >/dev/null 2>&1 ||
			die "the warm-up run failed: $("$b" log "$(latest_run)" 2>&1 | tail -3)"
	done
	id=$(latest_run)
	settle ".git/slipway/runs/$id"
	bash "$ROOT/shell-$n.sh"
	declare -gA times=() ids=()
	for ((r = 0; r < PAIRS; r++)); do
		for b in $BINARIES; do
			for mh in $SERIES; do
				id=$((id + 1))
				pair "$b" "${mh%:*}" "${mh#*:}" "$id"
			done
		done
	done
	settle ".git/slipway/runs/$id"
	echo "   $n stages:"
	for b in $BINARIES; do
		[ -n "$BASELINE" ] && echo "    $b"
		report "$b"
	done
}

echo "1. engine overhead: stages of \`true\` against \`sh -c true\` as many times, $PAIRS rounds of"
echo "   alternating pairs (ratio: slipway/shell of each pair, median and min-max; ms: medians;"
echo "   stages: the median sum of the stages' duration_ms; target <= 1.5 for $STAGES stages, --follow,"
echo "   back to back)"
printf '     %-45s %5s  %-11s %8s %8s %6s\n' "" "ratio" "min-max" "slipway" "shell" "stages"
overhead "$STAGES"
for n in $SCALE; do
	[ "$n" = "$STAGES" ] || overhead "$n"
done
echo

[ "$BIG_BYTES" -gt 0 ] || exit 0
free_kb=$(df -Pk "$ROOT" | awk 'NR == 2 {print $4}')
if [ "${free_kb:-0}" -lt $((BIG_BYTES / 1024 * 2 + 524288)) ]; then
	echo "2. skipped: $ROOT has $((free_kb / 1024)) MiB free, the output test needs twice $((BIG_BYTES / 1048576)) MiB"
	exit 0
fi
# ------------------------------------------------------------ 2. 1 GiB output

big_cmd="yes $LINE | head -c $BIG_BYTES"
new_repo "$ROOT/output" "{\"version\": 1, \"main\": \"main\", \"integration\": \"development\",
 \"stages\": [{\"name\": \"big\", \"run\": \"$big_cmd\"}]}"
mib=$(awk -v b="$BIG_BYTES" 'BEGIN {printf "%.0f", b/1048576}')

# peak_rss_kb RUN_JSON: polls the executor's VmHWM every 50 ms until it exits
peak_rss_kb() {
	local pid="" hwm=0 v i
	for ((i = 0; i < 500; i++)); do
		pid=$(executor_pid "$1")
		[ -n "$pid" ] && break
		sleep 0.01
	done
	[ -n "$pid" ] || { echo 0; return; }
	while v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null) && [ -n "$v" ]; do
		[ "$v" -gt "$hwm" ] && hwm=$v
		sleep 0.05
	done
	echo "$hwm"
}

rss=() sw_ms=() sh_ms=() fw_ms=() fw_wall=()
for ((r = 0; r < BIG_REPS; r++)); do
	# the engine alone: start, sample the executor until it is gone
	"$SLIPWAY" run --again >/dev/null 2>&1 || die "slipway run failed"
	rj=".git/slipway/runs/$(latest_run)/run.json"
	rss+=("$(peak_rss_kb "$rj")")
	wait_executor "$rj"
	read -r status ok dur _ bytes < <(run_summary "$rj")
	[ "$ok" = 1 ] && [ "$bytes" = "$BIG_BYTES" ] || echo "warning: run $(latest_run): status $status, log_bytes $bytes" >&2
	sw_ms+=("$dur")
	rm -rf "$(dirname "$rj")/logs/big.log"

	# with a follower copying the log to /dev/null, as a user would watch it
	t0=$(now_ns)
	"$SLIPWAY" run --again --follow >/dev/null 2>&1
	t1=$(now_ns)
	rj=".git/slipway/runs/$(latest_run)/run.json"
	wait_executor "$rj"
	read -r _ _ dur _ _ < <(run_summary "$rj")
	fw_ms+=("$dur")
	fw_wall+=($(((t1 - t0) / 1000000)))
	rm -rf "$(dirname "$rj")/logs/big.log"

	# the shell, to a file on the same filesystem
	t0=$(now_ns)
	sh -c "$big_cmd > '$ROOT/output/shell.out'"
	t1=$(now_ns)
	sh_ms+=($(((t1 - t0) / 1000000)))
	rm -f "$ROOT/output/shell.out"
done

rss_max=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
sw_m=$(printf '%s\n' "${sw_ms[@]}" | median)
fw_m=$(printf '%s\n' "${fw_ms[@]}" | median)
fw_w=$(printf '%s\n' "${fw_wall[@]}" | median)
sh_m=$(printf '%s\n' "${sh_ms[@]}" | median)
tput() { awk -v m="$mib" -v t="$1" 'BEGIN {if (t > 0) printf "%.0f", m/(t/1000); else print "n/a"}'; }

echo "2. one stage writing $mib MiB ($(awk -v b="$BIG_BYTES" 'BEGIN {printf "%.1f", b/101/1e6}') M lines of 101 bytes), median of $BIG_REPS"
printf '   %-44s %10s %10s\n' "" "ms" "MiB/s"
printf '   %-44s %10s %10s\n' "slipway stage (duration_ms), no follower" "$sw_m" "$(tput "$sw_m")"
printf '   %-44s %10s %10s\n' "slipway stage, with --follow >/dev/null" "$fw_m" "$(tput "$fw_m")"
printf '   %-44s %10s\n' "  run --follow wall" "$fw_w"
printf '   %-44s %10s %10s\n' "shell: same command > file" "$sh_m" "$(tput "$sh_m")"
echo "   ratio slipway/shell (time): $(ratio "$sw_m" "$sh_m"), with follower $(ratio "$fw_m" "$sh_m")"
echo "   executor peak RSS (VmHWM): $(awk -v k="$rss_max" 'BEGIN {printf "%.1f", k/1024}') MiB   (target < 32; runs: ${rss[*]} KiB)"
exit 0
