# The pipeline engine on real git repositories: stages, gates, timeouts,
# cancel, surviving the terminal, kill -9 of the executor and of its
# guardian, secrets.
# timeout: 900
. "$SW_SRCDIR/tests/lib.sh"

passing_run() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "build", "run": "echo building $SLIPWAY_BRANCH; echo to-stderr >&2"},
  {"name": "test", "run": "test -f slipway.json && echo in-tree"}]}
EOF2
	cd r
	$SLIPWAY run --follow >out
	grep -q 'run 1 passed' out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["status"]')" passed
	expect_eq "$(json "$f" 'j["commit"]')" "$(git rev-parse HEAD)"
	expect_eq "$(json "$f" 'j["branch"]')" main
	expect_eq "$(json "$f" 'j["trigger"]')" manual
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['passed', 'passed']"
	json "$f" 'j["finished_at"]' | grep -Eq '^20[0-9-]{8}T[0-9:]{8}Z$'
	expect_eq "$($SLIPWAY log 1 build)" "$(printf 'building main\nto-stderr')"
	# work trees of passed runs are gone
	[ ! -e .git/slipway/work/1 ]
}

failing_stage_skips_the_rest() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "a", "run": "echo a"},
  {"name": "b", "run": "echo boom; exit 3"},
  {"name": "c", "run": "echo never"},
  {"name": "cleanup", "run": "echo cleaned", "always": true}]}
EOF2
	cd r
	exits 1 $SLIPWAY run --follow >out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['passed', 'failed', 'skipped', 'passed']"
	expect_eq "$(json "$f" 'j["stages"][1]["reason"]')" "exit code 3"
	expect_eq "$(json "$f" 'j["stages"][1]["exit_code"]')" 3
	expect_eq "$($SLIPWAY log 1)" boom
	expect_eq "$($SLIPWAY log 1 cleanup)" cleaned
	# a failed run keeps its work tree until gc
	[ -d .git/slipway/work/1 ]
	$SLIPWAY gc >/dev/null
	[ ! -e .git/slipway/work/1 ]
}

gate_failure_stops_later_stages() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "test", "run": "echo 'TOTAL     100     26    74.2%'", "parse": "coverage"},
  {"name": "image", "run": "echo built"},
  {"name": "cleanup", "run": "echo cleaned", "always": true}],
 "gates": {"coverage_min": 80}}
EOF2
	cd r
	exits 1 $SLIPWAY run --follow >out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["stages"][0]["reason"]')" "gate coverage_min: 74.2 < 80 (limit from main's slipway.json)"
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['failed', 'skipped', 'passed']"
	expect_eq "$(json "$f" 'j["metrics"]["coverage"]["percent"]')" 74.2
	expect_eq "$(json "$f" '(j["gates"][0]["name"], j["gates"][0]["passed"])')" "('coverage_min', False)"
}

gate_without_measure_fails() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "test", "run": "echo no numbers here", "parse": "coverage"}],
 "gates": {"coverage_min": 80}}
EOF2
	cd r
	exits 1 $SLIPWAY run --follow >out
	expect_eq "$(json "$(run_json 1)" 'j["stages"][0]["reason"]')" "gate coverage_min: no coverage measured (limit from main's slipway.json)"
}

lint_findings_are_counted() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "lint", "run": "printf 'app/a.py:1:1: F401 unused import\\napp/a.py:3:80: E501 line too long\\napp/b.py:2:1: F401 unused\\n'", "parse": "flake8"}],
 "gates": {"lint_max": 0}}
EOF2
	cd r
	exits 1 $SLIPWAY run --follow >out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["stages"][0]["reason"]')" "gate lint_max: 3 > 0 (limit from main's slipway.json)"
	expect_eq "$(json "$f" 'j["metrics"]["lint"]["by_code"]')" "{'E501': 1, 'F401': 2}"
	expect_eq "$(json "$f" 'j["metrics"]["lint"]["by_file"]["app/a.py"]')" 2
}

timeout_ends_the_whole_group() {
	local marker="slipway-timeout-$$-$RANDOM"
	make_repo r <<EOF2
{"version": 1, "stages": [
  {"name": "slow", "run": "sh -c 'sleep 300; echo $marker' & sleep 301 # $marker", "timeout": 1},
  {"name": "stubborn", "run": "trap '' TERM; sleep 302 # $marker", "timeout": 1, "always": true},
  {"name": "silent", "run": "exec >/dev/null 2>&1; sleep 303 # $marker", "timeout": 1, "always": true}]}
EOF2
	cd r
	exits 1 $SLIPWAY run --follow >out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["stages"][0]["reason"]')" "timed out after 1 s"
	expect_eq "$(json "$f" 'j["stages"][1]["reason"]')" "timed out after 1 s"
	expect_eq "$(json "$f" 'j["stages"][2]["reason"]')" "timed out after 1 s"
	no_process "$marker"
}

cancel_stops_the_run() {
	local marker="slipway-cancel-$$-$RANDOM"
	make_repo r <<EOF2
{"version": 1, "stages": [
  {"name": "long", "run": "sleep 300 # $marker"},
  {"name": "after", "run": "echo never"},
  {"name": "cleanup", "run": "echo cleaned", "always": true}]}
EOF2
	cd r
	local id
	id=$($SLIPWAY run)
	expect_eq "$id" 1
	wait_for 20 pgrep -f "$marker"
	$SLIPWAY cancel 1 | grep -q 'run 1 cancelled'
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["status"]')" cancelled
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['cancelled', 'cancelled', 'passed']"
	no_process "$marker"
	exits 1 $SLIPWAY cancel 1 2>err
	grep -q 'already ended (cancelled)' err
}

run_survives_the_terminal_hangup() {
	make_repo r <<EOF2
{"version": 1, "stages": [
  {"name": "wait", "run": "while [ ! -f $PWD/go ]; do sleep 0.05; done; echo released"}]}
EOF2
	cd r
	tmux -L "$T_TMUX" new-session -d -s follow "$SLIPWAY run --follow"
	wait_for 20 test -f "$(run_json 1)"
	wait_for 20 sh -c "grep -q '\"running\"' $(run_json 1)"
	# killing the server hangs up the terminal the follower ran in
	tmux -L "$T_TMUX" kill-server
	touch ../go
	wait_for 20 run_final 1
	expect_eq "$(run_status 1)" passed
	expect_eq "$($SLIPWAY log 1)" released
}

# kill_executor_mid_stage MARKER <slipway.json: starts a run whose stage
# starts "sleep 300 # MARKER", kills its executor -9 once that is up and
# returns when no process with MARKER is left.
kill_executor_mid_stage() {
	make_repo r
	cd r
	$SLIPWAY run >/dev/null
	wait_for 20 pgrep -f "sleep 300 # $1"
	kill -9 "$(json "$(run_json 1)" 'j["executor_pid"]')"
	wait_for 20 no_process "$1"
}

killed_executor_reads_interrupted() {
	local marker="slipway-kill9-$$-$RANDOM"
	kill_executor_mid_stage "$marker" <<EOF2
{"version": 1, "stages": [{"name": "long", "run": "sh -c 'sleep 300 # $marker' & sleep 301 # $marker"}]}
EOF2
	$SLIPWAY history --json >h
	expect_eq "$(json h 'j[0]["status"]')" interrupted
	expect_eq "$(json h 'j[0]["stages"][0]["status"]')" cancelled
	expect_eq "$(run_status 1)" interrupted
	# Its parent says how it ended, where the run's diagnostics are.
	wait_for 10 grep -q "the executor of run 1 (pid [0-9]*) was killed by signal 9" .git/slipway/runs/1/executor.log
}

# The guardian only watches: killed, it takes nothing down with it.
killed_guardian_leaves_the_run_alone() {
	make_repo r <<EOF2
{"version": 1, "stages": [
  {"name": "wait", "run": "while [ ! -f $PWD/go ]; do sleep 0.05; done; echo released"},
  {"name": "after", "run": "echo after"}]}
EOF2
	cd r
	$SLIPWAY run >/dev/null
	wait_for 20 sh -c "grep -q '\"running\"' $(run_json 1)"
	local executor guardian
	executor=$(run_executor 1)
	guardian=$(guardian_of "$executor")
	expect_eq "$(ps -o comm= -p "$executor")" slipway-exec
	expect_eq "$(ps -o comm= -p "$guardian")" slipway-guard
	kill -9 "$guardian"
	touch ../go
	wait_for 20 run_final 1
	expect_eq "$(run_status 1)" passed
	expect_eq "$($SLIPWAY log 1 after)" after
}

# A process a stage moved to a group of its own (setpgid, or the python
# fails and so does the test) still ends with the run when the executor is
# killed: the guardian ends the run's whole session.
killed_executor_ends_the_session() {
	local marker="slipway-session-$$-$RANDOM"
	kill_executor_mid_stage "$marker" <<EOF2
{"version": 1, "stages": [{"name": "long", "run": "/usr/bin/python3 -c 'import os; os.setpgid(0, 0); os.execv(\"/bin/sh\", [\"sh\", \"-c\", \"sleep 300 # $marker\"])' & sleep 301 # $marker"}]}
EOF2
	$SLIPWAY history --json >h
	expect_eq "$(json h 'j[0]["status"]')" interrupted
}

# A stage's shell that cannot start (its directory is gone) fails with why.
stage_that_cannot_start_says_why() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "wreck", "run": "rm -rf \"$PWD\""},
  {"name": "next", "run": "echo never"},
  {"name": "cleanup", "run": "echo cleaned", "always": true}]}
EOF2
	cd r
	exits 1 $SLIPWAY run --follow >/dev/null
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['passed', 'failed', 'failed']"
	expect_eq "$(json "$f" 'j["stages"][1]["reason"]')" "cannot start the stage: No such file or directory"
	$SLIPWAY log 1 next | grep -q '^slipway: cannot start /bin/sh in .*: No such file or directory$'
}

# What a stage leaves running in its group ends with the stage.
background_processes_end_with_their_stage() {
	local marker="slipway-bg-$$-$RANDOM"
	make_repo r <<EOF2
{"version": 1, "stages": [
  {"name": "leaves", "run": "sh -c 'sleep 300 # $marker' >/dev/null 2>&1 & echo left"},
  {"name": "after", "run": "echo after"}]}
EOF2
	cd r
	$SLIPWAY run --follow >/dev/null
	expect_eq "$(run_status 1)" passed
	expect_eq "$($SLIPWAY log 1 after)" after
	wait_for 20 no_process "$marker"
}

# A process that left the run's session (setsid) is out of its reach; if it
# keeps the stage's output open, the stage still ends, with a warning.
output_kept_open_does_not_hold_the_run() {
	local marker="slipway-orphan-$$-$RANDOM"
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "leaves", "run": "setsid sh -c 'touch ../away; sleep 300 # $marker' & while [ ! -f ../away ]; do sleep 0.01; done; echo done"}]}
EOF2
	cd r
	$SLIPWAY run >/dev/null
	wait_for 20 run_final 1
	pkill -f "$marker"
	expect_eq "$(run_status 1)" passed
	expect_eq "$($SLIPWAY log 1)" done
	json "$(run_json 1)" 'j["warnings"][0]' | grep -q "^stage leaves: a process outside the stage's group kept its output open"
}

# A parent that ignores SIGCHLD passes that on; the run must still see its
# stages' exit codes and end.
run_started_with_sigchld_ignored() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "a", "run": "echo a; exit 3"}, {"name": "b", "run": "echo b", "always": true}]}
EOF2
	cd r
	exits 1 timeout 60 /usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], [sys.argv[1], "run", "--follow"])' "$SLIPWAY" >out
	grep -q '✗ a failed (.*): exit code 3' out
	expect_eq "$(json "$(run_json 1)" '[(s["status"], s["exit_code"]) for s in j["stages"]]')" "[('failed', 3), ('passed', 0)]"
}

gigabyte_of_output_is_logged_whole() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "loud", "run": "yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 | head -c 1073741824"}]}
EOF2
	cd r
	$SLIPWAY run --follow >/dev/null
	local log=.git/slipway/runs/1/logs/loud.log
	expect_eq "$(stat -c %s $log)" 1073741824
	expect_eq "$(sha256sum <$log | cut -d' ' -f1)" \
		"$(yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 | head -c 1073741824 | sha256sum | cut -d' ' -f1)"
	rm -f $log
}

long_lines_are_split() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "wide", "run": "head -c 200000 /dev/zero | tr '\\0' x; echo"}]}
EOF2
	cd r
	$SLIPWAY run --follow >/dev/null
	local log=.git/slipway/runs/1/logs/wide.log
	expect_eq "$(wc -l <$log)" 4
	expect_eq "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' $log)" 65536
}

# A line cut at 64 KiB is not cut through a secret, which would unmask it.
secret_across_a_cut_is_masked() {
	make_repo r <<'EOF2'
{"version": 1, "secrets": ["TOKEN_A"],
 "stages": [{"name": "wide", "run": "head -c 65530 /dev/zero | tr '\\0' x; echo \"$TOKEN_A\"; echo \"$TOKEN_A\""}]}
EOF2
	cd r
	TOKEN_A=alpha-secret-1 $SLIPWAY run --follow >/dev/null
	local log=.git/slipway/runs/1/logs/wide.log
	! grep -q 'alpha\|secret-1' $log
	expect_eq "$(grep -o '\*\*\*' $log | wc -l)" 2
	expect_eq "$(tr -d 'x*\n' <$log)" ""
}

branch_moving_during_a_run() {
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "show", "run": "while [ ! -f $PWD/go ]; do sleep 0.05; done; cat file.txt"}]}
EOF2
	cd r
	commit_file file.txt old
	local old
	old=$(git rev-parse HEAD)
	$SLIPWAY run >/dev/null
	wait_for 20 sh -c "grep -q '\"running\"' $(run_json 1)"
	commit_file file.txt new
	echo dirty >file.txt
	touch ../go
	wait_for 20 run_final 1
	expect_eq "$($SLIPWAY log 1)" old
	expect_eq "$(json "$(run_json 1)" 'j["commit"]')" "$old"
}

uncommitted_changes_do_not_leak() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "show", "run": "cat file.txt; ls"}]}
EOF2
	cd r
	commit_file file.txt committed
	echo uncommitted >file.txt
	echo new >untracked.txt
	$SLIPWAY run --follow >/dev/null
	expect_eq "$($SLIPWAY log 1)" "$(printf 'committed\nfile.txt\nslipway.json')"
}

one_run_per_commit_and_queue() {
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "wait", "run": "while [ ! -f $PWD/go ]; do sleep 0.05; done"}]}
EOF2
	cd r
	expect_eq "$($SLIPWAY run 2>/dev/null)" 1
	expect_eq "$($SLIPWAY run 2>err)" 1
	grep -q 'already in progress' err
	expect_eq "$($SLIPWAY run --again 2>/dev/null)" 2
	wait_for 20 sh -c "grep -q '\"running\"' $(run_json 1)"
	# one slot by default: the second run waits
	expect_eq "$(run_status 2)" queued
	touch ../go
	wait_for 30 run_final 2
	expect_eq "$(run_status 1)" passed
	expect_eq "$(run_status 2)" passed
}

secrets_come_from_main_and_are_masked() {
	make_repo r <<'EOF2'
{"version": 1, "secrets": ["TOKEN_A", "TOKEN_C"],
 "stages": [{"name": "show", "run": "echo \"a=$TOKEN_A b=$TOKEN_B\""}]}
EOF2
	cd r
	git checkout -q -b feature
	cat >slipway.json <<'EOF2'
{"version": 1, "secrets": ["TOKEN_A", "TOKEN_B", "TOKEN_C"],
 "stages": [{"name": "show", "run": "echo \"a=$TOKEN_A b=$TOKEN_B\""}]}
EOF2
	git commit -q -am "Ask for more secrets"
	TOKEN_A=alpha-secret-1 TOKEN_B=beta-secret-2 $SLIPWAY run --follow >out
	expect_eq "$($SLIPWAY log 1)" "a=*** b="
	! grep -rq 'alpha-secret-1' .git/slipway/runs/1
	! grep -q 'alpha-secret-1' out
	expect_eq "$(json "$(run_json 1)" 'j["missing_secrets"]')" "['TOKEN_C']"
}

secrets_file_is_used_and_must_be_private() {
	make_repo r <<'EOF2'
{"version": 1, "secrets": ["TOKEN_F"], "stages": [{"name": "show", "run": "echo \"f=$TOKEN_F\""}]}
EOF2
	cd r
	export SLIPWAY_SECRETS_FILE=$PWD/../secrets
	printf 'TOKEN_F=from-file-3\n' >"$SLIPWAY_SECRETS_FILE"
	chmod 644 "$SLIPWAY_SECRETS_FILE"
	exits 2 $SLIPWAY run 2>err
	grep -q 'chmod 600' err
	chmod 600 "$SLIPWAY_SECRETS_FILE"
	$SLIPWAY run --follow >/dev/null
	expect_eq "$($SLIPWAY log 1)" "f=***"
}

bad_configuration_names_the_place() {
	git init -q -b main r && cd r
	printf '{\n  "version": 1,\n  "stages": [\n    {"name": "a", "run": "true",}\n  ]\n}\n' >slipway.json
	git add -A && git commit -q -m bad
	exits 2 $SLIPWAY run 2>err
	grep -Eq "^slipway: [0-9a-f]{7}:slipway.json:4:[0-9]+: syntax error" err
	printf '{"version": 1, "stages": [{"name": "a", "run": "true"}, {"name": "b", "run": "true", "brnaches": ["x"]}, {"name": "c", "run": "x", "timeout": "ten"}]}' >slipway.json
	exits 2 $SLIPWAY check-config 2>err
	grep -q 'stages\[1\]: unknown key "brnaches" (did you mean "branches"?)' err
	printf '{"version": 1, "stages": [{"name": "c", "run": "x", "timeout": "ten"}]}' >slipway.json
	exits 2 $SLIPWAY check-config 2>err
	grep -q 'stages\[0\].timeout: expected a number, got "ten"' err
}

branches_limit_stages() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "test", "run": "echo test"},
  {"name": "image", "run": "echo image", "branches": ["development", "release/*"]}]}
EOF2
	cd r
	$SLIPWAY run --follow >/dev/null
	expect_eq "$(json "$(run_json 1)" '[s["status"] for s in j["stages"]]')" "['passed', 'skipped']"
	git checkout -q -b release/1.0
	commit_file v 1
	$SLIPWAY run --follow >/dev/null
	expect_eq "$(json "$(run_json 2)" '[s["status"] for s in j["stages"]]')" "['passed', 'passed']"
}

stage_selection() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "setup", "run": "true"}, {"name": "lint", "run": "true"}, {"name": "test", "run": "true"}]}
EOF2
	cd r
	$SLIPWAY run --stage lint --follow >../out
	expect_eq "$(json "$(run_json 1)" '[s["status"] for s in j["stages"]]')" "['passed', 'passed', 'skipped']"
	# What it passed is not the pipeline: every place a run's status is
	# shown says so, and it is no green run of main.
	expect_eq "$(json "$(run_json 1)" '(j["status"], j["partial"], j["only_stage"])')" "('passed', True, 'lint')"
	expect_eq "$(tail -1 ../out)" "run 1 passed (lint only)"
	expect_contains "$($SLIPWAY status)" "#1 passed (lint only)"
	expect_eq "$($SLIPWAY status --json | json /dev/stdin 'j["branches"][0]["last_run"]')" \
		"{'id': 1, 'status': 'passed', 'partial': True}"
	expect_contains "$($SLIPWAY history)" "#1     passed (lint only)"
	expect_eq "$($SLIPWAY history --json | json /dev/stdin '(j[0]["partial"], j[0]["only_stage"])')" "(True, 'lint')"
	$SLIPWAY run --again --follow >/dev/null
	expect_eq "$($SLIPWAY history --json | json /dev/stdin '[(r["id"], r["partial"]) for r in j]')" "[(2, False), (1, True)]"
	expect_contains "$($SLIPWAY history)" "#2     passed "
	exits 2 $SLIPWAY run --stage lnit 2>err
	grep -q 'did you mean "lint"' err
}

status_and_history_json() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "a", "run": "true"}]}
EOF2
	cd r
	git clone -q --bare . ../origin.git
	git remote add origin ../origin.git
	git fetch -q origin
	git branch -q -u origin/main
	git checkout -q -b feature
	commit_file f "x" "Feature work"
	$SLIPWAY run --follow >/dev/null
	$SLIPWAY status --json >s
	expect_eq "$(json s '(j["main"], j["integration"])')" "('main', 'development')"
	expect_eq "$(json s '[b["name"] for b in j["branches"]]')" "['main', 'feature', 'origin/main']"
	expect_eq "$(json s '[(b["ahead"], b["behind"]) for b in j["branches"]]')" "[(0, 0), (1, 0), (0, 0)]"
	expect_eq "$(json s 'j["branches"][1]["last_run"]')" "{'id': 1, 'status': 'passed', 'partial': False}"
	expect_eq "$(json s 'j["branches"][0]["last_run"]')" None
	expect_eq "$(json s 'j["branches"][0]["upstream"]')" origin/main
	expect_eq "$(json s 'j["branches"][2]["remote"]')" True
	expect_eq "$(json s 'j["branches"][1]["last_commit"]["subject"]')" "Feature work"
	git checkout -q main
	$SLIPWAY run --follow >/dev/null
	$SLIPWAY history --json >h
	expect_eq "$(json h '[r["id"] for r in j]')" "[2, 1]"
	$SLIPWAY history --json --branch feature >h
	expect_eq "$(json h '[r["id"] for r in j]')" "[1]"
	expect_eq "$($SLIPWAY history --limit 1 | wc -l)" 1
}

log_neutralises_control_sequences_on_a_terminal() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "evil", "run": "printf 'a\\033]0;pwned\\007b\\033[2Jc\\n'"}]}
EOF2
	cd r
	$SLIPWAY run --follow >/dev/null
	$SLIPWAY log 1 --raw | grep -q $'\033\\]0;pwned'
	$SLIPWAY log 1 | grep -q $'\033'
	script -qec "$SLIPWAY log 1" /dev/null >tty
	grep -q 'a^\[\]0;pwned^Gb^\[\[2Jc' tty
	! grep -q $'\033' tty
}

retention_keeps_heads() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "a", "run": "true"}], "retention": {"runs": 2}}
EOF2
	cd r
	for i in 1 2 3 4; do
		commit_file n "$i"
		$SLIPWAY run --follow >/dev/null
		[ $i -ne 1 ] || git branch old
	done
	$SLIPWAY gc | grep -q 'removed'
	ls .git/slipway/runs | grep -v '^\.' | sort -n | tr '\n' ' ' >left
	# run 1 is the last run of branch "old"'s head, run 4 of main's
	expect_eq "$(cat left)" "1 4 "
}

ctrl_c_stops_following_not_the_run() {
	make_repo r <<EOF2
{"version": 1, "stages": [
  {"name": "wait", "run": "while [ ! -f $PWD/go ]; do sleep 0.05; done; echo released"}]}
EOF2
	cd r
	tmux -L "$T_TMUX" new-session -d -x 100 -y 20 -s follow \
		"$SLIPWAY run --follow 2>err; echo \$? >code; sleep 60"
	wait_for 20 sh -c "grep -q '\"running\"' $(run_json 1)"
	tmux -L "$T_TMUX" send-keys -t follow C-c
	wait_for 20 test -s code
	tmux -L "$T_TMUX" kill-server
	expect_eq "$(cat code)" 130
	grep -q 'run 1 goes on' err
	expect_eq "$(run_status 1)" running
	touch ../go
	wait_for 20 run_final 1
	expect_eq "$(run_status 1)" passed
}

parallel_limit_lets_runs_overlap() {
	make_repo r <<EOF2
{"version": 1, "max_parallel_runs": 2, "stages": [
  {"name": "wait", "run": "touch $PWD/started-\$SLIPWAY_RUN; while [ ! -f $PWD/go ]; do sleep 0.05; done"}]}
EOF2
	cd r
	$SLIPWAY run >/dev/null
	git checkout -q -b other
	commit_file f x
	$SLIPWAY run >/dev/null
	commit_file f y
	$SLIPWAY run >/dev/null
	# two slots: runs 1 and 2 run together, run 3 waits
	wait_for 20 test -f ../started-1
	wait_for 20 test -f ../started-2
	expect_eq "$(run_status 3)" queued
	touch ../go
	wait_for 30 run_final 3
	expect_eq "$(run_status 3)" passed
}

t_run passing_run
t_run failing_stage_skips_the_rest
t_run gate_failure_stops_later_stages
t_run gate_without_measure_fails
t_run lint_findings_are_counted
t_run timeout_ends_the_whole_group
t_run cancel_stops_the_run
t_run run_survives_the_terminal_hangup
t_run killed_executor_reads_interrupted
t_run killed_guardian_leaves_the_run_alone
t_run killed_executor_ends_the_session
t_run stage_that_cannot_start_says_why
t_run background_processes_end_with_their_stage
t_run output_kept_open_does_not_hold_the_run
t_run run_started_with_sigchld_ignored
t_run gigabyte_of_output_is_logged_whole
t_run long_lines_are_split
t_run secret_across_a_cut_is_masked
t_run branch_moving_during_a_run
t_run uncommitted_changes_do_not_leak
t_run one_run_per_commit_and_queue
t_run secrets_come_from_main_and_are_masked
t_run secrets_file_is_used_and_must_be_private
t_run bad_configuration_names_the_place
t_run branches_limit_stages
t_run stage_selection
t_run status_and_history_json
t_run log_neutralises_control_sequences_on_a_terminal
t_run retention_keeps_heads
t_run ctrl_c_stops_following_not_the_run
t_run parallel_limit_lets_runs_overlap
t_done
