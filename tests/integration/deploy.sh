# slipway deploy on a local target: releases, shared paths, SQLite backups,
# hooks in CodeDeploy's order, the health check, automatic rollback, the
# journal, the lock, an interrupted deploy.  The "site" is python's
# http.server serving the release's www/ on 127.0.0.1, started and stopped
# by the hooks as docker-compose would be.
# timeout: 900
. "$SW_SRCDIR/tests/lib.sh"

. "$SW_SRCDIR/tests/deploy_site.sh"

first_deploy_serves_and_is_journalled() {
	site
	green
	$SLIPWAY deploy --follow >out 2>&1 || { cat out; fail "the deploy failed"; }
	grep -q "^deploy #1 succeeded" out || fail "no result line: $(cat out)"
	grep -q "serving $(git rev-parse HEAD)" out || fail "the start hook's output is not shown: $(cat out)"
	expect_eq "$(page)" "release 1"
	expect_eq "$(current)" "releases/$(git rev-parse HEAD)"
	expect_eq "$(deploy_json '[(d["status"], d["run"], d["forced"], d["previous"]) for d in j]')" \
		"[('succeeded', 1, False, None)]"
	expect_eq "$(deploy_json '" ".join(s["name"] + "=" + s["status"] for s in j[0]["steps"])')" \
		"install=passed backup=passed stop=skipped before_install=skipped after_install=skipped switch=passed start=passed validate=skipped health=passed sentry=skipped"
	# The release holds the commit's tree, not the work tree's, and a
	# link to shared/data.
	echo "uncommitted" >www/index.html
	test -L ../srv/releases/"$(git rev-parse HEAD)"/data
	expect_eq "$(cat ../srv/current/www/index.html)" "release 1"
	$SLIPWAY log deploy:1 start | grep -q "serving" || fail "log deploy:1 start: $($SLIPWAY log deploy:1 start)"
	expect_eq "$($SLIPWAY status --json | json /dev/stdin 'j["deploy"]["current"] == "'"$(git rev-parse HEAD)"'"')" True
	stop_site
}

second_deploy_switches_and_keeps_shared() {
	site
	green
	$SLIPWAY deploy --follow >/dev/null
	local first
	first=$(git rev-parse HEAD)
	echo "an upload" >../srv/shared/data/upload.txt
	release 2
	green
	$SLIPWAY deploy --follow >out 2>&1 || { cat out; fail "the second deploy failed"; }
	expect_eq "$(page)" "release 2"
	expect_eq "$(readlink ../srv/previous)" "releases/$first"
	expect_eq "$(cat ../srv/current/data/upload.txt)" "an upload"
	expect_eq "$(deploy_json 'j[0]["previous"] == "'"$first"'" and j[0]["steps"][2]["status"]')" passed
	grep -q "stopped" ../.git/slipway/deploys/2/stop.log 2>/dev/null ||
		grep -q stopped .git/slipway/deploys/2/stop.log || fail "the stop hook did not run in the old release"
	stop_site
}

# The new release fails its health check: the old one serves again, the
# rows written before the deploy are there, and the backup opens.
failed_validation_rolls_back_with_data_intact() {
	site
	green
	$SLIPWAY deploy --follow >/dev/null
	sqlite3 ../srv/shared/data/db.sqlite3 "create table t(x); insert into t values (1), (2), (3);"
	git rm -q www/ok.html
	release 2
	green
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	grep -q "^deploy #2 rolled_back" out || fail "not rolled back: $(cat out)"
	grep -q "health failed: http://127.0.0.1:$PORT/ok.html answered 404" out || fail "no reason: $(cat out)"
	expect_eq "$(page)" "release 1"
	expect_eq "$(current)" "releases/$(git rev-parse HEAD~)"
	expect_eq "$(sqlite3 ../srv/shared/data/db.sqlite3 'select count(*) from t')" 3
	expect_eq "$(sqlite3 ../srv/backups/2/data/db.sqlite3 'select group_concat(x) from t')" "1,2,3"
	expect_eq "$(deploy_json '" ".join(s["name"] + "=" + s["status"] for s in j[0]["steps"] if s["name"].startswith("rollback"))')" \
		"rollback-stop=passed rollback-switch=passed rollback-start=passed rollback-validate=skipped rollback-health=passed"
	stop_site
}

failing_hook_rolls_back() {
	site
	green
	$SLIPWAY deploy --follow >/dev/null
	touch fail-start
	git add fail-start
	release 2
	green
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	grep -q "start failed: start hook: exit code 3" out || fail "no reason: $(cat out)"
	grep -q "start refused" out || fail "the hook's output is not shown: $(cat out)"
	expect_eq "$(deploy_json 'j[0]["status"]')" rolled_back
	expect_eq "$(page)" "release 1"
	stop_site
}

hanging_hook_times_out() {
	site ', "hook_timeout": 2'
	sed -i 's/"validate": ""/"validate": "test ! -e hang || sleep 60"/' slipway.json
	git commit -q -am "A validate hook"
	green
	$SLIPWAY deploy --follow >/dev/null
	touch hang
	git add hang
	release 2
	green
	local t0=$SECONDS
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	[ $((SECONDS - t0)) -lt 30 ] || fail "the hung hook held the deploy $((SECONDS - t0)) s"
	grep -q "validate failed: validate hook: timed out after 2 s" out || fail "no reason: $(cat out)"
	expect_eq "$(page)" "release 1"
	stop_site
}

untested_commit_is_refused() {
	site
	exits 1 $SLIPWAY deploy 2>err
	expect_eq "$(cat err)" "slipway: main@$(git rev-parse --short=7 HEAD) has no passed run; it has never been run: \`slipway run main\` tests it"
	test ! -e ../srv/releases || fail "something was installed: $(ls -R ../srv)"
	expect_eq "$(deploy_json 'len(j)')" 0
	touch broken
	git add broken
	git commit -q -m "Broken"
	exits 1 $SLIPWAY run main --follow >/dev/null
	exits 1 $SLIPWAY deploy 2>err
	grep -q "has no passed run; last run #1 failed at stage test" err || fail "$(cat err)"
	$SLIPWAY deploy --force --follow >out 2>err
	grep -q "forced: main@" err || fail "no forced note: $(cat err)"
	expect_eq "$(deploy_json '(j[0]["forced"], j[0]["run"], j[0]["status"])')" "(True, None, 'succeeded')"
	stop_site
}

refuses_what_main_does_not_have() {
	site
	git checkout -q -b feature
	release 2
	$SLIPWAY run feature --follow >/dev/null
	exits 1 $SLIPWAY deploy feature 2>err
	grep -q "feature ($(git rev-parse --short=7 HEAD)) is not on main" err || fail "$(cat err)"
	exits 2 $SLIPWAY deploy no-such-thing 2>err
	grep -q 'no branch or commit named "no-such-thing"' err || fail "$(cat err)"
}

one_deploy_at_a_time() {
	site
	sed -i 's/"validate": ""/"validate": "sleep 3"/' slipway.json
	git commit -q -am "A slow validate hook"
	green
	$SLIPWAY deploy >/dev/null
	exits 1 $SLIPWAY deploy 2>err
	grep -q "deploy #1 to .*/srv is in progress" err || fail "$(cat err)"
	deploy_done() { [ "$(deploy_json 'j[0]["status"]')" = succeeded ]; }
	wait_for 60 deploy_done
	stop_site
}

# kill -9 of the deploy's process in a hook: the journal says interrupted
# and where, and the next deploy starts from what is there.
killed_deploy_is_reported_and_recovered() {
	site
	sed -i 's/"validate": ""/"validate": "test -e ..\/..\/..\/go-on || sleep 120"/' slipway.json
	git commit -q -am "A validate hook that waits"
	green
	$SLIPWAY deploy >/dev/null
	validating() { [ "$(json .git/slipway/deploys/1/deploy.json '[s["status"] for s in j["steps"] if s["name"] == "validate"][0]')" = running ]; }
	wait_for 30 validating
	local pid
	pid=$(json .git/slipway/deploys/1/deploy.json 'j["pid"]')
	kill -9 "$pid"
	wait_for 10 sh -c "! kill -0 $pid"
	pkill -f "sleep 120" || true
	expect_eq "$(deploy_json '(j[0]["status"], j[0]["reason"])')" \
		"('interrupted', \"the deploy's process died during step validate\")"
	$SLIPWAY deploys | grep -q "#1 .*interrupted" || fail "$($SLIPWAY deploys)"
	$SLIPWAY status | grep -q "^production: current .* · last deploy #1 interrupted .*: the deploy's process died during step validate" ||
		fail "status does not say: $($SLIPWAY status)"
	touch ../go-on
	$SLIPWAY deploy --force --follow >out 2>err || { cat out err; fail "the next deploy failed"; }
	grep -q "deploy #1 was interrupted" err || fail "no note of the interrupted deploy: $(cat err)"
	expect_eq "$(page)" "release 1"
	stop_site
}

rollback_goes_back_and_forth() {
	site
	green
	$SLIPWAY deploy --follow >/dev/null
	local first second
	first=$(git rev-parse HEAD)
	release 2
	second=$(git rev-parse HEAD)
	green
	$SLIPWAY deploy --follow >/dev/null
	$SLIPWAY rollback --follow >out 2>&1 || { cat out; fail "the rollback failed"; }
	grep -q "^rollback #3 succeeded" out || fail "$(cat out)"
	expect_eq "$(page)" "release 1"
	expect_eq "$(current) $(readlink ../srv/previous)" "releases/$first releases/$second"
	expect_eq "$(deploy_json '(j[0]["kind"], j[0]["steps"][0]["status"])')" "('rollback', 'skipped')"
	stop_site
}

bad_configuration_names_the_key() {
	site
	sed -i 's/"hooks"/"hoks"/' slipway.json
	git commit -q -am "A typo"
	exits 2 $SLIPWAY deploy 2>err
	grep -q 'slipway.json: deploy: unknown key "hoks" (did you mean "hooks"?)' err || fail "$(cat err)"
	printf '{"version": 1, "stages": [{"name": "t", "run": "true"}]}\n' >slipway.json
	git commit -q -am "No deploy"
	exits 2 $SLIPWAY deploy 2>err
	grep -q "main's slipway.json has no \"deploy\" section" err || fail "$(cat err)"
}

# The containers check needs the engine: without one the deploy says so
# before anything is installed or switched.
no_engine_is_said_before_anything_moves() {
	site ', "containers": true'
	sed -i 's/"timeout": 5}, "containers": true/"timeout": 5, "containers": true}/' slipway.json
	git commit -q -am "Check containers"
	green
	DOCKER_HOST=unix://$PWD/no-engine.sock exits 1 $SLIPWAY deploy 2>err
	grep -q "cannot reach the container engine at unix://$PWD/no-engine.sock" err || fail "$(cat err)"
	test ! -e ../srv/current || fail "current was made"
	expect_eq "$(deploy_json 'len(j)')" 0
}

# keep bounds the releases and backups kept; the current and the previous
# release are never among those removed.
keep_bounds_what_is_kept() {
	site ', "keep": 2'
	green
	$SLIPWAY deploy --follow >/dev/null
	sqlite3 ../srv/shared/data/db.sqlite3 "create table t(x)"
	local n
	for n in 2 3 4; do
		release $n
		green
		$SLIPWAY deploy --follow >/dev/null
	done
	expect_eq "$(ls ../srv/releases | sort)" "$(printf '%s\n' "$(git rev-parse HEAD)" "$(git rev-parse HEAD~)" | sort)"
	expect_eq "$(ls ../srv/backups | sort -n | tr '\n' ' ')" "3 4 "
	expect_eq "$(page)" "release 4"
	stop_site
}

# "~/" is the deploying user's home; a file-like shared path nobody has
# is refused before anything moves; SLIPWAY_COMMIT is the commit of the
# release a hook runs in.
home_path_files_and_hook_commits() {
	mkdir home
	HOME=$PWD/home
	make_repo r <<'EOF'
{"version": 1, "stages": [{"name": "test", "run": "true"}],
 "deploy": {"path": "~/site", "shared": ["data", ".env"],
   "hooks": {"stop": "echo stopping $SLIPWAY_COMMIT", "start": "echo starting $SLIPWAY_COMMIT"}}}
EOF
	cd r
	green
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	grep -q "install failed: shared/.env is missing: neither $HOME/site/shared/.env nor the release has it" out ||
		fail "$(cat out)"
	grep -q "nothing was changed" out || fail "$(cat out)"
	test ! -e "$HOME/site/current"
	echo "KEY=1" >"$HOME/site/shared/.env"
	$SLIPWAY deploy --force --follow >out 2>&1 || fail "$(cat out)"
	local first
	first=$(git rev-parse HEAD)
	grep -q "starting $first" out || fail "$(cat out)"
	expect_eq "$(cat "$HOME/site/current/.env")" "KEY=1"
	commit_file x 2 "Release 2"
	green
	$SLIPWAY deploy --follow >out 2>&1 || fail "$(cat out)"
	grep -q "stopping $first" out || fail "the stop hook did not get the outgoing commit: $(cat out)"
	grep -q "starting $(git rev-parse HEAD)" out || fail "$(cat out)"
}

t_run first_deploy_serves_and_is_journalled
t_run second_deploy_switches_and_keeps_shared
t_run failed_validation_rolls_back_with_data_intact
t_run failing_hook_rolls_back
t_run hanging_hook_times_out
t_run untested_commit_is_refused
t_run refuses_what_main_does_not_have
t_run one_deploy_at_a_time
t_run killed_deploy_is_reported_and_recovered
t_run rollback_goes_back_and_forth
t_run bad_configuration_names_the_key
t_run no_engine_is_said_before_anything_moves
t_run keep_bounds_what_is_kept
t_run home_path_files_and_hook_commits
t_done
