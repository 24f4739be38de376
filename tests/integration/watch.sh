# slipway watch on real repositories with a bare remote: a moved head gets
# a run, the integration branch is merged once proved (auto_merge), the
# remote's moves are fetched, one watcher per repository, a watcher killed
# -9 and started again carries on, SIGHUP and SIGTERM are answered.
# Watchers started here are stopped by their pid whatever the outcome.
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"
. "$SW_SRCDIR/tests/deploy_site.sh"

# project [WATCH-JSON]: a bare origin.git and a repository r on main with
# the given "watch" section (default: every branch, no fetch, auto_merge),
# development one commit ahead; main checked out; ends inside r.
project() {
	local watch=${1:-'{"fetch_interval": 0, "auto_merge": true}'}
	git init -q --bare origin.git
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "test", "run": "test ! -e broken"}],
 "watch": $watch}
EOF2
	cd r
	git remote add origin "file://$(cd .. && pwd)/origin.git"
	git push -q origin main
	git branch development
}

sha() { git rev-parse "$1"; }
# on BRANCH FILE: a commit of FILE alone on BRANCH, main checked out again.
on() {
	git checkout -q "$1"
	printf '%s\n' "$2" >"$2"
	git add "$2"
	git commit -q -m "Add $2"
	git checkout -q main
}
runs() { $SLIPWAY history | grep -c '^#' || true; }
run_status_of() { json "$(run_json "$1")" 'j["status"]'; }
finished() { case $(run_status_of "$1") in passed | failed | cancelled | interrupted) return 0 ;; esac; return 1; }

WATCHERS=()
# watcher ARGS...: slipway watch in the background, its log in watch.log;
# returns once it has said it watches.
watcher() {
	$SLIPWAY watch "$@" >../watch.log 2>../watch.err &
	WATCHERS+=($!)
	# Each test runs in a subshell of its own, which the trap must be set in.
	trap stop_watchers EXIT
	wait_for 20 grep -q "watching " ../watch.log
}
stop_watchers() {
	local p
	for p in "${WATCHERS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	return 0
}

once_runs_a_moved_head_then_merges_it() {
	project
	$SLIPWAY watch --once >out
	grep -q "start  watching $PWD (pid [0-9]*): heads as they are now are taken as seen$" out
	expect_eq "$(runs)" 0 "(heads as they were are not run)"
	on development feature.txt
	local head
	head=$(sha development)
	$SLIPWAY watch --once >out
	grep -q "run    development@${head:0:7} moved: run #1 started$" out || fail "$(cat out)"
	expect_eq "$(json "$(run_json 1)" '(j["branch"], j["commit"], j["trigger"])')" "('development', '$head', 'watch')"
	wait_for 30 finished 1
	$SLIPWAY watch --once >out
	grep -q "merge  merged development@${head:0:7} into main (fast-forward, proved by run #1), pushed$" out ||
		fail "$(cat out)"
	expect_eq "$(sha main)" "$head"
	expect_eq "$(git -C ../origin.git rev-parse main)" "$head"
	# nothing moved since: a pass does nothing and says nothing of it
	$SLIPWAY watch --once >out
	expect_eq "$(grep -vc ' start \| stop ' out || true)" 0 "($(cat out))"
	expect_eq "$(runs)" 1
}

# A failed run is not merged, and its head's failure is said once.
failed_run_is_not_merged() {
	project
	$SLIPWAY watch --once >/dev/null
	on development broken
	local old
	old=$(sha main)
	$SLIPWAY watch --once >/dev/null
	wait_for 30 finished 1
	expect_eq "$(run_status_of 1)" failed
	$SLIPWAY watch --once >out
	grep -q "skip   development is not merged: development@[0-9a-f]\{7\} has no passed run; last run #1 failed at stage test" out ||
		fail "$(cat out)"
	expect_eq "$(sha main)" "$old"
}

# The daemon: a commit is seen through inotify, run, merged; JSON lines;
# status says a watcher runs; SIGHUP; SIGTERM ends it cleanly.
daemon_runs_and_merges_what_moves() {
	project
	watcher --json
	json /dev/stdin 'j["event"]' <<<"$(head -1 ../watch.log)" | grep -qx start
	$SLIPWAY status >st
	grep -q "^watch: running (pid ${WATCHERS[0]}); last, .* ago: watching " st || fail "$(cat st)"
	expect_eq "$($SLIPWAY status --json | json /dev/stdin '(j["watch"]["running"], j["watch"]["pid"])')" "(True, ${WATCHERS[0]})"
	on development feature.txt
	local head
	head=$(sha development)
	wait_for 20 grep -q '"event":"run"' ../watch.log
	wait_for 30 grep -q '"event":"merge"' ../watch.log
	expect_eq "$(sha main)" "$head"
	grep '"event":"run"' ../watch.log | json /dev/stdin '(j["branch"], j["commit"], j["id"])' | grep -qx "('development', '$head', 1)"
	# a new branch in a new directory under refs/heads
	git branch feature/x development
	on feature/x x.txt
	wait_for 20 grep -q '"branch":"feature/x"' ../watch.log
	# the dashboard says a watcher runs, and what it did last
	printf '\n' >../script
	$SLIPWAY --script ../script --size 160x24 --dump ../screen
	grep -q "Branches [0-9]* · watch: feature/x@[0-9a-f]\{7\} moved: run #[0-9]* started" ../screen ||
		{ sed 's/^/    | /' ../screen >&2; fail "no watcher in the Branches title"; }
	kill -HUP "${WATCHERS[0]}"
	wait_for 10 grep -q "SIGHUP: main's configuration is read again" ../watch.log
	kill -TERM "${WATCHERS[0]}"
	local rc=0
	wait "${WATCHERS[0]}" || rc=$?
	expect_eq "$rc" 0
	tail -1 ../watch.log | json /dev/stdin '(j["event"], j["message"])' | grep -qx "('stop', 'stopped')"
	$SLIPWAY status | grep -q "^watch: not running; last, .* ago: stopped$"
}

# One watcher per repository, and a killed one leaves no stuck lock: the
# next carries on from the heads the last one saw.
one_watcher_and_kill_9() {
	project
	watcher
	exits 1 $SLIPWAY watch --once 2>err
	expect_eq "$(cat err)" "slipway: another watcher is running in this repository (pid ${WATCHERS[0]})"
	kill -9 "${WATCHERS[0]}"
	wait "${WATCHERS[0]}" 2>/dev/null || true
	on development while-down.txt
	local head
	head=$(sha development)
	$SLIPWAY watch --once >out
	grep -q "watching $PWD (pid [0-9]*)$" out || fail "not resumed: $(cat out)"
	grep -q "development@${head:0:7} moved: run #1 started" out || fail "the commit made while it was down is not run: $(cat out)"
}

# Two started at the same instant (a barrier, not luck): one wins, the
# other says which pid holds the repository and exits 1.
two_watchers_at_once() {
	project
	local p1 p2 rc1=0 rc2=0
	# Both wait for one file, then start within a poll of each other.
	(until [ -e ../go ]; do sleep 0.01; done; exec $SLIPWAY watch >../w1.log 2>../w1.err) &
	p1=$!
	(until [ -e ../go ]; do sleep 0.01; done; exec $SLIPWAY watch >../w2.log 2>../w2.err) &
	p2=$!
	WATCHERS+=("$p1" "$p2")
	trap stop_watchers EXIT
	touch ../go
	wait_for 20 sh -c 'grep -q "watching " ../w1.log || grep -q "watching " ../w2.log'
	wait_for 20 sh -c 'test -s ../w1.err || test -s ../w2.err'
	local loser=$p1 winner=$p2 err=../w1.err
	[ -s ../w1.err ] || { loser=$p2 winner=$p1 err=../w2.err; }
	grep -qx "slipway: another watcher is running in this repository (pid $winner)" $err || fail "$(cat $err)"
	wait "$loser" || rc1=$?
	expect_eq "$rc1" 1 "(the refused one's exit code)"
	kill -0 "$winner" || fail "the winner does not run"
	kill "$winner"
	wait "$winner" || rc2=$?
	expect_eq "$rc2" 0 "(the stopped one's exit code)"
}

# What moved on the remote: fetched, the local branch fast-forwarded, run;
# a branch new there is made here.
fetch_follows_the_remote() {
	project '{"fetch_interval": 30}'
	git push -q origin development
	$SLIPWAY watch --once >/dev/null
	git clone -q ../origin.git ../other 2>/dev/null
	(cd ../other && git checkout -q development && commit_file remote.txt "from elsewhere" &&
		git checkout -q -b topic && commit_file topic.txt "topic" && git push -q origin development topic)
	local dev topic
	dev=$(git -C ../other rev-parse development) topic=$(git -C ../other rev-parse topic)
	$SLIPWAY watch --once >out
	grep -q "fetch  development moved on origin: local development fast-forwarded to ${dev:0:7}$" out || fail "$(cat out)"
	grep -q "fetch  topic is new on origin: local topic made at ${topic:0:7}$" out || fail "$(cat out)"
	expect_eq "$(sha development) $(sha topic)" "$dev $topic"
	grep -q "development@${dev:0:7} moved: run #[0-9]* started" out
	grep -q "topic@${topic:0:7} moved: run #[0-9]* started" out
	# main checked out here and moved there: left, and said so
	(cd ../other && git checkout -q main && commit_file m.txt m && git push -q origin main)
	$SLIPWAY watch --once >out
	grep -q "skip   main moved on origin to [0-9a-f]\{7\}, but it is checked out here: not moved (git pull brings it)$" out ||
		fail "$(cat out)"
	# a remote that cannot be reached is said, the local rules go on
	git remote set-url origin "$(cd .. && pwd)/gone.git"
	$SLIPWAY watch --once >out
	grep -q "error  cannot fetch origin: " out || fail "$(cat out)"
}

# deliver SECRET EVENT ID BODY: a GitHub delivery to the watcher's port,
# signed with SECRET ("-": unsigned); prints the HTTP status.
deliver() {
	local sig=()
	[ "$1" = - ] || sig=(-H "X-Hub-Signature-256: sha256=$(printf '%s' "$4" | openssl dgst -sha256 -hmac "$1" | sed 's/.*= //')")
	curl -s -o /dev/null -w '%{http_code}' -m 10 -X POST "http://127.0.0.1:$PORT/hook" \
		-H "Content-Type: application/json" -H "X-GitHub-Event: $2" -H "X-GitHub-Delivery: $3" \
		"${sig[@]}" --data-binary "$4"
}

# A push webhook, signed: the branch is fetched and its new head run; a
# bad signature or a replayed delivery starts nothing.
webhook_push_is_fetched_and_run() {
	project '{"fetch_interval": 0}'
	git push -q origin development
	local secret="whs-$RANDOM$RANDOM"
	GITHUB_WEBHOOK_SECRET=$secret watcher --listen 127.0.0.1:0 --path /hook
	PORT=$(sed -n 's/.*webhooks on port \([0-9]*\).*/\1/p' ../watch.log)
	[ -n "$PORT" ] || fail "no port in: $(cat ../watch.log)"
	git clone -q ../origin.git ../other 2>/dev/null
	(cd ../other && git checkout -q development && commit_file hooked.txt hooked && git push -q origin development)
	local after body
	after=$(git -C ../other rev-parse development)
	body='{"ref": "refs/heads/development", "after": "'$after'", "deleted": false, "repository": {"full_name": "team/site"}}'
	expect_eq "$(deliver wrong-secret push d-1 "$body")" 401
	expect_eq "$(deliver - push d-2 "$body")" 401
	sleep 0.5
	expect_eq "$(runs)" 0 "(a refused delivery starts nothing)"
	expect_eq "$(deliver "$secret" push d-3 "$body")" 200
	wait_for 20 grep -q "run    development@${after:0:7} moved: run #1 started" ../watch.log
	expect_eq "$(sha development)" "$after"
	expect_eq "$(deliver "$secret" push d-3 "$body")" 200
	expect_eq "$(deliver "$secret" ping d-4 '{"zen": "x"}')" 200
	sleep 0.5
	expect_eq "$(runs)" 1 "(a replay starts nothing)"
	grep -q "webhook 401 refused" ../watch.log || fail "$(cat ../watch.log)"
	! grep -qF "$secret" ../watch.log ../watch.err || fail "the secret is in the log"
	# no secret: refused at start, said where to put it
	stop_watchers
	exits 2 $SLIPWAY watch --listen 127.0.0.1:0 2>err
	grep -q "slipway: --listen needs the webhook's secret: set GITHUB_WEBHOOK_SECRET" err || fail "$(cat err)"
}

deploy_status() { $SLIPWAY deploys --json | json /dev/stdin "j[0]['status'] if j else None"; }
deploy_ended() { case $(deploy_status) in succeeded | rolled_back | failed | interrupted) return 0 ;; esac; return 1; }

# auto_deploy with a real deploy (tests/deploy_site.sh's site, local
# target): main's new head is run, then deployed; a release that fails
# its health check is rolled back and not deployed again by itself.
auto_deploy_deploys_what_main_proved() {
	site
	trap stop_site EXIT
	/usr/bin/python3 - <<'EOF2'
import json
j = json.load(open("slipway.json"))
j["watch"] = {"fetch_interval": 0, "auto_deploy": True}
json.dump(j, open("slipway.json", "w"), indent=1)
EOF2
	git commit -q -am "Deploy by itself"
	$SLIPWAY watch --once >/dev/null
	release 2
	local head
	head=$(sha main)
	$SLIPWAY watch --once >out
	grep -q "main@${head:0:7} moved: run #1 started" out || fail "$(cat out)"
	wait_for 30 finished 1
	$SLIPWAY watch --once >out
	grep -q "deploy main moved to ${head:0:7}: deploy #1 to production started" out || fail "$(cat out)"
	wait_for 60 deploy_ended
	expect_eq "$(deploy_status)" succeeded
	expect_eq "$(page)" "release 2"
	# served already: nothing to do
	$SLIPWAY watch --once >out
	! grep -q "deploy " out || fail "$(cat out)"
	# a release whose health check fails: rolled back, then left alone
	git rm -q www/ok.html
	git commit -q -m "No health page"
	head=$(sha main)
	$SLIPWAY watch --once >/dev/null
	wait_for 30 finished 2
	$SLIPWAY watch --once >/dev/null
	wait_for 60 deploy_ended
	expect_eq "$(deploy_status)" rolled_back
	$SLIPWAY watch --once >out
	grep -q "skip   main@${head:0:7} is not deployed again: deploy #2 rolled_back" out || fail "$(cat out; echo head=$head; $SLIPWAY deploys; readlink ../srv/current)"
	expect_eq "$(page)" "release 2"
}

# auto_deploy without a deploy section, and rules limited to some branches.
rules_as_configured() {
	project '{"branches": ["feature/*"], "fetch_interval": 0, "auto_deploy": true}'
	$SLIPWAY watch --once >out
	grep -q "skip   auto_deploy is on, but deploy is not configured in main's slipway.json$" out || fail "$(cat out)"
	on development d.txt
	git branch feature/a development
	$SLIPWAY watch --once >out
	grep -q "feature/a@" out
	! grep -q "development@" out || fail "development is not among watch.branches: $(cat out)"
	# a bad watch section is refused as any bad key is
	cat >slipway.json <<'EOF2'
{"version": 1, "stages": [{"name": "test", "run": "true"}], "watch": {"fetch_interval": 2}}
EOF2
	exits 2 $SLIPWAY check-config 2>err
	grep -q 'watch.fetch_interval: fetch_interval must be 0 (never fetch) or at least 5 seconds' err || fail "$(cat err)"
}

t_run once_runs_a_moved_head_then_merges_it
t_run failed_run_is_not_merged
t_run daemon_runs_and_merges_what_moves
t_run one_watcher_and_kill_9
t_run two_watchers_at_once
t_run fetch_follows_the_remote
t_run webhook_push_is_fetched_and_run
t_run auto_deploy_deploys_what_main_proved
t_run rules_as_configured
t_done
