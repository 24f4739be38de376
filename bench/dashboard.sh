#!/usr/bin/env bash
# Dashboard benchmarks: slipway's dashboard against tig, tail -f and a shell
# loop over git, on a repository with BRANCHES (5,000) branches.
#
#   1. first paint: from start to the first screen showing branch names, in
#      a tmux pane (SIZE 200x50), slipway against `tig refs` (median of
#      REPS); then the counts of its rows; the headless dashboard (`--script`
#      with an empty script) for reference; and `r` in that dashboard;
#   2. ahead/behind: until every branch's ahead/behind count against main is
#      known: `slipway status --json`, the headless dashboard, against
#      `git for-each-ref` + `git rev-list --left-right --count` per branch
#      (stopped after SHELL_LIMIT s and extrapolated, if it gets that far);
#   3. follow: bytes written to the terminal while the log view follows a
#      stage printing LOG_LINES (200,000) lines of 60 characters, as fast as
#      it can and in PACED_BURSTS bursts, against `tail -f` of that log (both
#      under script(1), whose typescript records every byte the pty gets);
#   4. idle: CPU time of a dashboard left alone for IDLE_SECONDS (30), with
#      tig's beside it;
#   5. memory: the dashboard's peak RSS (VmHWM) with the big repository open
#      and a BIG_BYTES (1 GiB) log open in the log view, at its end and start.
#
# Prints a table and ratios; never fails on a timing (exit 0 unless the
# benchmark itself cannot run).  Everything happens in a temporary directory
# under /tmp (TMPDIR), with a copy of the binary and a private tmux server,
# all removed at the end.  About 80 s with the defaults on 2 cores.
#
#   bench/dashboard.sh                    # build/slipway next to this script
#   SLIPWAY=/path/to/slipway REPS=7 bench/dashboard.sh
#   BRANCHES=5000 MAIN_COMMITS=300 LOG_LINES=200000 IDLE_SECONDS=30 bench/dashboard.sh
#   BIG_BYTES=0 IDLE_SECONDS=0 PACED_BURSTS=0 bench/dashboard.sh   # the quick parts only
set -u

here=$(cd "$(dirname "$0")" && pwd)
SLIPWAY=${SLIPWAY:-$here/../build/slipway}
TIG=${TIG:-tig}
REPS=${REPS:-5}
BRANCHES=${BRANCHES:-5000}		# all branches, main included
MAIN_COMMITS=${MAIN_COMMITS:-300}
SHELL_LIMIT=${SHELL_LIMIT:-60}		# s; the shell loop stops there and is extrapolated
LOG_LINES=${LOG_LINES:-200000}
PACED_BURSTS=${PACED_BURSTS:-200}	# 0: leave out the paced case of part 3
IDLE_SECONDS=${IDLE_SECONDS:-30}
BIG_BYTES=${BIG_BYTES:-1073741824}
SIZE=${SIZE:-200x50}
PAINT_TIMEOUT=${PAINT_TIMEOUT:-60}	# s, for any one screen to appear
STALL_SECONDS=${STALL_SECONDS:-5}	# s, for the 1 GiB log's line count to complete
W=${SIZE%x*} H=${SIZE#*x}
NEEDLE=zz-newest			# the branch second on slipway's first screen
PAINTED=feature/topic-			# a first screen shows at least 10 of these
BIG_LINE=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX	# 60 + newline

die() { echo "bench/dashboard.sh: $*" >&2; exit 2; }
[ -x "$SLIPWAY" ] || die "no slipway binary at $SLIPWAY (build it, or set SLIPWAY)"
SLIPWAY=$(cd "$(dirname "$SLIPWAY")" && pwd)/$(basename "$SLIPWAY")
PY=$(command -v /usr/bin/python3 || command -v python3) || die "python3 is needed"
for c in git tmux script flock; do command -v $c >/dev/null || die "$c is needed"; done
command -v "$TIG" >/dev/null || die "tig is needed (apt-get install -y tig)"
[ "$BRANCHES" -ge 4 ] || die "BRANCHES must be at least 4"

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/slipway-dash.XXXXXX") || die "cannot create a temporary directory"
# A copy of the binary: a rebuild during the run cannot mix two versions.
SLIPWAY_SRC=$SLIPWAY
mkdir -p "$ROOT/bin" && cp "$SLIPWAY_SRC" "$ROOT/bin/slipway" || die "cannot copy $SLIPWAY_SRC"
SLIPWAY=$ROOT/bin/slipway
SOCK=$ROOT/tmux.sock	# a private server; its socket goes with ROOT
unset TMUX
tm() { tmux -S "$SOCK" -f /dev/null "$@"; }
cleanup() {
	local d
	tm kill-server 2>/dev/null
	# a run still going (Ctrl-C during part 3 or 5) is cancelled first
	for d in "$ROOT"/*/; do
		[ -d "$d/.git/slipway/runs" ] || continue
		(cd "$d" && for r in $(ls .git/slipway/runs | grep -E '^[0-9]+$'); do
			"$SLIPWAY" cancel "$r" >/dev/null 2>&1
			flock -w 15 -s ".git/slipway/runs/$r/lock" true 2>/dev/null
		done)
	done
	rm -rf "$ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$here/lib.sh"
list_ms() { local t; for t in "$@"; do printf '%s ' "$(ms "$t")"; done; }

# The private tmux server: no status line, so a pane is the whole SIZE.
# The holder session keeps the server up between measurements.
env -u LINES -u COLUMNS LANG=C.UTF-8 tmux -S "$SOCK" -f /dev/null new-session -d -s hold -x "$W" -y "$H" "sleep 100000" ||
	die "tmux cannot start"
tm set -g status off >/dev/null
tm set -g default-terminal xterm-256color >/dev/null
tm set -s escape-time 0 >/dev/null
tm set -g history-limit 100 >/dev/null

# start_pane NAME DIR CMD: a detached session running CMD (exec'd, so the
# pane's pid is CMD's) in DIR with TERM=xterm-256color and LANG=C.UTF-8
start_pane() {
	tm new-session -d -s "$1" -x "$W" -y "$H" -c "$2" \
		"exec env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TIGRC_USER=/dev/null SHELL=/bin/sh $3"
}
pane_pid() { tm display -p -t "$1" '#{pane_pid}'; }
screen() { tm capture-pane -p -t "$1" 2>/dev/null; }
# wait_screen NAME TEXT [TIMEOUT_S]: polls every ~10 ms until the pane shows
# TEXT; prints the time it appeared (ns) or fails
wait_screen() {
	local end=$(($(now_ns) + ${3:-$PAINT_TIMEOUT} * 1000000000)) t
	while :; do
		if screen "$1" | grep -qF -- "$2"; then now_ns; return 0; fi
		t=$(now_ns)
		[ "$t" -lt "$end" ] || return 1
		sleep 0.01
	done
}
# wait_rows NAME TEXT N: the same until N lines of the pane show TEXT
wait_rows() {
	local end=$(($(now_ns) + PAINT_TIMEOUT * 1000000000)) t
	while :; do
		if [ "$(screen "$1" | grep -cF -- "$2")" -ge "$3" ]; then now_ns; return 0; fi
		t=$(now_ns)
		[ "$t" -lt "$end" ] || return 1
		sleep 0.01
	done
}
wait_gone() {	# wait_gone NAME TEXT: until the pane no longer shows TEXT
	local i
	for ((i = 0; i < 500; i++)); do
		screen "$1" | grep -qF -- "$2" || return 0
		sleep 0.01
	done
	return 1
}
wait_session_end() {
	local i
	for ((i = 0; i < 1000; i++)); do
		tm has-session -t "$1" 2>/dev/null || return 0
		sleep 0.01
	done
	tm kill-session -t "$1" 2>/dev/null
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
hz=$(getconf CLK_TCK)
ticks_s() { awk -v t="$1" -v hz="$hz" 'BEGIN {printf "%.2f", t/hz}'; }
# settle PID: until the process used no CPU for a whole second (at most
# 60 s); prints the seconds waited
settle() {
	local prev=-1 cur i
	cur=$(cpu_ticks "$1")
	for ((i = 0; i < 60 && cur != prev; i++)); do
		prev=$cur
		sleep 1
		cur=$(cpu_ticks "$1")
	done
	echo "$i"
}
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }

# payload BYTES of a script(1) typescript: without its "Script started" and
# "Script done" lines
payload() {
	"$PY" - "$1" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
if d.startswith(b'Script started'):
    d = d[d.index(b'\n') + 1:]
i = d.rfind(b'\nScript done')
if i >= 0:
    d = d[:i]
print(len(d))
EOF
}

latest_run() { ls .git/slipway/runs | grep -E '^[0-9]+$' | sort -n | tail -1; }
# wait_run ID: until the run's record is final; prints its status
wait_run() {
	"$PY" - ".git/slipway/runs/$1/run.json" 600 <<'EOF'
import json, sys, time
end = time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        s = json.load(open(sys.argv[1]))["status"]
        if s not in ("queued", "running"):
            print(s)
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.05)
print("timeout")
EOF
}

echo "slipway dashboard benchmark · $(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) cores · $(uname -sr)"
echo "binary: $SLIPWAY_SRC ($(date -u -r "$SLIPWAY_SRC" +%Y-%m-%dT%H:%MZ), copied) · $("$TIG" --version | head -1) · tmux $(tmux -V | cut -d' ' -f2) · screen ${W}x${H}"
echo

# ------------------------------------------------------- the big repository
# main: MAIN_COMMITS commits; BRANCHES-3 topic branches on main commits
# spread over its history, one in four with 1-3 commits of its own; zz-newest
# (one commit ahead of main's tip, the newest commit of all: second row in
# slipway, first after main in tig); bench/big (its slipway.json writes
# BIG_BYTES). Refs packed, as after a clone.
BIG=$ROOT/big
mkdir -p "$BIG" && cd "$BIG" && git init -q -b main . || die "git init failed"
t_repo=$(now_ns)
"$PY" - "$((BRANCHES - 3))" "$MAIN_COMMITS" "$(date +%s)" "$BIG_LINE" "$BIG_BYTES" <<'EOF' | git fast-import --quiet || die "git fast-import failed"
import sys
nb, nm, now, line, big = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
out = sys.stdout.buffer
t0 = now - 86400 * 60 - nm * 600
def w(s): out.write(s.encode())
def data(s):
    b = s.encode()
    w("data %d\n" % len(b)); out.write(b); w("\n")
def commit(ref, mark, who, t, msg, frm, files):
    w("commit %s\n" % ref)
    if mark: w("mark :%d\n" % mark)
    w("author %s %d +0000\ncommitter %s %d +0000\n" % (who, t, who, t))
    data(msg)
    if frm: w("from %s\n" % frm)
    for path, text in files:
        w("M 100644 inline %s\n" % path); data(text)
    w("\n")
cfg = '{"version":1,"stages":[{"name":"a","run":"true"}]}\n'
for i in range(1, nm + 1):
    files = [("main.txt", "line %d\n" % i)]
    if i == 1:
        files.insert(0, ("slipway.json", cfg))
    commit("refs/heads/main", i, "Main Dev <main@example.invalid>", t0 + i * 600, "main commit %d" % i, None, files)
mark = nm
for k in range(nb):
    name = "refs/heads/feature/topic-%05d" % k
    base = (k * 7919) % nm + 1
    ahead = 1 + k % 3 if k % 4 == 0 else 0
    if not ahead:
        w("reset %s\nfrom :%d\n\n" % (name, base))
    for j in range(ahead):
        mark += 1
        who = "Dev %d <dev%d@example.invalid>" % (k % 50, k % 50)
        commit(name, mark, who, t0 + base * 600 + 60 + j, "work on topic %d, part %d" % (k, j),
               ":%d" % base if j == 0 else None, [("topic-%05d.txt" % k, "%d %d\n" % (k, j))])
bigcfg = '{"version":1,"stages":[{"name":"big","run":"yes %s | head -c %d"}]}\n' % (line, big)
commit("refs/heads/bench/big", 0, "Bench <bench@example.invalid>", now - 3600, "a stage writing %d bytes" % big,
       ":%d" % nm, [("slipway.json", bigcfg)])
commit("refs/heads/zz-newest", 0, "Zed <zed@example.invalid>", now - 60, "the newest commit", ":%d" % nm,
       [("z.txt", "z\n")])
EOF
git pack-refs --all && git checkout -q -f main || die "cannot check out main"
t_repo=$(($(now_ns) - t_repo))
nrefs=$(git for-each-ref refs/heads | wc -l)
echo "repository: $nrefs branches, $(git rev-list --count main) commits on main, $(git rev-list --all | wc -l) in all; made in $(ms "$t_repo") ms"
echo

# ---------------------------------------------------------- 1. first paint

# paint NAME CMD: ns from starting CMD in a new pane to a screen with 10
# rows of branch names (tig lists refs in its own order: no one name is sure
# to be on both first screens)
# With a third argument, also the ns until the screen no longer shows that
# text (slipway draws "…" for a count not known yet): "PAINT COUNTS".
paint() {
	local t0 t1 t2=""
	t0=$(now_ns)
	start_pane "$1" "$BIG" "$2"
	t1=$(wait_rows "$1" "$PAINTED" 10) || t1=0
	if [ "$t1" -gt 0 ] && [ -n "${3:-}" ]; then
		wait_gone "$1" "$3" && t2=$(($(now_ns) - t0)) || t2=0
	fi
	tm kill-session -t "$1" 2>/dev/null
	[ "$t1" -gt 0 ] && echo $((t1 - t0)) $t2 || echo "warning: $2 showed no branches in ${PAINT_TIMEOUT}s" >&2
}
echo > "$ROOT/empty.script"
headless() {
	local t0 t1
	t0=$(now_ns)
	"$SLIPWAY" --script "$ROOT/empty.script" --size "$SIZE" --dump "$ROOT/headless.txt" >/dev/null 2>&1
	t1=$(now_ns)
	echo $((t1 - t0))
}
# warm-up: page cache, run store creation, tig's first start
paint warm "$SLIPWAY" >/dev/null
paint warm "$TIG refs" >/dev/null
sw_paint=() sw_counts=() tig_paint=() hl=()
for ((r = 0; r < REPS; r++)); do
	read -r p c < <(paint sw "$SLIPWAY" "…")
	[ -n "${p:-}" ] && sw_paint+=("$p")
	[ -n "${c:-}" ] && sw_counts+=("$c")
	tig_paint+=($(paint tig "$TIG refs"))
	hl+=($(headless))
done
grep -qF "$NEEDLE" "$ROOT/headless.txt" || echo "warning: the headless screen does not show $NEEDLE" >&2
sw_p=$(printf '%s\n' "${sw_paint[@]}" | median)
sw_c=$(printf '%s\n' "${sw_counts[@]}" | median)
tig_p=$(printf '%s\n' "${tig_paint[@]}" | median)
hl_m=$(printf '%s\n' "${hl[@]}" | median)
echo "1. first paint, $nrefs branches, ${W}x${H} tmux pane, median of $REPS (poll every ~10 ms)"
printf '   %-52s %10s\n' "" "ms"
printf '   %-52s %10s\n' "slipway (dashboard)" "$(ms "$sw_p")"
printf '   %-52s %10s\n' "  ... and the counts of its rows (no ... left)" "$(ms "$sw_c")"
printf '   %-52s %10s\n' "tig refs" "$(ms "$tig_p")"
printf '   %-52s %10s\n' "slipway --script (empty) --size $SIZE, to exit" "$(ms "$hl_m")"
echo "   ratio slipway/tig: $(ratio "$sw_p" "$tig_p")   (target <= 1.0)"
echo "   runs (ms)  slipway:  $(list_ms "${sw_paint[@]}")"
echo "              + counts: $(list_ms "${sw_counts[@]}")"
echo "              tig:      $(list_ms "${tig_paint[@]}")"
echo "              headless: $(list_ms "${hl[@]}")"

# r on main in that dashboard: until the status line says "started run",
# and the dashboard's CPU time until it is quiet again (no tick for 1 s)
start_pane busy "$BIG" "$SLIPWAY"
wait_rows busy "$PAINTED" 10 >/dev/null || echo "warning: the dashboard did not paint" >&2
bp=$(pane_pid busy)
c0=$(cpu_ticks "$bp")
t0=$(now_ns)
tm send-keys -t busy r
if t1=$(wait_screen busy "started run" 30); then r_ms="$(ms $((t1 - t0))) ms"; else r_ms="not within 30 s"; fi
settle "$bp" >/dev/null
cur=$(cpu_ticks "$bp")
tm kill-session -t busy
echo "   r (run main) in that dashboard: status line \"started run\" after $r_ms; dashboard CPU until quiet: $(ticks_s $((cur - c0))) s"
echo

# ---------------------------------------------------------- 2. ahead/behind

st=()
for ((r = 0; r < REPS; r++)); do
	t0=$(now_ns)
	"$SLIPWAY" status --json >"$ROOT/status.json" 2>/dev/null
	t1=$(now_ns)
	st+=($((t1 - t0)))
done
st_m=$(printf '%s\n' "${st[@]}" | median)
known=$("$PY" -c '
import json, sys
b = json.load(open(sys.argv[1]))["branches"]
print("%d of %d" % (sum(1 for x in b if x["ahead"] >= 0), len(b)))' "$ROOT/status.json")

git for-each-ref --format='%(refname:short)' refs/heads >"$ROOT/branches.txt"
total=$(wc -l <"$ROOT/branches.txt")
limit_ns=$((SHELL_LIMIT * 1000000000))
done_n=0
t0=$(now_ns)
while read -r b; do
	git rev-list --left-right --count "main...$b" >/dev/null
	done_n=$((done_n + 1))
	if ((done_n % 50 == 0)) && (($(now_ns) - t0 > limit_ns)); then break; fi
done <"$ROOT/branches.txt"
sh_ns=$(($(now_ns) - t0))
if [ "$done_n" -lt "$total" ]; then
	sh_all=$((sh_ns / done_n * total))
	sh_note="stopped after $done_n of $total branches at $(ms "$sh_ns") ms; extrapolated"
else
	sh_all=$sh_ns
	sh_note="all $total branches"
fi
echo "2. every ahead/behind count against main ($nrefs branches), median of $REPS"
printf '   %-52s %10s\n' "" "ms"
printf '   %-52s %10s\n' "slipway status --json >/dev/null" "$(ms "$st_m")"
printf '   %-52s %10s\n' "slipway headless dashboard (part 1)" "$(ms "$hl_m")"
printf '   %-52s %10s\n' "shell: for-each-ref + rev-list --count per branch" "$(ms "$sh_all")"
echo "   ($sh_note; status --json gave $known branches their counts)"
echo "   ratio shell/slipway: $(ratio "$sh_all" "$st_m") status --json, $(ratio "$sh_all" "$hl_m") headless   (target >= 10)"
echo "   per branch: slipway $(awk -v a="$st_m" -v n="$total" 'BEGIN {printf "%.3f", a/n/1e6}') ms, shell $(awk -v a="$sh_all" -v n="$total" 'BEGIN {printf "%.3f", a/n/1e6}') ms"
echo "   runs (ms)  status --json: $(list_ms "${st[@]}")"
echo

# ---------------------------------------------------------- 3. follow
# follow_case NAME STAGE: a small repository of its own whose main has one
# stage, STAGE; the dashboard runs under script(1) in a pane, `r l` starts
# the run and opens its log at once; after the run's end and the last line
# on screen, `q q`.  Then `tail -n +1 -f` of the same log under script(1),
# killed once the last line is on its screen.  Sets the f_* variables.
follow_case() {
	local dir=$ROOT/$1 ts=$ROOT/$1.slipway.typescript tts=$ROOT/$1.tail.typescript spid tpid c0 c1 b0 t_start t_end t_shown last
	mkdir -p "$dir" && cd "$dir" && git init -q -b main . || die "git init failed"
	printf '{"version":1,"stages":[{"name":"lines","run":"%s"}]}\n' "$2" >slipway.json
	git add slipway.json && git -c user.name=bench -c user.email=bench@example.invalid commit -q -m lines ||
		die "git commit failed"
	start_pane "$1" "$dir" "script -qf -c $SLIPWAY $ts"
	wait_screen "$1" "No run on this head" >/dev/null || echo "warning: the dashboard did not open" >&2
	spid=$(ps -o pid= --ppid "$(pane_pid "$1")" | tr -d ' ' | head -1)
	while [ -n "$spid" ] && [ "$(ps -o comm= -p "$spid")" != slipway ]; do	# script -> sh -> slipway
		spid=$(ps -o pid= --ppid "$spid" | tr -d ' ' | head -1)
	done
	b0=$(stat -c %s "$ts")
	c0=$(cpu_ticks "$spid")
	t_start=$(now_ns)
	tm send-keys -t "$1" r l	# in one write: the log view is open before the stage starts
	wait_screen "$1" "Log · run" 10 >/dev/null || echo "warning: r l did not open a log" >&2
	f_id=$(latest_run)
	f_status=$(wait_run "$f_id")
	t_end=$(now_ns)
	f_log=$dir/.git/slipway/runs/$f_id/logs/lines.log
	f_log_bytes=$(stat -c %s "$f_log")
	f_lines=$(wc -l <"$f_log")
	last=$(tail -n 1 "$f_log")
	if t_shown=$(wait_screen "$1" "$last" 10); then
		f_shown="yes, $(ms $((t_shown - t_end))) ms after the run's end was seen"
	else
		f_shown="NO, not 10 s after the run ended"
	fi
	sleep 0.3	# the last redraws
	screen "$1" >"$ROOT/$1.screen"
	f_run_bytes=$(($(stat -c %s "$ts") - b0))
	c1=$(cpu_ticks "$spid")
	f_cpu=$(ticks_s $((c1 - c0)))
	f_ms=$(ms $((t_end - t_start)))
	tm send-keys -t "$1" q
	sleep 0.2
	tm send-keys -t "$1" q
	wait_session_end "$1"
	f_sw=$(payload "$ts")

	start_pane "$1-tail" "$dir" "script -qf -c \"exec tail -n +1 -f $f_log\" $tts"
	wait_screen "$1-tail" "$last" 30 >/dev/null || echo "warning: tail did not show the last line" >&2
	sleep 0.3
	tpid=$(ps -o pid= --ppid "$(pane_pid "$1-tail")" | tr -d ' ' | head -1)
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	wait_session_end "$1-tail"
	f_tail=$(payload "$tts")
}
follow_report() {
	echo "   $1: $f_lines lines, $f_log_bytes bytes of log; run $f_id $f_status in $f_ms ms"
	printf '     %-50s %12s\n' "slipway dashboard, whole session (typescript)" "$f_sw"
	printf '     %-50s %12s\n' "  of which from r l to the final screen" "$f_run_bytes"
	printf '     %-50s %12s\n' "tail -n +1 -f of the log (typescript)" "$f_tail"
	echo "     ratio slipway/tail: $(ratio "$f_sw" "$f_tail")   (target <= 0.5)"
	echo "     final screen shows the last line: $f_shown"
	echo "     dashboard CPU from r to the end: $f_cpu s"
}
# fast: LOG_LINES random lines of 60 base64 characters, as fast as base64
# writes them (every line differs: no redraw gets away with a few digits)
# paced: the same lines in PACED_BURSTS bursts 10 ms apart, so the view
# redraws many times while the stage runs
echo "3. following a stage's log in the dashboard (${W}x${H}), against tail -f of the same log"
follow_case follow-fast "head -c $((LOG_LINES * 45)) /dev/urandom | base64 -w 60"
follow_report "fast"
if [ "$PACED_BURSTS" -gt 0 ]; then
	per=$((LOG_LINES / PACED_BURSTS))
	follow_case follow-paced "i=0; while [ \$i -lt $PACED_BURSTS ]; do head -c $((per * 45)) /dev/urandom | base64 -w 60; sleep 0.01; i=\$((i + 1)); done"
	follow_report "paced, $PACED_BURSTS bursts of $per lines 10 ms apart"
fi
echo

# ---------------------------------------------------------- 4. idle
cd "$BIG" || die "lost $BIG"
if [ "$IDLE_SECONDS" -gt 0 ]; then
	start_pane idle "$BIG" "$SLIPWAY"
	start_pane idletig "$BIG" "$TIG refs"
	wait_rows idle "$PAINTED" 10 >/dev/null && wait_rows idletig "$PAINTED" 10 >/dev/null ||
		echo "warning: a pane did not paint" >&2
	# the dashboard counts ahead/behind after its first paint: idle is after that
	sleep 2
	ip=$(pane_pid idle) tp=$(pane_pid idletig)
	settled=$(settle "$ip")
	a0=$(cpu_ticks "$ip") g0=$(cpu_ticks "$tp")
	sleep "$IDLE_SECONDS"
	a1=$(cpu_ticks "$ip") g1=$(cpu_ticks "$tp")
	tm kill-session -t idle
	tm kill-session -t idletig
	echo "4. idle for $IDLE_SECONDS s, no run going (utime+stime from /proc/PID/stat, ${hz} Hz ticks)"
	echo "   (from 2 s after the first paint + $settled s until slipway used no CPU for 1 s)"
	printf '   %-52s %10s\n' "" "CPU s"
	printf '   %-52s %10s\n' "slipway dashboard" "$(ticks_s $((a1 - a0)))"
	printf '   %-52s %10s\n' "tig refs" "$(ticks_s $((g1 - g0)))"
	echo "   (target < 0.1 s for slipway)"
	echo
fi

# ---------------------------------------------------------- 5. memory
[ "$BIG_BYTES" -gt 0 ] || exit 0
free_kb=$(df -Pk "$ROOT" | awk 'NR == 2 {print $4}')
if [ "${free_kb:-0}" -lt $((BIG_BYTES / 1024 + 524288)) ]; then
	echo "5. skipped: $ROOT has $((free_kb / 1024)) MiB free, the log needs $((BIG_BYTES / 1048576)) MiB and some"
	exit 0
fi
t0=$(now_ns)
bid=$("$SLIPWAY" run bench/big 2>/dev/null)
case $bid in "" | *[!0-9]*) bid=$(latest_run) ;; esac
big_status=$(wait_run "$bid")
t1=$(now_ns)
big_bytes=$(stat -c %s ".git/slipway/runs/$bid/logs/big.log" 2>/dev/null || echo 0)
len=$((${#BIG_LINE} + 1))
big_lines=$(((big_bytes + len - 1) / len))

start_pane mem "$BIG" "$SLIPWAY"
wait_screen mem "$NEEDLE" >/dev/null || echo "warning: the dashboard did not paint" >&2
mp=$(pane_pid mem)
hwm_open=$(status_kb "$mp" VmHWM)
tm send-keys -t mem :
tm send-keys -t mem -l "log $bid big"
t2=$(now_ns)
tm send-keys -t mem Enter
# The whole log should get counted without help; if the count stops short
# (for STALL_SECONDS), the count shown then is reported and an unbound key
# (x) is pressed every 150 ms until it is complete, so that the rest of the
# part still measures a fully indexed log.
nudges=0 stalled=""
if t3=$(wait_screen mem "$big_lines lines" "$STALL_SECONDS"); then
	open_ms="$(ms $((t3 - t2))) ms"
else
	open_ms="not within $STALL_SECONDS s"
	stalled=$(screen mem | head -1 | grep -o '[0-9]* lines' | head -1)
	while ! screen mem | grep -qF "$big_lines lines" && [ "$nudges" -lt 200 ]; do
		tm send-keys -t mem x
		nudges=$((nudges + 1))
		sleep 0.15
	done
	screen mem | grep -qF "$big_lines lines" || echo "warning: the log view did not count $big_lines lines" >&2
fi
step() {	# step KEY: press it, wait for the title to (not) say "following"
	local t0 t1
	t0=$(now_ns)
	tm send-keys -t mem "$1"
	if [ "$1" = G ]; then wait_screen mem "following" 10 >/dev/null; else wait_gone mem "following"; fi
	t1=$(now_ns)
	ms $((t1 - t0))
}
g1_ms=$(step g)
G_ms=$(step G)
g2_ms=$(step g)
screen mem >"$ROOT/mem.screen"
hwm=$(status_kb "$mp" VmHWM)
rss=$(status_kb "$mp" VmRSS)
tm kill-session -t mem
echo "5. memory: $nrefs branches and a $(awk -v b="$big_bytes" 'BEGIN {printf "%.0f", b/1048576}') MiB log ($big_lines lines; run $bid $big_status in $(ms $((t1 - t0))) ms)"
printf '   %-52s %10s\n' "" "MiB"
printf '   %-52s %10s\n' "dashboard VmHWM after the first paint" "$(mib "$hwm_open")"
printf '   %-52s %10s\n' "dashboard VmHWM with the log open, after g G g" "$(mib "$hwm")"
printf '   %-52s %10s\n' "dashboard VmRSS at the end" "$(mib "$rss")"
echo "   (target < 64 MiB)"
echo "   :log to all $big_lines lines counted: $open_ms; g $g1_ms ms, G $G_ms ms, g $g2_ms ms (to the screen)"
[ -z "$stalled" ] || echo "   the count stopped at $stalled (of $big_lines) and went on only with key presses: $nudges presses of an unbound key"
echo
exit 0
