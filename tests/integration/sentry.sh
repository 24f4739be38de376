# The Sentry client through the CLI against a fake Sentry on 127.0.0.1
# (tests/integration/sentry_fake.py, started once for the file): issues
# paged through Link cursors, filters, triage by id and short id, releases
# and deploy markers, status --json; every failure one line with the right
# exit code (401, 403, 404, 429 waited out or beyond the bound, 5xx tried
# again, a slow reply, bodies that are not issues, nobody listening); the
# settings' order; titles with escapes neutralised on a terminal only.
# The token appears in no output and no file but the secrets file.
. "$SW_SRCDIR/tests/lib.sh"

TOKEN=sntrys-swtest-$$-f00dcafe
fake_sentry "$TOKEN"

# sentry PROJECT ARGS...: slipway ARGS with the settings in the environment;
# stdout into out, stderr into err (also kept for the token check).
sentry() {
	local project=$1
	shift
	SENTRY_URL=$URL SENTRY_ORG=acme SENTRY_PROJECT=$project SENTRY_AUTH_TOKEN=$TOKEN \
		$SLIPWAY "$@" >out 2>err
}

# The token is in no file of the test but the secrets file, nor in the
# fake's log.
no_token_anywhere() {
	! grep -rlF --exclude=secrets -- "$TOKEN" . "$FAKE_LOG" || fail "the token was written out"
}

config_repo() {
	make_repo repo <<EOF
{"stages": [{"name": "test", "run": "true"}],
 "sentry": {"url": "$URL", "org": "acme", "project": "$1"}}
EOF
}

secrets_file() {
	printf 'SENTRY_AUTH_TOKEN=%s\n' "$1" >secrets
	chmod 600 secrets
	export SLIPWAY_SECRETS_FILE=$PWD/secrets
}

lists_every_page() {
	sentry web-pages issues --json
	expect_eq "$(json out 'len(j)')" 250
	# count comes as a string for odd issues, a number for even ones.
	expect_eq "$(json out 'j[0]["count"]')" 11
	expect_eq "$(json out 'j[1]["count"]')" 21
	expect_eq "$(json out 'j[0]["shortId"]')" WEB-PAGES-1
	expect_eq "$(json out 'j[3]["culprit"]')" ""
	# The 10 KB title is cut.
	expect_eq "$(json out 'len(j[2]["title"]) <= 1030 and j[2]["title"].startswith("Long xxx")')" True
	expect_eq "$(grep -c 'GET /api/0/projects/acme/web-pages/issues/?query=is%3Aunresolved&statsPeriod=&' "$FAKE_LOG")" 3
	grep -q 'web-pages/issues/.*cursor=0%3A200%3A0' "$FAKE_LOG" || fail "the third page was not asked by its cursor"
	no_token_anywhere
}

table_filters_and_limit() {
	sentry web-table issues --level warning --sort freq --limit 5
	expect_eq "$(head -1 out)" "LEVEL      COUNT  USERS  LAST  ISSUE"
	expect_eq "$(grep -c '^warning ' out)" 5
	expect_eq "$(wc -l <out)" 6
	grep -q 'web-table/issues/?query=is%3Aunresolved%20level%3Awarning&statsPeriod=&sort=freq&limit=5' "$FAKE_LOG" ||
		fail "filters not sent: $(grep web-table "$FAKE_LOG")"
	expect_contains "$(cat err)" "Sentry has more"
	exits 2 sentry web-table issues --sort loud
	expect_contains "$(cat err)" "--sort is date, freq or new"
	exits 2 sentry web-table issues --limit 0
	exits 2 sentry web-table issues frobnicate
}

titles_neutralised_on_a_terminal() {
	sentry web-esc issues --limit 3
	od -c out | grep -q '033' || fail "a pipe did not get the title as Sentry sent it"
	secrets_file "$TOKEN"
	cat >show.sh <<EOF
SLIPWAY_SECRETS_FILE=$PWD/secrets SENTRY_URL=$URL SENTRY_ORG=acme SENTRY_PROJECT=web-esc $SLIPWAY issues --limit 2; sleep 30
EOF
	tmux -L "$T_TMUX" new-session -d -x 200 -y 10 "sh $PWD/show.sh"
	wait_for 10 sh -c "tmux -L '$T_TMUX' capture-pane -p | grep -q WEB-ESC-2"
	tmux -L "$T_TMUX" capture-pane -p >screen
	grep -qF 'Bad ^[[31mred^[[0m title ^[]0;pwned^G end' screen || fail "terminal got: $(cat screen)"
	no_token_anywhere
}

bad_token_is_refused_without_showing_it() {
	SENTRY_URL=$URL SENTRY_ORG=acme SENTRY_PROJECT=web-401 SENTRY_AUTH_TOKEN=wrong-secret-4711 \
		$SLIPWAY issues >out 2>err && fail "a bad token was accepted"
	expect_contains "$(cat err)" "Sentry refused the token from SENTRY_AUTH_TOKEN (401 Invalid token)"
	expect_eq "$(wc -l <err)" 1
	! grep -q wrong-secret-4711 out err "$FAKE_LOG" || fail "the bad token was shown"
	grep -q 'web-401.*token=bad' "$FAKE_LOG"
}

unknown_org_or_project_is_named() {
	exits 2 sentry nosuch issues
	expect_contains "$(cat err)" "has no project acme/nosuch"
	SENTRY_URL=$URL SENTRY_ORG=umbrella SENTRY_PROJECT=web SENTRY_AUTH_TOKEN=$TOKEN $SLIPWAY issues 2>err && false
	expect_contains "$(cat err)" "has no project umbrella/web"
	exits 1 sentry forbidden issues
	expect_contains "$(cat err)" "403: You do not have permission"
	no_token_anywhere
}

rate_limits_are_waited_out_within_a_bound() {
	sentry rl-1 issues --json
	expect_eq "$(json out 'len(j)')" 250
	expect_contains "$(cat err)" "Sentry rate-limited GET $URL/api/0/projects/acme/rl-1/issues/"
	expect_contains "$(cat err)" "(X-Sentry-Rate-Limit-Reset)"
	sentry ra-1 issues --json
	expect_eq "$(json out 'len(j)')" 250
	expect_contains "$(cat err)" "waiting 1 s (Retry-After)"
	local t0=$SECONDS
	exits 2 sentry rlforever-1 issues
	[ $((SECONDS - t0)) -lt 5 ] || fail "a two-minute rate limit was waited for"
	expect_contains "$(cat err)" "beyond slipway's bound of 60 s"
	no_token_anywhere
}

server_errors_are_tried_again() {
	sentry flaky-1 issues --json
	expect_eq "$(json out 'len(j)')" 250
	exits 2 sentry down-1 issues
	expect_contains "$(cat err)" "with 500 (<html>Internal Server Error</html>) 3 times"
	expect_eq "$(grep -c 'down-1/issues' "$FAKE_LOG")" 3
}

a_slow_reply_is_an_error_naming_the_url() {
	local t0=$SECONDS
	SLIPWAY_HTTP_TIMEOUT_MS=500 sentry slow-1 issues && fail "a slow reply was waited for"
	[ $((SECONDS - t0)) -lt 3 ] || fail "took $((SECONDS - t0)) s"
	expect_contains "$(cat err)" "Sentry did not answer GET $URL/api/0/projects/acme/slow-1/issues/"
	expect_contains "$(cat err)" "within 0.5 s"
}

bodies_that_are_not_issues() {
	exits 2 sentry badjson issues
	expect_contains "$(cat err)" "with something that is not a JSON list of issues"
	exits 2 sentry nofield issues
	expect_contains "$(cat err)" "Sentry sent an issue without \"title\" (item 2 of GET $URL/"
	SENTRY_URL=http://127.0.0.1:1 SENTRY_ORG=acme SENTRY_PROJECT=web SENTRY_AUTH_TOKEN=$TOKEN \
		$SLIPWAY issues 2>err && false
	expect_contains "$(cat err)" "cannot reach Sentry at http://127.0.0.1:1/api/0/projects/acme/web/issues/"
	expect_eq "$(wc -l <err)" 1
}

ten_thousand_issues_paged() {
	local t0
	t0=$(date +%s%N)
	sentry big-1 issues --json --limit 10000
	local ms=$((($(date +%s%N) - t0) / 1000000))
	echo "  10,000 issues in $ms ms" >&2
	expect_eq "$(json out 'len(j)')" 10000
	expect_eq "$(json out 'len(set(i["id"] for i in j))')" 10000
	expect_eq "$(grep -c 'big-1/issues' "$FAKE_LOG")" 100
	[ $ms -lt 30000 ] || fail "took $ms ms"
	sentry big-1 issues --json
	expect_eq "$(json out 'len(j)')" 1000
}

triage_by_id_and_short_id() {
	sentry web-tri issues resolve WEB-TRI-5
	expect_eq "$(cat out)" "resolved WEB-TRI-5"
	grep -q 'PUT /api/0/organizations/acme/issues/1005/ token=good' "$FAKE_LOG"
	sentry web-tri issues --json
	expect_eq "$(json out 'len(j)')" 249
	sentry web-tri issues ignore 1006
	sentry web-tri issues unresolve 1005
	sentry web-tri issues unresolve 1006
	sentry web-tri issues --json
	expect_eq "$(json out 'len(j)')" 250
	exits 1 sentry web-tri issues resolve 99999
	expect_contains "$(cat err)" "has no issue 99999 in organization acme"
	exits 1 sentry web-tri issues resolve WEB-TRI-777
	expect_contains "$(cat err)" "has no issue WEB-TRI-777"
	exits 2 sentry web-tri issues resolve
	no_token_anywhere
}

release_and_deploy_marker() {
	config_repo web-rel
	cd repo
	local sha
	sha=$(git rev-parse main)
	sentry web-rel sentry release
	expect_eq "$(cat out)" "created release $sha in Sentry"
	grep -q "release $sha projects=web-rel" "$FAKE_LOG"
	sentry web-rel sentry release --deploy-env production
	expect_eq "$(head -1 out)" "release $sha was already in Sentry"
	expect_eq "$(sed -n 2p out)" "marked a deploy of it to production"
	grep -Eq "deploy $sha env=production started=20[0-9-]+T[0-9:]+Z finished=" "$FAKE_LOG"
	exits 2 sentry web-rel sentry frobnicate
	no_token_anywhere
}

settings_in_sentry_clis_order() {
	config_repo web-cfg
	secrets_file "$TOKEN"
	cd repo
	# slipway.json for url, org, project; the secrets file for the token.
	$SLIPWAY issues --limit 1 >out 2>err
	grep -q 'projects/acme/web-cfg/issues/.*token=good' "$FAKE_LOG"
	# The environment over slipway.json, and over the secrets file.
	SENTRY_PROJECT=web-env $SLIPWAY issues --limit 1 >out 2>err
	grep -q 'projects/acme/web-env/issues/.*token=good' "$FAKE_LOG"
	SENTRY_AUTH_TOKEN=not-it $SLIPWAY issues --limit 1 >out 2>err && false
	expect_contains "$(cat err)" "401"
	# A branch's slipway.json does not choose the Sentry project.
	git checkout -q -b feature
	sed -i 's/web-cfg/web-branch/' slipway.json
	git commit -qam "Point at another project"
	$SLIPWAY issues --limit 1 >out 2>err
	! grep -q web-branch "$FAKE_LOG" || fail "a branch chose the Sentry project"
	cd ..
	no_token_anywhere
}

not_configured_says_where() {
	exits 2 $SLIPWAY issues 2>err
	expect_eq "$(cat err)" "slipway: Sentry is not configured: set SENTRY_ORG or \"sentry\": {\"org\"} in main's slipway.json"
	SENTRY_ORG=acme $SLIPWAY issues 2>err && false
	expect_contains "$(cat err)" "set SENTRY_PROJECT or \"sentry\": {\"project\"}"
	SENTRY_ORG=acme SENTRY_PROJECT=web $SLIPWAY issues 2>err && false
	expect_contains "$(cat err)" "set SENTRY_AUTH_TOKEN in the environment or in the secrets file $HOME/.config/slipway/secrets"
	# A token in slipway.json is refused, saying where tokens go.
	make_repo repo <<EOF
{"stages": [{"name": "test", "run": "true"}], "sentry": {"org": "acme", "token": "abc"}}
EOF
	cd repo
	exits 2 $SLIPWAY check-config 2>err
	$SLIPWAY issues 2>err && false
	expect_contains "$(cat err)" "sentry.token: a token does not belong in slipway.json: set SENTRY_AUTH_TOKEN"
}

status_json_counts_one_page() {
	config_repo web-status
	secrets_file "$TOKEN"
	cd repo
	$SLIPWAY status --json >out
	expect_eq "$(json out 'j["sentry"]')" "{'unresolved': 100, 'more': True, 'regressions': None}"
	expect_eq "$(grep -c 'web-status/issues' "$FAKE_LOG")" 1
	SENTRY_PROJECT=nosuch $SLIPWAY status --json >out
	expect_eq "$(json out 'j["sentry"]')" None
	rm "$SLIPWAY_SECRETS_FILE"
	$SLIPWAY status --json >out
	expect_eq "$(json out 'j["sentry"]')" None
	cd ..
	no_token_anywhere
}

# A deploy that succeeded creates its release and marks the deploy, with
# the settings in the environment; a Sentry that refuses fails the step,
# never the deploy, and the token is written nowhere.
a_deploy_marks_its_release() {
	make_repo repo <<EOF
{"stages": [{"name": "test", "run": "true"}],
 "deploy": {"path": "$PWD/srv", "environment": "staging", "hooks": {"start": "true"}}}
EOF
	cd repo
	$SLIPWAY run main --follow >/dev/null
	local sha
	sha=$(git rev-parse main)
	sentry web-dep deploy --follow
	grep -q "release $sha created" out || fail "$(cat out err)"
	grep -q "release $sha projects=web-dep" "$FAKE_LOG"
	grep -Eq "deploy $sha env=staging started=20[0-9-]+T[0-9:]+Z finished=" "$FAKE_LOG"
	SENTRY_URL=$URL SENTRY_ORG=acme SENTRY_PROJECT=web-dep SENTRY_AUTH_TOKEN=not-the-token \
		$SLIPWAY deploy --force --follow >out 2>err || fail "a refusing Sentry failed the deploy: $(cat out)"
	$SLIPWAY deploys --json >dj.json
	expect_eq "$(json dj.json '(j[0]["status"], [s["status"] for s in j[0]["steps"] if s["name"] == "sentry"][0])')" \
		"('succeeded', 'failed')"
	$SLIPWAY deploy --force --follow >out 2>err
	grep -q "sentry  *skipped   Sentry is not configured" out || fail "$(cat out)"
	cd ..
	no_token_anywhere
}

# --since-deploy counts from the deploy of the serving release: every
# issue (first seen 2026-11-20) is new after a deploy of 2026-11-15, none
# after one of 2026-11-25; without a deploy it says so.
since_deploy_lists_the_releases_regressions() {
	make_repo repo <<EOF
{"stages": [{"name": "test", "run": "true"}],
 "deploy": {"path": "$PWD/srv", "hooks": {"start": "true"}}}
EOF
	cd repo
	exits 2 sentry web-new issues --since-deploy
	expect_eq "$(cat err)" "slipway: no succeeded deploy to production yet: --since-deploy counts from the last one"
	$SLIPWAY run main --follow >/dev/null
	SLIPWAY_NOW=1794700800 $SLIPWAY deploy --follow >/dev/null
	sentry web-new issues --json --since-deploy --limit 150
	expect_eq "$(json out 'len(j)')" 150
	SLIPWAY_NOW=1795564800 $SLIPWAY deploy --force --follow >/dev/null
	sentry web-new issues --since-deploy --limit 150
	expect_eq "$(cat out)" "no unresolved issues"
	cd ..
	no_token_anywhere
}

# The fake's "rel" issues 1-5 are first seen on 2026-11-26, 9-10 on
# 2026-11-23, the rest on 2026-11-20: a deploy on 2026-11-25 has five
# regressions, one on 2026-11-22 seven; status counts them from one page
# sorted by first seen, and --since-deploy --sort new stops at the first
# older issue.
status_counts_the_releases_regressions() {
	make_repo repo <<EOF
{"stages": [{"name": "test", "run": "true"}],
 "deploy": {"path": "$PWD/srv", "environment": "staging", "hooks": {"start": "true"}}}
EOF
	cd repo
	sentry rel-status status --json
	expect_eq "$(json out 'j["sentry"]')" "{'unresolved': 100, 'more': True, 'regressions': None}"
	$SLIPWAY run main --follow >/dev/null
	SLIPWAY_NOW=1795564800 $SLIPWAY deploy --follow >/dev/null
	sentry rel-status status --json
	expect_eq "$(json out 'j["sentry"]')" "{'unresolved': 100, 'more': True, 'regressions': 5}"
	grep 'rel-status/issues/' "$FAKE_LOG" | tail -1 | grep -q 'sort=new&limit=100' || fail "status did not sort by first seen"
	SLIPWAY_NOW=1795305600 $SLIPWAY deploy --force --follow >/dev/null
	sentry rel-status status --json
	expect_eq "$(json out 'j["sentry"]["regressions"]')" 7
	sentry rel-since issues --since-deploy --sort new --json
	expect_eq "$(json out '[i["shortId"] for i in j]')" \
		"['REL-SINCE-1', 'REL-SINCE-2', 'REL-SINCE-3', 'REL-SINCE-4', 'REL-SINCE-5', 'REL-SINCE-9', 'REL-SINCE-10']"
	expect_eq "$(grep -c 'rel-since/issues/' "$FAKE_LOG")" 1
	cd ..
	no_token_anywhere
}

t_run lists_every_page
t_run table_filters_and_limit
t_run titles_neutralised_on_a_terminal
t_run bad_token_is_refused_without_showing_it
t_run unknown_org_or_project_is_named
t_run rate_limits_are_waited_out_within_a_bound
t_run server_errors_are_tried_again
t_run a_slow_reply_is_an_error_naming_the_url
t_run bodies_that_are_not_issues
t_run ten_thousand_issues_paged
t_run triage_by_id_and_short_id
t_run release_and_deploy_marker
t_run settings_in_sentry_clis_order
t_run not_configured_says_where
t_run status_json_counts_one_page
t_run status_counts_the_releases_regressions
t_run a_deploy_marks_its_release
t_run since_deploy_lists_the_releases_regressions
grep -qF -- "$TOKEN" "$FAKE_LOG" && echo "FAIL: the token is in the fake's log" && T_FAILED=1
t_done
