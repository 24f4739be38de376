# Hardening: a branch cannot escape main's policy, one run per commit
# under a race, nothing outlives a run whatever is killed, a full disk,
# the executor's environment, odd names for what to run, hostile text in
# messages.
# timeout: 900
. "$SW_SRCDIR/tests/lib.sh"

# main lints strictly and gives out one secret; the branch `evil` names
# another main, asks for more secrets and drops the gate.
policy_repo() {
	make_repo r <<'EOF2'
{"version": 1, "secrets": ["TOKEN"],
 "stages": [{"name": "lint", "run": "printf 'a.py:1:1: E101 x\\n'", "parse": "flake8"}],
 "gates": {"lint_max": 0}}
EOF2
	cd r
	git checkout -q -b evil
	cat >slipway.json <<EOF2
{"version": 1, "main": "$1", "secrets": ["TOKEN", "DEPLOY_KEY"],
 "stages": [{"name": "lint", "run": "printf 'a.py:1:1: E101 x\\\\n'; echo \"key=\${DEPLOY_KEY:-none}\"", "parse": "flake8"}]}
EOF2
	git commit -q -am "Name another main"
}

expect_main_policy() {
	DEPLOY_KEY=deploy-key-value-9 TOKEN=token-value-8 exits 1 $SLIPWAY run evil --follow >out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["stages"][0]["reason"]')" "gate lint_max: 1 > 0 (limit from main's slipway.json)"
	expect_contains "$($SLIPWAY log 1)" "key=none"
	! grep -rq deploy-key-value-9 .git/slipway/runs/1
	expect_contains "$(json "$f" '" ".join(j["warnings"])')" "names \"$1\" as main; the policy (secrets, gates, retention) comes from main's"
}

branch_naming_a_missing_main_gets_mains_policy() {
	policy_repo no-such-branch
	expect_main_policy no-such-branch
}

branch_naming_itself_main_gets_mains_policy() {
	policy_repo evil
	expect_main_policy evil
}

# main is whatever git config slipway.main says, else what the default
# branch's own slipway.json names: never the tested commit.
main_comes_from_the_repository() {
	make_repo r <<'EOF2'
{"version": 1, "main": "trunk", "stages": [{"name": "a", "run": "true"}]}
EOF2
	cd r
	git checkout -q -b trunk
	cat >slipway.json <<'EOF2'
{"version": 1, "main": "trunk", "stages": [{"name": "a", "run": "true"}], "gates": {"lint_max": 0}}
EOF2
	git commit -q -am "trunk's gates"
	git checkout -q -b feature
	printf '{"version": 1, "stages": [{"name": "a", "run": "true"}]}\n' >slipway.json
	git commit -q -am "feature"
	exits 1 $SLIPWAY run --follow >/dev/null
	expect_eq "$(json "$(run_json 1)" 'j["stages"][0]["reason"]')" "gate lint_max: no lint measured (limit from trunk's slipway.json)"
	git config slipway.main main
	$SLIPWAY run --again --follow >/dev/null
	expect_eq "$(run_status 2)" passed
	expect_eq "$($SLIPWAY status --json | json /dev/stdin 'j["main"]')" main
}

# A gate's failure says whose limit it broke: main's slipway.json, or,
# while main has none, the tested commit's own.
gate_failure_names_where_its_limit_comes_from() {
	git init -q -b main r
	cd r
	git commit -q --allow-empty -m "Start"
	git checkout -q -b feature
	cat >slipway.json <<'EOF2'
{"version": 1, "stages": [{"name": "lint", "run": "printf 'a.py:1:1: E101 x\\n'", "parse": "flake8"}],
 "gates": {"lint_max": 0}}
EOF2
	git add slipway.json
	git commit -q -m "Lint strictly"
	exits 1 $SLIPWAY run --follow >/dev/null
	expect_eq "$(json "$(run_json 1)" 'j["stages"][0]["reason"]')" \
		"gate lint_max: 1 > 0 (limit from this commit's slipway.json)"
}

# check-config shows what runs of the checked-out branch get, from where,
# and what the branch's own file asks for in vain.
check_config_prints_the_policy_in_force() {
	policy_repo evil
	$SLIPWAY check-config >out
	expect_eq "$(sed 1d out)" "in force on evil (main: main)
  gate lint_max: 0 (from main's slipway.json)
  secret TOKEN (from main's slipway.json)
  retention: 200 runs (from main's slipway.json)
not used from this file: secret DEPLOY_KEY (main's slipway.json decides)"
	$SLIPWAY check-config slipway.json >out
	expect_eq "$(wc -l <out)" 1
	git checkout -q --orphan bare-main
	git rm -q --cached slipway.json
	git commit -q --allow-empty -m "No pipeline"
	git config slipway.main bare-main
	$SLIPWAY check-config >out
	expect_eq "$(sed 1d out)" "in force on bare-main (main: bare-main)
  gates: none (from the work tree's slipway.json)
  secrets: none (bare-main has no slipway.json)
  retention: 200 runs (default: bare-main has no slipway.json)
not used from this file: secret TOKEN, secret DEPLOY_KEY (bare-main has no slipway.json)"
}

# Two starts released at the same instant by a FIFO (opening it for
# writing wakes every reader blocked opening it): one run, ten times over.
simultaneous_starts_make_one_run() {
	make_repo r <<'EOF2'
{"version": 1, "max_parallel_runs": 20, "stages": [{"name": "a", "run": "sleep 1"}]}
EOF2
	cd r
	local i j
	for i in 1 2 3 4 5 6 7 8 9 10; do
		commit_file "f$i" "$i"
		rm -f ../go && mkfifo ../go
		for j in 1 2; do
			(exec 3<../go && exec $SLIPWAY run >"../out$i.$j" 2>&1) &
		done
		sleep 0.2
		exec 4>../go
		exec 4>&-
		wait
		local runs
		runs=$($SLIPWAY history --json | json /dev/stdin "len([r for r in j if r['commit'] == '$(git rev-parse HEAD)'])")
		expect_eq "$runs" 1 "(runs of trial $i)"
		grep -q 'already in progress' "../out$i.1" "../out$i.2"
	done
}

# The guardian killed first, then the executor: nobody is left to sweep
# the run's session but the next reader that finds the run dead.
killing_guardian_and_executor_leaves_nothing() {
	local marker="slipway-both-$$-$RANDOM"
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "long", "run": "sh -c 'sleep 300 # $marker' & sleep 301 # $marker"}]}
EOF2
	cd r
	$SLIPWAY run >/dev/null
	wait_for 20 pgrep -f "sleep 301 # $marker"
	local executor guardian
	executor=$(run_executor 1)
	guardian=$(guardian_of "$executor")
	expect_eq "$(ps -o comm= -p "$guardian")" slipway-guard
	kill -9 "$guardian"
	kill -9 "$executor"
	wait_for 10 sh -c "! kill -0 $executor 2>/dev/null"
	# Leftovers are there until someone reads the run.
	pgrep -f "sleep 30[01] # $marker" >/dev/null
	$SLIPWAY history >/dev/null
	expect_eq "$(run_status 1)" interrupted
	wait_for 10 no_process "$marker"
}

# A session id taken again by someone else is left alone.
reader_spares_a_reused_session() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "a", "run": "true"}]}
EOF2
	cd r
	$SLIPWAY run --follow >/dev/null
	local other="slipway-other-$$-$RANDOM"
	setsid sh -c "sleep 300 # $other" &
	local pid=$!
	wait_for 10 pgrep -f "$other"
	local sid
	sid=$(ps -o sid= -p "$(pgrep -f "sleep 300 # $other")" | tr -d ' ')
	# The record says this run was running in that session when it died.
	/usr/bin/python3 - "$(run_json 1)" "$sid" <<'EOF2'
import json, sys
p, sid = sys.argv[1], int(sys.argv[2])
j = json.load(open(p))
j["status"] = "running"; j["session"] = sid; j["finished_at"] = None
json.dump(j, open(p, "w"))
EOF2
	$SLIPWAY history >/dev/null
	expect_eq "$(run_status 1)" interrupted
	pgrep -f "$other" >/dev/null || fail "a process of another session was killed"
	kill "$pid" 2>/dev/null || true
	pkill -f "$other" || true
}

# .git/slipway on a small tmpfs of its own.
small_store() {
	mkdir -p .git/slipway
	mount -t tmpfs -o "size=$1" slipway-test .git/slipway || fail "cannot mount a tmpfs (the test needs root)"
	trap 'cd /; umount -l "'"$PWD"'/.git/slipway"' EXIT
}

full_disk_while_logging_fails_the_run() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "flood", "run": "head -c 8000000 /dev/zero | tr '\\0' 'x' | fold -w 100"},
  {"name": "after", "run": "echo never"},
  {"name": "cleanup", "run": "echo cleaned", "always": true}]}
EOF2
	cd r
	small_store 4m
	exits 1 $SLIPWAY run --follow >out 2>&1
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["status"]')" failed
	expect_eq "$(json "$f" 'j["stages"][0]["reason"]')" \
		"disk full: the stage's log could not be written (No space left on device)"
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['failed', 'skipped', 'passed']"
	expect_eq "$(json "$f" 'j["stages"][1]["reason"]')" "the disk is full"
	expect_contains "$(cat out)" "disk full"
	expect_contains "$(cat .git/slipway/runs/1/executor.log)" "disk full"
	[ ! -e .git/slipway/runs/1/reserve ]
}

full_disk_from_a_stage_keeps_the_outcome() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "fill", "run": "dd if=/dev/zero of=big bs=64k count=200 2>/dev/null; echo filled"},
  {"name": "next", "run": "echo next"},
  {"name": "last", "run": "echo last"}]}
EOF2
	cd r
	small_store 3m
	exits 1 $SLIPWAY run --follow >out 2>&1
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["status"]')" failed
	expect_contains "$(json "$f" 'j["warnings"]')" "disk full: "
	local states
	states=$(json "$f" '[s["status"] for s in j["stages"]]')
	case $states in *cancelled*|*running*|*pending*) fail "stages left unfinished: $states" ;; esac
	expect_eq "$(json "$f" 'j["stages"][-1]["reason"]')" "the disk is full"
	$SLIPWAY history 2>err >/dev/null
	expect_eq "$(cat err)" ""
}

start_on_a_full_disk_leaves_nothing() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "a", "run": "true"}]}
EOF2
	cd r
	small_store 2m
	$SLIPWAY run --follow >/dev/null
	dd if=/dev/zero of=.git/slipway/filler bs=64k 2>/dev/null || true
	commit_file x 1
	exits 2 $SLIPWAY run 2>err
	expect_contains "$(cat err)" "cannot create the run: No space left on device"
	expect_eq "$(ls .git/slipway/runs)" 1
	$SLIPWAY history 2>err >/dev/null
	expect_eq "$(cat err)" ""
}

# Tokens in the environment of `slipway run` that no policy gives the run
# are not readable from the executor's or the guardian's /proc/PID/environ.
executor_keeps_no_foreign_environment() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "peek", "run": "g=$(ps -o ppid= -p $PPID | tr -d ' '); tr '\\0' '\\n' </proc/$PPID/environ; tr '\\0' '\\n' </proc/$g/environ; ps -o comm= -p $PPID -p $g"}]}
EOF2
	cd r
	UNRELATED_TOKEN=not-for-stages-7 $SLIPWAY run --follow >/dev/null
	local log
	log=$($SLIPWAY log 1)
	expect_contains "$log" slipway-exec
	expect_contains "$log" slipway-guard
	case $log in *not-for-stages-7*) fail "the executor's environment leaks: $log" ;; esac
}

run_names_a_branch() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "a", "run": "true"}]}
EOF2
	cd r
	local first
	first=$(git rev-parse HEAD)
	commit_file x 1
	$SLIPWAY run HEAD --follow >/dev/null
	expect_eq "$(json "$(run_json 1)" 'j["branch"]')" main
	$SLIPWAY run "$(git rev-parse HEAD)" --again --follow >/dev/null
	expect_eq "$(json "$(run_json 2)" 'j["branch"]')" main
	exits 2 $SLIPWAY run "$first" 2>err
	expect_contains "$(cat err)" "is not the head of a branch"
}

empty_repository_says_so() {
	git init -q -b main r && cd r
	printf '{"version": 1, "stages": [{"name": "a", "run": "true"}]}\n' >slipway.json
	exits 2 $SLIPWAY run 2>err
	expect_contains "$(cat err)" "no commit yet"
}

hostile_names_are_neutralised_in_messages() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "a", "run": "true"}]}
EOF2
	cd r
	exits 2 $SLIPWAY run $'\e]0;owned\a\e[31mevil' 2>err
	! grep -q $'\e' err || fail "raw ESC on stderr: $(od -c err | head -3)"
	expect_contains "$(cat err)" '^[]0;owned^G^[[31mevil'
}

huge_configuration_files_are_refused() {
	exits 2 $SLIPWAY check-config /dev/zero 2>err
	expect_contains "$(cat err)" "larger than 16 MiB"
	git init -q -b main r && cd r
	head -c 17000000 /dev/zero | tr '\0' ' ' >slipway.json
	git add slipway.json && git commit -q -m huge
	rm slipway.json
	exits 2 $SLIPWAY run 2>err
	expect_contains "$(cat err)" "slipway.json: larger than 16 MiB"
}

t_run branch_naming_a_missing_main_gets_mains_policy
t_run branch_naming_itself_main_gets_mains_policy
t_run main_comes_from_the_repository
t_run gate_failure_names_where_its_limit_comes_from
t_run check_config_prints_the_policy_in_force
t_run simultaneous_starts_make_one_run
t_run killing_guardian_and_executor_leaves_nothing
t_run reader_spares_a_reused_session
t_run full_disk_while_logging_fails_the_run
t_run full_disk_from_a_stage_keeps_the_outcome
t_run start_on_a_full_disk_leaves_nothing
t_run executor_keeps_no_foreign_environment
t_run run_names_a_branch
t_run empty_repository_says_so
t_run hostile_names_are_neutralised_in_messages
t_run huge_configuration_files_are_refused
t_done
