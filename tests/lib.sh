# Helpers for integration tests: sourced by tests/integration/*.sh.
# Each test case is a function run by t_run NAME; it fails through fail().
set -u
: "${SLIPWAY:?run through tests/run}"

T_DIR=$(mktemp -d "$SW_TEST_ROOT/$(basename "$0" .sh).XXXXXX")
T_FAILED=0

fail() {
	echo "  $*" >&2
	return 1
}

# t_run NAME: runs the function NAME in a subshell in a fresh directory.
t_run() {
	local name=$1 dir
	dir=$(mktemp -d "$T_DIR/$name.XXXX")
	export T_TMUX="sw-$name-$$"
	# Not in an if: errexit is ignored inside a condition, subshells included.
	# The ERR trap (inherited by functions through -E) names the command
	# that stopped the test, so a bare grep -q that fails says where.
	(cd "$dir" && set -eE && trap 't_failed_at "$LINENO" "$BASH_COMMAND"' ERR && "$name")
	local rc=$?
	# A failed test may leave a stage waiting on a file in its directory, or
	# a tmux server: end them, so the next tests start clean.
	pkill -f -- "$dir" 2>/dev/null
	tmux -L "$T_TMUX" kill-server 2>/dev/null
	if [ $rc -eq 0 ]; then
		echo "PASS: $name"
	else
		echo "FAIL: $name"
		T_FAILED=1
	fi
}

# t_failed_at LINE COMMAND: names the line of the test script that
# stopped, once (the trap fires again in each function the failure returns
# through).  A failure inside a helper of this file is named by the test's
# call of that helper, as the helper has said why.
t_failed_at() {
	[ -n "${T_SAID:-}" ] && return
	T_SAID=1
	local i=1 line=$1 what=$2
	while [ "${BASH_SOURCE[$i]##*/}" = lib.sh ] && [ $((i + 1)) -lt ${#BASH_SOURCE[@]} ]; do
		what="${FUNCNAME[$i]} failed"
		line=${BASH_LINENO[$((i))]}
		i=$((i + 1))
	done
	echo "  stopped at ${BASH_SOURCE[$i]##*/}:$line (in ${FUNCNAME[$i]}): $what" >&2
}

t_done() {
	exit $T_FAILED
}

# wait_for SECONDS COMMAND...: retries COMMAND until it succeeds; the
# seconds are a watchdog, not a delay.
wait_for() {
	local limit=$1
	shift
	local end=$((SECONDS + limit))
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || { echo "  timed out after ${limit}s waiting for: $*" >&2; return 1; }
		sleep 0.1
	done
}

# make_repo [DIR]: a git repository on main with the slipway.json read from stdin.
make_repo() {
	local dir=${1:-repo}
	git init -q -b main "$dir"
	cat >"$dir/slipway.json"
	git -C "$dir" add -A
	git -C "$dir" commit -q -m "Add the pipeline"
}

commit_file() {
	local path=$1 content=$2 msg=${3:-"Change $1"}
	mkdir -p "$(dirname "$path")"
	printf '%s\n' "$content" >"$path"
	git add -A
	git commit -q -m "$msg"
}

# json FILE EXPR: evaluates a Python expression on the JSON in FILE (as j).
json() {
	/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

run_json() {
	local id=$1
	echo "$(git rev-parse --git-common-dir)/slipway/runs/$id/run.json"
}

# run_status ID: the status of a run as run.json says.
run_status() {
	json "$(run_json "$1")" 'j["status"]'
}

# run_executor ID / guardian_of PID: a run's executor, and its parent.
run_executor() {
	json "$(run_json "$1")" 'j["executor_pid"]'
}

guardian_of() {
	ps -o ppid= -p "$1" | tr -d ' '
}

run_final() {
	case $(run_status "$1") in queued|running) return 1 ;; *) return 0 ;; esac
}

# exits CODE COMMAND...: COMMAND exits with CODE.
exits() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	expect_eq "$rc" "$want" "(exit code of $*)"
}

expect_eq() {
	[ "$1" = "$2" ] || fail "expected '$2', got '$1' ${3:-}"
}

expect_contains() {
	case $1 in *"$2"*) ;; *) fail "expected to find '$2' in: $1" ;; esac
}

# no_process MARKER: no live process has MARKER on its command line.
no_process() {
	! pgrep -f -- "$1" >/dev/null
}

# fake_sentry TOKEN: the fake Sentry (tests/integration/sentry_fake.py) on
# 127.0.0.1 for the whole script, accepting TOKEN, logging to FAKE_LOG;
# sets URL, and stops it when the script exits.
fake_sentry() {
	FAKE_LOG=$T_DIR/fake.log
	python3 "$SW_SRCDIR/tests/integration/sentry_fake.py" "$1" "$FAKE_LOG" >"$T_DIR/fake.port" 2>"$T_DIR/fake.err" &
	FAKE_PID=$!
	trap 'kill $FAKE_PID 2>/dev/null' EXIT
	wait_for 10 test -s "$T_DIR/fake.port" || { echo "FAIL: the fake Sentry did not start"; exit 1; }
	URL=http://127.0.0.1:$(head -1 "$T_DIR/fake.port")
}

# ---- the dashboard in tmux: one server per test (t_run names it and
# ends it), its window named dash ----

tmx() {
	tmux -L "$T_TMUX" "$@"
}

screen_has() {
	tmx capture-pane -p -t dash | grep -q -- "$1"
}

show_screen() {
	tmx capture-pane -p -t dash | sed 's/^/    | /' >&2
}

# wait_screen SECONDS PATTERN: the pane shows PATTERN within SECONDS; if
# not, the pane is shown and the test fails.
wait_screen() {
	wait_for "$1" screen_has "$2" || { show_screen; fail "no '$2' on screen"; }
}

no_screen() {
	! screen_has "$1" || { show_screen; fail "'$1' is still on screen"; }
}

# ---- the container engines (scripts/engine.sh, left running for the
# suite; .ci/run stops them) ----

# engines_up: both engines, both registries and the busybox image; fills
# HOSTS[podman] and HOSTS[docker] (declare -A HOSTS first).
engines_up() {
	local engine=$SW_SRCDIR/scripts/engine.sh install=()
	[ "$(id -u)" -eq 0 ] && install=(--install)
	timeout 600 "$engine" "${install[@]}" start >/dev/null || return 1
	eval "$("$engine" env)"
	HOSTS[podman]=$DOCKER_HOST
	[ -n "${SW_DOCKERD_HOST:-}" ] || { echo "  engine.sh gave no SW_DOCKERD_HOST" >&2; return 1; }
	HOSTS[docker]=$SW_DOCKERD_HOST
	[ -n "${REGISTRY_AUTH:-}" ] || { echo "  engine.sh gave no REGISTRY_AUTH" >&2; return 1; }
	timeout 300 "$engine" busybox >/dev/null
}
