#!/usr/bin/env bash
# The dashboard's Sentry panel on 10,000 issues (ISSUES; the fake Sentry of
# tests/integration/sentry_fake.py on 127.0.0.1, 100 a page behind Link
# cursors) against curl fetching the same pages one after another, a bash
# loop following each page's rel="next" cursor.  Each round (PAIRS, 5,
# after one warm-up of each) times A then B:
#   A  a new dashboard in a tmux pane (SIZE, 200x50): from the E key to the
#      first page on screen (the title's count) and to all of them (the
#      count whole, no "…"), polling the pane every few ms; then its VmHWM;
#   B  curl: the first page alone (one request, a process), then the loop.
# Prints each round, the medians and the medians of the rounds' ratios
# (panel/curl), and whether the first page showed while the fake held the
# second (its "gated" project): one round trip.  Targets: the first page
# in one round trip; all pages within 1.2x of curl's loop; RSS < 32 MB.
# Never fails on a timing.
#
#   bench/sentry.sh                       # build/slipway next to this script
#   SLIPWAY=/path/to/slipway PAIRS=9 bench/sentry.sh
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
SLIPWAY=${SLIPWAY:-$here/../build/slipway}
PAIRS=${PAIRS:-5}
SIZE=${SIZE:-200x50}
ISSUES=10000	# the fake's "big" project
FAKE=$here/../tests/integration/sentry_fake.py
[ -x "$SLIPWAY" ] || { echo "sentry.sh: no slipway at $SLIPWAY (build it first)" >&2; exit 2; }
for tool in git python3 tmux curl; do
	command -v "$tool" >/dev/null || { echo "sentry.sh: needs $tool" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench-sentry.XXXXXX")
sock=$work/tmux.sock
tm() { tmux -S "$sock" "$@"; }
cleanup() {
	tm kill-server 2>/dev/null
	[ -n "${fake_pid:-}" ] && kill "$fake_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The binary is copied: a rebuild meanwhile cannot mix two versions.
built=$(stat -c %y "$SLIPWAY" | cut -d. -f1)
cp "$SLIPWAY" "$work/slipway"
SLIPWAY=$work/slipway
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color
mkdir -p "$HOME"

# A token made now, given to curl in a header file (never on a command
# line) and to the dashboard in its environment.
token=sntrys-bench-$$-$RANDOM$RANDOM
printf 'Authorization: Bearer %s\n' "$token" >"$work/auth.header"
chmod 600 "$work/auth.header"
python3 "$FAKE" "$token" "$work/fake.log" >"$work/fake.port" 2>"$work/fake.err" &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/fake.port" ] && break; sleep 0.05; done
[ -s "$work/fake.port" ] || { echo "sentry.sh: the fake Sentry did not start" >&2; exit 2; }
url=http://127.0.0.1:$(head -1 "$work/fake.port")
project=big-bench
first_url="$url/api/0/projects/acme/$project/issues/?query=is%3Aunresolved&statsPeriod=&sort=date&limit=100"

git init -q -b main "$work/r"
printf '{"version": 1, "stages": [{"name": "test", "run": "true"}]}\n' >"$work/r/slipway.json"
git -C "$work/r" add -A && git -C "$work/r" -c user.name=bench -c user.email=bench@example.invalid commit -q -m bench

# ---- B: curl

# Prints the ns of one request of the first page.
curl_first() {
	local t0 t1
	t0=$(now_ns)
	curl -sf -H "@$work/auth.header" -o "$work/page.json" "$first_url" || echo "warning: curl failed" >&2
	t1=$(now_ns)
	echo $((t1 - t0))
}

# Prints the ns of every page, one after another, and the pages' count.
curl_all() {
	local t0 t1 u=$first_url pages=0 cursor
	t0=$(now_ns)
	while :; do
		curl -sf -H "@$work/auth.header" -D "$work/headers" -o "$work/page.json" "$u" || { echo "warning: curl failed" >&2; break; }
		pages=$((pages + 1))
		cursor=$(sed -n 's/.*rel="next"; results="true"; cursor="\([^"]*\)".*/\1/p' "$work/headers")
		[ -n "$cursor" ] || break
		u="$first_url&cursor=${cursor//:/%3A}"
	done
	t1=$(now_ns)
	echo $((t1 - t0)) "$pages"
}

# ---- A: the panel

screen() { tm capture-pane -p -t "$1"; }

# wait_title SESSION PATTERN LIMIT_S: ns when a panel's title matches
# (anywhere: at SIZE the panel may take the History tile's place).
wait_title() {
	local end=$(($(now_ns) + $3 * 1000000000))
	while [ "$(now_ns)" -lt "$end" ]; do
		if screen "$1" | grep -q -- "$2"; then
			now_ns
			return 0
		fi
		sleep 0.002
	done
	return 1
}

# Prints ns to the first page, ns to all, and the VmHWM in kB.
panel() {
	local s=panel$1 first all pid hwm t0
	tm new-session -d -s "$s" -x "${SIZE%x*}" -y "${SIZE#*x}" -c "$work/r" \
		"exec env SENTRY_URL=$url SENTRY_ORG=acme SENTRY_PROJECT=$project SENTRY_AUTH_TOKEN=$token $SLIPWAY"
	wait_title "$s" '─ Branches 1' 20 >/dev/null || echo "warning: the dashboard did not paint" >&2
	pid=$(tm display -p -t "$s" '#{pane_pid}')
	t0=$(now_ns)
	tm send-keys -t "$s" E
	first=$(wait_title "$s" '─ Sentry [0-9]' 30) || first=$t0
	all=$(wait_title "$s" "─ Sentry $ISSUES acme" 60) || { all=$t0; echo "warning: not all issues in 60 s" >&2; }
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	tm kill-session -t "$s"
	echo $((first - t0)) $((all - t0)) "${hwm:-0}"
}

# Whether the first page shows with one request answered: on the fake's
# "gated" project the pages after the first wait for a file, so a first
# page on screen before it exists came from one round trip alone.
one_round_trip() {
	local s=gated asked
	tm new-session -d -s "$s" -x "${SIZE%x*}" -y "${SIZE#*x}" -c "$work/r" \
		"exec env SENTRY_URL=$url SENTRY_ORG=acme SENTRY_PROJECT=gated-bench SENTRY_AUTH_TOKEN=$token $SLIPWAY"
	wait_title "$s" '─ Branches 1' 20 >/dev/null
	tm send-keys -t "$s" E
	if wait_title "$s" '─ Sentry 100… acme/gated-bench' 20 >/dev/null; then
		asked=$(grep -c 'gated-bench/issues/' "$work/fake.log")
		echo "yes: 100 issues on screen while the fake held page 2 ($asked requests asked)"
	else
		echo "NO: no first page while page 2 was held"
	fi
	touch "$work/fake.log.gated-bench.gate"
	tm kill-session -t "$s"
}

# ---- the rounds

echo "sentry.sh: $ISSUES issues, 100 a page, fake Sentry at 127.0.0.1; dashboard ${SIZE}; $PAIRS rounds"
echo "  binary: built $built (copied); $(curl --version | head -1 | cut -d' ' -f1,2); tmux $(tmux -V | cut -d' ' -f2)"
read -r _ _ hwm_warm < <(panel warm)
read -r _ pages < <(curl_all)
curl_first >/dev/null
echo "  warm-up done: curl read $pages pages"
echo "  first page in one round trip: $(one_round_trip)"
pf=() pa=() cf=() ca=() rf=() ra=() hw=()
for i in $(seq 1 "$PAIRS"); do
	read -r f a h < <(panel "$i")
	c1=$(curl_first)
	read -r c2 _ < <(curl_all)
	pf+=("$f") pa+=("$a") hw+=("$h") cf+=("$c1") ca+=("$c2")
	rf+=("$(ratio "$f" "$c1")") ra+=("$(ratio "$a" "$c2")")
	printf '  round %d: first page %6s ms (curl, one request: %6s ms); all %7s ms (curl loop: %7s ms), ratio %s; VmHWM %s MiB\n' \
		"$i" "$(ms "$f")" "$(ms "$c1")" "$(ms "$a")" "$(ms "$c2")" "$(ratio "$a" "$c2")" "$(awk -v k="$h" 'BEGIN {printf "%.1f", k/1024}')"
done
med() { printf '%s\n' "$@" | median; }
medr() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
max_hwm=$(printf '%s\n' "${hw[@]}" "$hwm_warm" | sort -n | tail -1)
echo "sentry.sh: medians: first page $(ms "$(med "${pf[@]}")") ms against one curl request $(ms "$(med "${cf[@]}")") ms (ratio $(medr "${rf[@]}"); target: one round trip)"
echo "sentry.sh: medians: all $ISSUES $(ms "$(med "${pa[@]}")") ms against curl's loop $(ms "$(med "${ca[@]}")") ms (ratio $(medr "${ra[@]}"); target: 1.2 or less)"
echo "sentry.sh: dashboard VmHWM at most $(awk -v k="$max_hwm" 'BEGIN {printf "%.1f", k/1024}') MiB (target: < 32)"
exit 0
