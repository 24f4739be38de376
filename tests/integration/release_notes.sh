# slipway release-notes on real releases: a repository whose stages print
# lint, test and coverage reports, deployed twice (then rolled back) to a
# local target as tests/deploy_site.sh makes it, with the fake Sentry
# (tests/integration/sentry_fake.py) for the issues of each release.  The
# commits with their proving runs, the quality delta, Sentry's new and
# resolved issues, as text, Markdown and JSON; a range; a Sentry not
# configured or down; every bad input named.
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"

. "$SW_SRCDIR/tests/deploy_site.sh"

TOKEN=sntrys-swnotes-$$-$RANDOM
fake_sentry "$TOKEN"

SITE_STAGES='[{"name": "lint", "run": "cat lint.txt", "parse": "flake8"},
   {"name": "test", "run": "cat tests.txt", "parse": "pytest"},
   {"name": "coverage", "run": "cat coverage.txt", "parse": "coverage"}]'

# reports PASSED LINT COVERAGE: what the next commit's stages will report
# (one test skipped always).
reports() {
	local i
	: >lint.txt
	for ((i = 1; i <= $2; i++)); do
		echo "pkg/a.py:$i:1: F401 'os' imported but unused" >>lint.txt
	done
	echo "========== $1 passed, 1 skipped in 0.05s ==========" >tests.txt
	echo "TOTAL               100     $((100 - $3))    $3%" >coverage.txt
}

# The fake's "rel" issues (ids 2001-2250): 9-10 first seen on 2026-11-23,
# while release 1 served (deployed 2026-11-22); 1-5 on 2026-11-26, while
# release 2 did (2026-11-25, rolled back from on 2026-11-27); 6-8
# resolved, last seen 2026-11-24; 11 resolved, last seen 2026-11-21.
D1=1795305600 D2=1795564800 D3=1795737600

# two_releases: release 1 (5 tests, 3 findings, 68%) deployed as #1; then
# three commits, the first and the last run green (7 tests, 1 finding,
# 72%), deployed as #2.  Ends inside r; R1, R2, A, B set.
two_releases() {
	site
	reports 5 3 68
	git add -A
	git commit -q -m "Report quality"
	green
	SLIPWAY_NOW=$D1 $SLIPWAY deploy --follow >/dev/null || { $SLIPWAY deploys; fail "deploy #1 failed"; }
	R1=$(git rev-parse HEAD)
	commit_file www/index.html "release 2" "Fix the view"
	A=$(git rev-parse HEAD)
	green
	commit_file www/extra.html "x" $'Bad \e[31mred\e[0m subject with *stars* and <b>'
	B=$(git rev-parse HEAD)
	reports 7 1 72
	git add -A
	git commit -q -m "Add tests"
	R2=$(git rev-parse HEAD)
	green
	SLIPWAY_NOW=$D2 $SLIPWAY deploy --follow >/dev/null || { $SLIPWAY deploys; fail "deploy #2 failed"; }
}

# notes PROJECT ARGS...: slipway release-notes ARGS with Sentry's settings
# for the fake's PROJECT in the environment; stdout into out, stderr into err.
notes() {
	local project=$1
	shift
	SENTRY_URL=$URL SENTRY_ORG=acme SENTRY_PROJECT=$project SENTRY_AUTH_TOKEN=$TOKEN \
		$SLIPWAY release-notes "$@" >out 2>err
}

no_token_anywhere() {
	! grep -rlF -- "$TOKEN" . "$FAKE_LOG" || fail "the token was written out"
}

text_of_the_newest_deploy() {
	two_releases
	notes rel-text
	expect_eq "$(cat err)" ""
	expect_eq "$(sed -n 1,14p out)" "release ${R2:0:7}
  Deploy #2 to production, succeeded at 2026-11-25T00:00:00Z
  from ${R1:0:7} to ${R2:0:7}

commits: 3, 2 proved by a green run
  ${R2:0:7}  run #3         Add tests (Test Author)
  ${B:0:7}  no green run   Bad ^[[31mred^[[0m subject with *stars* and <b> (Test Author)
  ${A:0:7}  run #2         Fix the view (Test Author)

quality (run #3 against run #1)
  tests     7 passed (+2), 0 failed (=), 1 skipped (=)
  lint      1 finding (-2)
  coverage  72.0% (+4.0 points)"
	expect_eq "$(sed -n '15,$p' out)" "sentry
  new in this release (first seen since 2026-11-25T00:00:00Z): 5
    REL-TEXT-1  error, 11 events  ZeroDivisionError: division by zero in view 1
    REL-TEXT-2  error, 21 events  Bad ^[[31mred^[[0m title ^[]0;pwned^G end
    REL-TEXT-3  warning, 31 events  Long $(printf 'x%.0s' $(seq 1 155))...
    REL-TEXT-4  error, 41 events  ZeroDivisionError: division by zero in view 4
    REL-TEXT-5  error, 51 events  ZeroDivisionError: division by zero in view 5
  resolved since 2026-11-22T00:00:00Z (last seen since then): 3
    REL-TEXT-6  warning, 61 events  ZeroDivisionError: division by zero in view 6
    REL-TEXT-7  error, 71 events  ZeroDivisionError: division by zero in view 7
    REL-TEXT-8  error, 81 events  ZeroDivisionError: division by zero in view 8"
	! grep -q $'\e' out || fail "an escape reached the output"
	# Sorted by first seen (and by last seen), one page each was enough.
	expect_eq "$(grep -c 'rel-text/issues/?query=is%3Aunresolved&statsPeriod=&sort=new' "$FAKE_LOG")" 1
	expect_eq "$(grep -c 'rel-text/issues/?query=is%3Aresolved&statsPeriod=&sort=date' "$FAKE_LOG")" 1
	stop_site
	no_token_anywhere
}

# An older release's issues are those first seen while it served: not the
# later release's.  A first release is all of its commit's history.
an_older_release_and_a_first_one() {
	two_releases
	notes rel-old --deploy 1
	expect_eq "$(sed -n 1,3p out)" "release ${R1:0:7}
  Deploy #1 to production, succeeded at 2026-11-22T00:00:00Z
  a first release: all of ${R1:0:7}'s history"
	grep -q '^commits: 3, 1 proved by a green run$' out || fail "$(cat out)"
	grep -q '^quality (run #1; the previous release has no green run to compare with)$' out || fail "$(cat out)"
	grep -q '^  tests     5 passed, 0 failed, 1 skipped$' out || fail "$(cat out)"
	grep -q '^  new in this release (first seen since 2026-11-22T00:00:00Z): 2$' out || fail "$(cat out)"
	expect_eq "$(grep -o 'REL-OLD-[0-9]*' out | tr '\n' ' ')" "REL-OLD-9 REL-OLD-10 REL-OLD-6 REL-OLD-7 REL-OLD-8 "
	stop_site
}

markdown_for_a_changelog() {
	two_releases
	notes rel-md --markdown
	expect_eq "$(sed -n 1,12p out)" "## Release ${R2:0:7}

Deploy #2 to production, succeeded at 2026-11-25T00:00:00Z. Changes from ${R1:0:7} to ${R2:0:7}.

### Commits

3 commits, 2 proved by a green run.

- Add tests (\`${R2:0:7}\`, Test Author, run #3)
- Bad ^\\[\\[31mred^\\[\\[0m subject with \\*stars\\* and \\<b\\> (\`${B:0:7}\`, Test Author, no green run)
- Fix the view (\`${A:0:7}\`, Test Author, run #2)"
	grep -qF '| tests passed | 7 | 5 | +2 |' out || fail "$(cat out)"
	grep -qF '| lint findings | 1 | 3 | -2 |' out
	grep -qF '| coverage | 72.0% | 68.0% | +4.0 |' out
	grep -q '^New in this release (first seen since 2026-11-25T00:00:00Z): 5$' out
	grep -qF -- '- REL-MD-2 (error, 21 events): Bad ^\[\[31mred^\[\[0m title ^\[\]0;pwned^G end' out || fail "$(cat out)"
	stop_site
}

json_shape() {
	two_releases
	notes rel-json --json
	expect_eq "$(json out '(j["deploy"], j["environment"], j["status"], j["rollback"], j["from"] == "'"$R1"'", j["to"] == "'"$R2"'")')" \
		"(2, 'production', 'succeeded', False, True, True)"
	expect_eq "$(json out '(j["deployed_at"], j["previous_deployed_at"], j["replaced_at"])')" \
		"('2026-11-25T00:00:00Z', '2026-11-22T00:00:00Z', None)"
	expect_eq "$(json out '[(c["subject"][:9], c["author"], c["run"]) for c in j["commits"]]')" \
		"[('Add tests', 'Test Author', 3), ('Bad \x1b[31m', 'Test Author', None), ('Fix the v', 'Test Author', 2)]"
	expect_eq "$(json out '(j["commits_cut"], j["proved"], sorted(j["commits"][0]))')" \
		"(False, 2, ['author', 'run', 'sha', 'subject', 'time'])"
	expect_eq "$(json out 'j["quality"]')" "{'run': 3, 'previous_run': 1, 'tests_passed': {'now': 7, 'before': 5, 'delta': 2}, 'tests_failed': {'now': 0, 'before': 0, 'delta': 0}, 'tests_skipped': {'now': 1, 'before': 1, 'delta': 0}, 'lint': {'now': 1, 'before': 3, 'delta': -2}, 'coverage': {'now': 72, 'before': 68, 'delta': 4}}"
	expect_eq "$(json out '([i["shortId"] for i in j["sentry"]["new"]], [i["shortId"] for i in j["sentry"]["resolved"]], j["sentry_note"])')" \
		"(['REL-JSON-1', 'REL-JSON-2', 'REL-JSON-3', 'REL-JSON-4', 'REL-JSON-5'], ['REL-JSON-6', 'REL-JSON-7', 'REL-JSON-8'], None)"
	# No Sentry: null, and why.
	env -u SENTRY_URL -u SENTRY_ORG -u SENTRY_PROJECT -u SENTRY_AUTH_TOKEN $SLIPWAY release-notes --json >out
	expect_eq "$(json out '(j["sentry"], len(j["commits"]))')" "(None, 3)"
	expect_eq "$(json out 'j["sentry_note"]')" "Sentry is not configured: set SENTRY_ORG or \"sentry\": {\"org\"} in main's slipway.json"
	stop_site
	no_token_anywhere
}

# FROM..TO: the commits between two names; Sentry's window is TO's deploy.
a_range() {
	two_releases
	notes rel-range "$R1..main"
	expect_eq "$(sed -n 1,2p out)" "release ${R2:0:7}
  from ${R1:0:7} to ${R2:0:7}"
	grep -q '^commits: 3, 2 proved by a green run$' out || fail "$(cat out)"
	grep -q '^quality (run #3 against run #1)$' out
	grep -q '^  new in this release (first seen since 2026-11-25T00:00:00Z): 5$' out || fail "$(cat out)"
	notes rel-range "$A..$B"
	grep -q '^commits: 1, 0 proved by a green run$' out || fail "$(cat out)"
	grep -q "^quality: no green run proved ${B:0:7}$" out
	grep -q "^sentry: ${B:0:7} never served (no succeeded deploy of it): no issue is of its time$" out || fail "$(cat out)"
	notes rel-range main..main
	grep -q "^  none: ${R2:0:7} adds no commit to ${R2:0:7}$" out || fail "$(cat out)"
	stop_site
}

# A rollback: the notes say it adds nothing; the release it left was
# replaced then, so its issues are those first seen before the rollback.
after_a_rollback() {
	two_releases
	SLIPWAY_NOW=$D3 $SLIPWAY rollback --follow >/dev/null || fail "the rollback failed"
	notes rel-back --deploy 3
	expect_eq "$(sed -n 1,3p out)" "release ${R1:0:7}
  Rollback #3 to production, succeeded at 2026-11-27T00:00:00Z
  from ${R2:0:7} to ${R1:0:7}"
	grep -q "^  none: ${R1:0:7} adds no commit to ${R2:0:7}$" out || fail "$(cat out)"
	# The default is the newest deploy, not a rollback.
	notes rel-back2 --json
	expect_eq "$(json out '(j["deploy"], j["replaced_at"], len(j["sentry"]["new"]))')" "(2, '2026-11-27T00:00:00Z', 5)"
	stop_site
}

sentry_down_or_missing_leaves_the_rest() {
	two_releases
	notes down-notes
	grep -q '^commits: 3, 2 proved by a green run$' out || fail "$(cat out)"
	grep -q "^sentry: Sentry answered GET $URL/api/0/projects/acme/down-notes/issues/.* with 500 (<html>Internal Server Error</html>) 3 times$" out ||
		fail "$(cat out)"
	env -u SENTRY_ORG SENTRY_URL=$URL SENTRY_PROJECT=x SENTRY_AUTH_TOKEN=$TOKEN $SLIPWAY release-notes >out
	expect_eq "$(tail -1 out)" "sentry: Sentry is not configured: set SENTRY_ORG or \"sentry\": {\"org\"} in main's slipway.json"
	stop_site
	no_token_anywhere
}

bad_input_is_named() {
	site
	reports 1 0 50
	git add -A
	git commit -q -m "Report quality"
	exits 2 $SLIPWAY release-notes 2>../err
	expect_eq "$(cat ../err)" "slipway: no succeeded deploy yet: name two releases as FROM..TO"
	green
	SLIPWAY_NOW=$D1 $SLIPWAY deploy --follow >/dev/null
	exits 2 $SLIPWAY release-notes --deploy 9 2>err
	expect_eq "$(cat err)" "slipway: no deploy #9 (the journal has #1 to #1)"
	exits 2 $SLIPWAY release-notes --deploy soon 2>err
	expect_eq "$(cat err)" "slipway: \"soon\" is not a deploy id (a number, #N, deploy:N or latest)"
	exits 2 $SLIPWAY release-notes nosuch..main 2>err
	expect_eq "$(cat err)" "slipway: nosuch..main: no branch or commit named \"nosuch\""
	exits 2 $SLIPWAY release-notes main..v9 2>err
	expect_eq "$(cat err)" "slipway: main..v9: no branch or commit named \"v9\""
	for r in main main.. ..main a..b..c; do
		exits 2 $SLIPWAY release-notes "$r" 2>err
		expect_eq "$(cat err)" "slipway: \"$r\" is not FROM..TO (two commits or branches: v1..main, 9c1e2aa..4f5e6d7)"
	done
	exits 2 $SLIPWAY release-notes --deploy 1 main..main 2>err
	expect_eq "$(cat err)" "slipway: release-notes: give --deploy ID or FROM..TO, not both"
	exits 2 $SLIPWAY release-notes --json --markdown 2>err
	expect_eq "$(cat err)" "slipway: release-notes: --markdown or --json, not both"
	exits 2 $SLIPWAY release-notes a..b c..d 2>err
	grep -q '^usage: slipway release-notes' err || fail "$(cat err)"
	$SLIPWAY release-notes --help >out
	grep -q '^usage: slipway release-notes \[--deploy ID | FROM..TO\] \[--markdown|--json\]' out || fail "$(cat out)"
	stop_site
}

t_run text_of_the_newest_deploy
t_run an_older_release_and_a_first_one
t_run markdown_for_a_changelog
t_run json_shape
t_run a_range
t_run after_a_rollback
t_run sentry_down_or_missing_leaves_the_rest
t_run bad_input_is_named
t_done
