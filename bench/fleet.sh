#!/usr/bin/env bash
# Fleet deploy benchmark (issue 11): `slipway deploy --follow` of a fleet
# of "targets", 9 real sshd's on 127.0.0.1 (tests/sshd.sh), each in a mount
# namespace of its own where its own tree is bound on the deploy path (as
# tests/integration/fleet.sh makes web1..web3), and an empty ~/.bashrc
# bound in that namespace too (TARGET_RC below).  Hooks that take a known
# time (stop 0.1 s, start 0.3 s, validate 0.1 s: sleeps) make "beyond the
# hooks" measurable; no health URL (the step is skipped).
#
# 0. What one ssh command costs on these targets: a new connection, and a
#    session on a master connection (what each of slipway's steps opens).
# 1. Series: 1, 3 and 9 hosts, each with {"max_parallel": 1 or 3,
#    "min_healthy": 0}; every deploy a new commit whose run passed first
#    (not timed); REPS (3) rounds, each round one deploy of every series,
#    the series in turn (reversed in even rounds).  The wall time of
#    `slipway deploy --follow`, and from the journal the fleet's steps (one
#    per host) and each host's own deploy record: per-host overhead = the
#    host's step in the fleet record - the sum of that host's hook steps,
#    broken down into what the fleet's process spends before the host's
#    deploy exists (its plan: config, the ssh connection, the lock), the
#    host deploy's own steps other than hooks, its gaps, and the fleet's
#    poll after the host ended; the single-host deploys of part 2 beside.
# 2. Pairs: A = 9 hosts, max_parallel 3 (3 waves); B = three `slipway
#    deploy --follow` in a row of a single-target config ("target":
#    "ssh://USER@web1"), each a new commit proved first (not timed): what 3
#    waves would cost if a wave cost one single-host deploy.  PAIRS (3)
#    rounds, A first in odd rounds and B first in even ones; the median of
#    the pairs' ratios A/B.
# Warm-up first: one deploy to all 9 hosts and one to web1 alone, so that
# every timed deploy has a release to stop.
#
#   bench/fleet.sh                      # build/slipway, as root; about 2 min
#   PAIRS=5 REPS=5 bench/fleet.sh       # counts: 1 to 10
#   START_S=1 STOP_S=0 bench/fleet.sh   # other hook times (0: sleep 0)
#   TARGET_RC=user bench/fleet.sh       # the targets' shell reads your ~/.bashrc
#
# Needs root (unshare --mount), openssh-server and -client, git, python3,
# flock.  Works in mktemp -d /tmp/slipway-bench-fleet.XXXXXX, removed at
# the end with the sshd's stopped, Ctrl-C included.  Never fails on a
# timing: exit 0 unless it cannot run (2).
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
SLIPWAY=${SLIPWAY:-$here/../build/slipway}
PAIRS=${PAIRS:-3}
REPS=${REPS:-3}
STOP_S=${STOP_S:-0.1}
START_S=${START_S:-0.3}
VALIDATE_S=${VALIDATE_S:-0.1}
NHOSTS=9

die() { echo "bench: $*" >&2; exit 2; }
[ -x "$SLIPWAY" ] || die "no slipway at $SLIPWAY (build first)"
SLIPWAY=$(cd "$(dirname "$SLIPWAY")" && pwd)/$(basename "$SLIPWAY")
for v in PAIRS REPS; do
	case ${!v} in '' | *[!0-9]*) die "$v=${!v}: a count from 1 to 10" ;; esac
	[ "${!v}" -ge 1 ] && [ "${!v}" -le 10 ] || die "$v=${!v}: a count from 1 to 10"
done
for v in STOP_S START_S VALIDATE_S; do
	[[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$v=${!v}: seconds (e.g. 0.3)"
done
[ "$(id -u)" -eq 0 ] || die "needs root (each sshd in a mount namespace of its own: unshare --mount)"
for t in git python3 flock unshare ssh ssh-keygen; do command -v "$t" >/dev/null || die "$t not found"; done
[ -x /usr/sbin/sshd ] || die "no /usr/sbin/sshd (scripts/install-deps.sh test)"

# tests/sshd.sh uses the tests' wait_for.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}
. "$here/../tests/sshd.sh"

# The target's login shell: sshd runs every command through it, and bash
# sources ~/.bashrc when sshd starts it, so every ssh session slipway opens
# pays what that file costs (where bench/README.md was measured, pyenv init:
# 150-300 ms a session).  By default
# each sshd's mount namespace binds an empty file on ~/.bashrc (the real
# one is untouched): a target whose shell starts plainly.  TARGET_RC=user
# keeps the user's own.
TARGET_RC=${TARGET_RC:-plain}
case $TARGET_RC in plain | user) ;; *) die "TARGET_RC=$TARGET_RC: plain or user" ;; esac
user_home=$(getent passwd "$(id -un)" | cut -d: -f6)
# sshd_launch DIR: as tests/sshd.sh's with SSHD_MOUNT, and the empty ~/.bashrc.
sshd_launch() {
	local dir=$1 rc=/dev/null
	[ "$TARGET_RC" = plain ] && [ -f "$user_home/.bashrc" ] && rc=$user_home/.bashrc
	unshare --mount --propagation private sh -c \
		'mount --bind "$1" "$2" && { [ "$6" = /dev/null ] || mount --bind "$7" "$6"; } && exec "$3" -f "$4" -E "$5"' sh \
		"${SSHD_MOUNT%%:*}" "${SSHD_MOUNT#*:}" "$SSHD_BIN" "$dir/sshd_config" "$dir/sshd.log" "$rc" "$work/empty_rc" \
		2>>"$dir/sshd.log"
}

work=$(mktemp -d /tmp/slipway-bench-fleet.XXXXXX) || die "no work directory"
SRV=$work/srv
USER_NAME=$(id -un)

# running_deploys: the pids of this benchmark's deploys still running
# (after Ctrl-C a deploy goes on: --follow only stops following it).
running_deploys() {
	python3 - "$work/repo/.git/slipway/deploys" <<'EOF' 2>/dev/null
import glob, json, os, sys
for f in glob.glob(os.path.join(sys.argv[1], "*", "deploy.json")):
    try:
        j = json.load(open(f))
    except ValueError:
        continue
    if j.get("status") == "running" and j.get("pid"):
        try:
            os.kill(j["pid"], 0)
            print(j["pid"])
        except OSError:
            pass
EOF
}
cleanup() {
	local h end=$((SECONDS + 60))
	# A deploy under way is let end (60 s at most) before its hosts go.
	while [ -d "$work/repo/.git/slipway/deploys" ] && [ -n "$(running_deploys)" ] && [ $SECONDS -lt $end ]; do
		sleep 0.5
	done
	for h in $(seq "$NHOSTS"); do sshd_down "$work/sshd$h" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$SLIPWAY" "$work/slipway" || die "cannot copy $SLIPWAY"
: >"$work/empty_rc"
SW=$work/slipway

# Nine sshd's, each with its tree bound on $SRV, and one client config
# naming them web1..web9.
t0=$(now_ns)
mkdir -p "$SRV"
config=$work/ssh_config known=$work/known_hosts
: >"$config"
: >"$known"
for h in $(seq "$NHOSTS"); do
	mkdir -p "$work/root$h"
	SSHD_MOUNT="$work/root$h:$SRV" sshd_up "$work/sshd$h" >"$work/sshd_up.log" 2>&1 ||
		{ cat "$work/sshd_up.log" >&2; die "sshd $h did not start"; }
	cat "$work/sshd$h/known_hosts" >>"$known"
	sed -e "s/^Host slipway-test 127.0.0.1$/Host web$h/" -e "s|UserKnownHostsFile .*|UserKnownHostsFile $known|" \
		"$work/sshd$h/ssh_config" >>"$config"
done
export SLIPWAY_SSH_COMMAND="ssh -F $config"
for h in $(seq "$NHOSTS"); do echo "host $h" >"$work/root$h/whoami"; done
for h in $(seq "$NHOSTS"); do
	seen=$($SLIPWAY_SSH_COMMAND "web$h" cat "$SRV/whoami" </dev/null) || die "cannot log in to web$h"
	[ "$seen" = "host $h" ] || die "web$h sees '$seen' at $SRV (the mount namespace did not take)"
done
up_ms=$(ms $(($(now_ns) - t0)))

# ssh_cost: what one ssh command costs on these targets, as a new
# connection and as a session on a master connection (slipway's way);
# prints "NEW_NS SESSION_NS" (medians of 3 and 7).
ssh_cost() {
	local cp=$work/cm-%C t0 k news=() sessions=()
	for k in 1 2 3; do
		t0=$(now_ns)
		$SLIPWAY_SSH_COMMAND -o ControlMaster=no web1 true </dev/null || return 1
		news+=($(($(now_ns) - t0)))
	done
	$SLIPWAY_SSH_COMMAND -o ControlMaster=auto -o ControlPersist=60 -o "ControlPath=$cp" web1 true </dev/null || return 1
	for k in 1 2 3 4 5 6 7; do
		t0=$(now_ns)
		$SLIPWAY_SSH_COMMAND -o "ControlPath=$cp" web1 true </dev/null || return 1
		sessions+=($(($(now_ns) - t0)))
	done
	$SLIPWAY_SSH_COMMAND -o "ControlPath=$cp" -O exit web1 2>/dev/null
	echo "$(printf '%s\n' "${news[@]}" | median) $(printf '%s\n' "${sessions[@]}" | median)"
}
read -r ssh_new ssh_session <<<"$(ssh_cost)" || die "ssh to web1 failed"

repo=$work/repo
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
git init -q -b main "$repo" || die "git init failed"
cd "$repo" || die "no $repo"

# configure HOSTS MP | configure single: main's slipway.json.
configure() {
	local targets="" h where
	if [ "$1" = single ]; then
		where="\"target\": \"ssh://$USER_NAME@web1\""
	else
		for h in $(seq "$1"); do targets="$targets${targets:+, }\"ssh://$USER_NAME@web$h\""; done
		where="\"targets\": [$targets], \"strategy\": {\"max_parallel\": $2, \"min_healthy\": 0}"
	fi
	cat >slipway.json <<EOF
{"version": 1, "stages": [{"name": "test", "run": "true"}],
 "deploy": {
   $where,
   "path": "$SRV",
   "hooks": {"stop": "sleep $STOP_S", "start": "sleep $START_S", "validate": "sleep $VALIDATE_S"}
 }}
EOF
}

# release LABEL HOSTS MP | release LABEL single: a new commit on main with
# that config, proved by a passed run (not timed).
release() {
	local label=$1
	shift
	configure "$@"
	echo "$label" >index.txt
	git add -A && git commit -q -m "$label" || die "git commit failed"
	"$SW" run main --follow >"$work/run.out" 2>&1
	case $? in
	0) ;;
	130) exit 130 ;;
	*) tail -5 "$work/run.out" >&2; die "the pipeline failed" ;;
	esac
}

# ssh_counts: sessions and connections the sshd's have logged so far.
ssh_counts() {
	echo "$(cat "$work"/sshd*/sshd.log | grep -c 'Starting session') $(cat "$work"/sshd*/sshd.log | grep -c 'Accepted publickey')"
}

# timed LABEL: times `slipway deploy --follow`; notes LABEL, the time and
# the deploy's id in $work/times; prints the time (ns).  Called in $(...):
# its callers pass its exit status on (`|| exit $?`): 2, or 130 when
# Ctrl-C stopped the follower (which leaves bash's own INT trap unrun).
timed() {
	local t0 t1 id rc before
	before=$(ssh_counts)
	t0=$(now_ns)
	"$SW" deploy --follow >"$work/deploy.out" 2>&1
	rc=$?
	t1=$(now_ns)
	[ $rc = 130 ] && exit 130
	[ $rc = 0 ] || { tail -20 "$work/deploy.out" >&2; die "slipway deploy failed ($1)"; }
	id=$(sed -n 's/^deploy #\([0-9]*\) .*/\1/p' "$work/deploy.out" | tail -1)
	[ -n "$id" ] || { tail -5 "$work/deploy.out" >&2; die "no deploy id in the output ($1)"; }
	printf '%s %s %s %s %s\n' "$1" $((t1 - t0)) "$id" "$before" "$(ssh_counts)" >>"$work/times"
	echo $((t1 - t0))
}

echo "fleet.sh: $NHOSTS sshd's on 127.0.0.1 up in $up_ms ms; hooks stop ${STOP_S} s, start ${START_S} s, validate ${VALIDATE_S} s;" \
	"$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "slipway = $SLIPWAY (copied); $REPS series rounds, $PAIRS pairs"
echo "target shell: $TARGET_RC ~/.bashrc; one ssh command on web1: new connection $(ms "$ssh_new") ms," \
	"a session on a master connection $(ms "$ssh_session") ms (medians)"

# Warm-up: every host gets a release (so that every timed deploy stops
# one), and web1 one by the single-target config.
release "warm-up fleet" "$NHOSTS" 3
timed warm-up >/dev/null || exit $?
release "warm-up single" single
timed warm-up >/dev/null || exit $?

series=("1 1" "1 3" "3 1" "3 3" "9 1" "9 3")
echo
echo "1. series: wall time of slipway deploy --follow (ms), $REPS rounds"
for r in $(seq "$REPS"); do
	order=("${series[@]}")
	if [ $((r % 2)) = 0 ]; then
		order=()
		for ((k = ${#series[@]} - 1; k >= 0; k--)); do order+=("${series[$k]}"); done
	fi
	line="   round $r:"
	for s in "${order[@]}"; do
		set -- $s
		release "series $1/$2 round $r" "$1" "$2"
		t=$(timed "s:$1:$2") || exit $?
		line="$line  $1h/mp$2 $(ms "$t")"
	done
	echo "$line"
done

# b: three single-host deploys in a row; prints their total (ns) and notes
# each one.
time_b() {
	local k t sum=0 parts=""
	for k in 1 2 3; do
		release "B pair $1 deploy $k" single
		t=$(timed "b:$1") || exit $?
		sum=$((sum + t))
		parts="$parts${parts:+ + }$(ms "$t")"
	done
	echo "$sum $parts"
}
time_a() {
	release "A pair $1" "$NHOSTS" 3
	timed "a:$1"
}

echo
echo "2. pairs: A = $NHOSTS hosts, max_parallel 3 (3 waves); B = 3 single-host deploys in a row (web1)"
ratios=() as=() bs=()
for i in $(seq "$PAIRS"); do
	if [ $((i % 2)) = 1 ]; then
		a=$(time_a "$i") || exit $?
		bline=$(time_b "$i") || exit $?
		first=A
	else
		bline=$(time_b "$i") || exit $?
		a=$(time_a "$i") || exit $?
		first=B
	fi
	read -r b bparts <<<"$bline"
	as+=("$a") bs+=("$b") ratios+=("$(ratio "$a" "$b")")
	printf '   pair %d (%s first): A %s ms, B %s ms (%s), A/B %s\n' "$i" "$first" "$(ms "$a")" "$(ms "$b")" "$bparts" \
		"${ratios[-1]}"
done
a_med=$(printf '%s\n' "${as[@]}" | median)
b_med=$(printf '%s\n' "${bs[@]}" | median)
r_med=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}')
printf '   medians: A %s ms, B %s ms (ratio of the medians %s); median of the %d ratios A/B: %s (pairs: %s)\n' \
	"$(ms "$a_med")" "$(ms "$b_med")" "$(ratio "$a_med" "$b_med")" "$PAIRS" "$r_med" "${ratios[*]}"

echo
python3 - "$work/times" "$repo/.git/slipway/deploys" "$STOP_S" "$START_S" "$VALIDATE_S" "$r_med" "$ssh_new" "$ssh_session" <<'EOF'
import json, os, statistics, sys

times, root = sys.argv[1], sys.argv[2]
sleeps = {"stop": float(sys.argv[3]), "start": float(sys.argv[4]), "validate": float(sys.argv[5])}
pair_ratio = float(sys.argv[6])
ssh_new, ssh_session = int(sys.argv[7]) / 1e6, int(sys.argv[8]) / 1e6
HOOKS = ("stop", "before_install", "after_install", "start", "validate")

def rec(i):
    with open(os.path.join(root, str(i), "deploy.json")) as f:
        return json.load(f)

def dur(s):
    return s["finished_ms"] - s["started_ms"] if s.get("started_ms") and s.get("finished_ms") else 0

def med(xs):
    return statistics.median(xs) if xs else float("nan")

def mm(xs):
    return "%.0f-%.0f" % (min(xs), max(xs)) if xs else "-"

# A host deploy's own parts, from its record (ms).
def parts(h):
    st = {x["name"]: x for x in h["steps"]}
    d = {
        "started": h["started_ms"], "finished": h["finished_ms"],
        "own": h["finished_ms"] - h["started_ms"],
        "hooks": sum(dur(st[k]) for k in HOOKS if k in st),
        "sleeps": sum(1000 * sleeps[k] for k in sleeps if st.get(k, {}).get("status") == "passed"),
        "to_first": min(x["started_ms"] for x in h["steps"] if x.get("started_ms")) - h["started_ms"],
        "after_last": h["finished_ms"] - max(x["finished_ms"] for x in h["steps"] if x.get("finished_ms")),
    }
    for k in ("install", "switch", "health", "backup", "sentry"):
        d[k] = dur(st[k]) if k in st else 0
    d["skipped"] = d["health"] + d["backup"] + d["sentry"]
    # The releases' prune runs after the health step, before sentry's.
    d["prune"] = st["sentry"]["started_ms"] - st["health"]["finished_ms"] if "sentry" in st and "health" in st else 0
    d["steps_not_hooks"] = sum(dur(x) for x in h["steps"] if x["name"] not in HOOKS)
    d["gaps"] = d["own"] - d["to_first"] - d["after_last"] - d["hooks"] - d["steps_not_hooks"] - d["prune"]
    d["hook_extra"] = d["hooks"] - d["sleeps"]
    return d

rows = []
sessions, conns = {}, {}   # series or "single" -> per host deploy
for line in open(times):
    label, ns, i, s0, c0, s1, c1 = line.split()
    rows.append((label, int(ns) / 1e6, int(i)))
    if label != "warm-up":
        n = 1 if label.startswith("b:") else len([s for s in rec(int(i))["steps"] if s.get("deploy")])
        k = "single" if label.startswith("b:") else "fleet"
        sessions.setdefault(k, []).append((int(s1) - int(s0)) / n)
        conns.setdefault(k, []).append((int(c1) - int(c0)) / n)

# Per host of every timed fleet deploy (the series and the pairs' A).
hosts = []          # dicts of the breakdown, one per host deploy
by_series = {}      # (n, mp) -> list of (wall, fleet record, [host dicts])
stagger = {1: [], 2: []}
wave_gap, fleet_tail, fleet_head, outside = [], [], [], []
for label, wall, i in rows:
    if label == "warm-up" or label.startswith("b:"):
        continue
    f = rec(i)
    hs = [s for s in f["steps"] if s.get("deploy")]
    n = len(hs)
    mp = 3 if label.startswith("a:") else int(label.split(":")[2])
    mine = []
    for s in hs:
        d = parts(rec(s["deploy"]))
        d["step"] = dur(s)
        d["plan"] = d["started"] - s["started_ms"]      # the fleet's process, before the host's record
        d["poll"] = s["finished_ms"] - d["finished"]    # the fleet's poll sees the end
        d["overhead"] = d["step"] - d["hooks"]
        d["mp"] = mp
        mine.append(d)
        hosts.append(d)
    by_series.setdefault((n, mp), []).append((wall, f, mine))
    # Within a wave the hosts' deploys are started one after the other.
    for w in range(0, n, mp):
        wave = hs[w:w + mp]
        hst = [rec(s["deploy"])["started_ms"] for s in wave]
        for k in range(1, len(wave)):
            stagger[k].append(hst[k] - hst[0])
        if w + mp < n:
            wave_gap.append(hs[w + mp]["started_ms"] - max(s["finished_ms"] for s in wave))
    fleet_tail.append(f["finished_ms"] - max(s["finished_ms"] for s in hs))
    fleet_head.append(hs[0]["started_ms"] - f["started_ms"])
    outside.append(wall - (f["finished_ms"] - f["started_ms"]))

print("3. the journal: per series, medians (ms)")
print("   %-16s %5s %9s %9s %9s %9s %9s %9s" % ("hosts/max_par.", "waves", "wall", "fleet rec", "per wave",
                                               "host step", "its hooks", "overhead"))
for (n, mp) in sorted(by_series):
    v = by_series[(n, mp)]
    waves = -(-n // mp)
    hs = [d for _, _, m in v for d in m]
    walls = [w for w, _, _ in v]
    recs = [f["finished_ms"] - f["started_ms"] for _, f, _ in v]
    print("   %-16s %5d %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f   (%d deploys)" % (
        "%d/%d" % (n, mp), waves, med(walls), med(recs), med(walls) / waves, med([d["step"] for d in hs]),
        med([d["hooks"] for d in hs]), med([d["overhead"] for d in hs]), len(v)))

# Single-host deploys (B): the same measure without a fleet.
# Single-host deploys (B): the same parts without a fleet; what the
# fleet's process does before a host's record, the CLI does for them.
singles = []
for label, wall, i in rows:
    if label.startswith("b:"):
        d = parts(rec(i))
        d["step"] = wall
        d["plan"] = d["poll"] = float("nan")
        d["outside"] = wall - d["own"]
        d["overhead"] = wall - d["hooks"]
        singles.append(d)
if singles:
    print("   %-16s %5d %9.0f %9.0f %9s %9s %9.0f %9.0f   (%d deploys: wall - hooks)" % (
        "single (B)", 1, med([d["step"] for d in singles]), med([d["own"] for d in singles]), "", "",
        med([d["hooks"] for d in singles]), med([d["overhead"] for d in singles]), len(singles)))

print()
print("4. per host, medians and min-max (ms): the %d host deploys of the fleet deploys above, and the %d"
      " single-host deploys (B)" % (len(hosts), len(singles)))
print("   %-50s %7s %9s   %7s %9s" % ("", "fleet", "", "single", ""))
def row(name, key, note=""):
    cols = []
    for group in (hosts, singles):
        xs = [d[key] for d in group if d[key] == d[key]]
        cols += ["%.0f" % med(xs), mm(xs)] if xs else ["", ""]
    print("   %-50s %7s %9s   %7s %9s  %s" % (name, cols[0], cols[1], cols[2], cols[3], note))
row("the host's step in the fleet record (single: wall)", "step")
row("  - its hook steps (stop, start, validate)", "hooks", "sleeps %.0f" % med([d["sleeps"] for d in hosts]))
row("  = per-host overhead beyond the hooks", "overhead", "(target <= 100)")
print("   where it goes (the parts add up to the overhead):")
row("  fleet: plan before the host's record exists", "plan", "config, links in the lock's session (the fleet's, or its own)")
for d in singles:
    d["cli"] = d["outside"]
for d in hosts:
    d["cli"] = float("nan")
row("  single: the CLI outside the record", "cli", "start, plan (the same), --follow's poll")
row("  host: record to its first step", "to_first", "record, detach, the process's start")
row("  host: install", "install", "checkout, tar, unpacked and linked in the lock's session")
row("  host: switch", "switch", "ln + mv of previous and current, in the lock's session")
row("  host: health, backup, sentry (skipped here)", "skipped")
row("  host: prune, between health and sentry", "prune", "the prune script, in the lock's session")
row("  host: between its other steps", "gaps", "the hook scripts written, logs")
row("  host: last step to its end", "after_last", "finish")
row("  fleet: the host's end to its step's end", "poll", "inotify on the host's record")
row("  (host: every non-hook step, for the check)", "steps_not_hooks")
row("hook steps beyond their sleeps (3 ssh sessions)", "hook_extra")
for d in hosts + singles:
    d["less_conn"] = d["overhead"] - ssh_new
row("overhead less one new ssh connection", "less_conn", "(%.0f ms, above: the handshake every host costs)" % ssh_new)
print("   ssh per host deploy (the sshd's logs): fleet %.1f connections, %.1f sessions; single %.1f, %.1f (medians)" % (
    med(conns.get("fleet", [])), med(sessions.get("fleet", [])), med(conns.get("single", [])),
    med(sessions.get("single", []))))
if stagger[1]:
    print("   waves of 3: the 2nd host's deploy starts %.0f ms after the 1st's, the 3rd %.0f ms after (medians;"
          " each planned by a child of its own, side by side)" % (med(stagger[1]), med(stagger[2])))
if wave_gap:
    print("   between waves: the next wave's first step starts %.0f ms after the last host of the wave before ended"
          " (median, %s)" % (med(wave_gap), mm(wave_gap)))
print("   the fleet's record: its first host's step starts %.0f ms after the record's start (every host's ssh"
      " connection, opened side by side); the record ends %.0f ms after its last host's step (medians)" % (
          med(fleet_head), med(fleet_tail)))
print("   wall - the fleet's record: %.0f ms (median, %s: the CLI's plan and start before the record, and"
      " --follow's 200 ms poll after it)" % (med(outside), mm(outside)))

a_wave = [w / 3 for (n, mp), v in by_series.items() if (n, mp) == (9, 3) for w, _, _ in v]
if a_wave and singles:
    print("   a wave of 3 hosts costs %.0f ms (9 hosts / 3 waves, median); one single-host deploy %.0f ms" % (
        med(a_wave), med([d["step"] for d in singles])))

# Everything the fleet adds, connections included, one host at a time.
whole = []
for (n, mp), v in by_series.items():
    if mp == 1:
        for _, f, mine in v:
            whole.append((f["finished_ms"] - f["started_ms"] - sum(d["hooks"] for d in mine)) / n)
one = [d["overhead"] for d in hosts if d["mp"] == 1]
three = [d["overhead"] for d in hosts if d["mp"] == 3]
print("   per-host overhead one at a time %.0f ms (median, %s), in waves of 3 %.0f ms (%s: three hosts' clients and"
      " sshd's on %d CPUs)" % (med(one), mm(one), med(three), mm(three), os.cpu_count() or 0))
if whole:
    print("   one at a time, the fleet's whole record beyond its hooks, per host: %.0f ms (median, %s; the"
          " connections and the fleet's own steps shared out)" % (med(whole), mm(whole)))

print()
ov = med([d["overhead"] for d in hosts])
print("summary: per-host overhead beyond the hooks %.0f ms (median of %d host deploys): %s (target <= 100 ms)" % (
    ov, len(hosts), "PASS" if ov <= 100 else "MISS"))
print("summary: 9 hosts in 3 waves against 3 sequential single-host deploys: median ratio %.2f: %s (target <= 1.2)" % (
    pair_ratio, "PASS" if pair_ratio <= 1.2 else "MISS"))
EOF
exit 0
