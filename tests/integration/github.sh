# Runs reported to a fake GitHub on 127.0.0.1 (tests/integration/github_fake.py,
# started once for the file) as commit statuses: pending while a run runs,
# then its end, one context per stage and one for the run; slipway github
# status by hand; every refusal one line with the right exit code; a
# branch's slipway.json cannot send the statuses elsewhere; without a
# "github" section nothing is posted or said.  The token appears in no
# output and no file but the secrets file.
# timeout: 300
. "$SW_SRCDIR/tests/lib.sh"

TOKEN=ghp_swtest$$deadbeefcafe
FAKE_LOG=$T_DIR/fake.log
python3 "$SW_SRCDIR/tests/integration/github_fake.py" "$TOKEN" "$FAKE_LOG" >"$T_DIR/fake.port" 2>"$T_DIR/fake.err" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null' EXIT
wait_for 10 test -s "$T_DIR/fake.port" || { echo "FAIL: the fake GitHub did not start"; exit 1; }
API=http://127.0.0.1:$(head -1 "$T_DIR/fake.port")
export SLIPWAY_HTTP_TIMEOUT_MS=5000

# config REPO [STAGES]: main's slipway.json reporting to acme/REPO.
config() {
	local stages=${2:-'[{"name": "lint", "run": "true"},
   {"name": "test", "run": "echo \"TOTAL 100 9 91.4%\"", "parse": "coverage"}]'}
	cat <<JSON
{"stages": $stages,
 "github": {"repo": "acme/$1", "api": "$API"}}
JSON
}

# posts REPO: the fake's log lines for acme/REPO, as "CONTEXT STATE DESCRIPTION".
posts() {
	grep -F " /repos/acme/$1/statuses/" "$FAKE_LOG" | sed 's/^[^{]*//' |
		python3 -c 'import json,sys
for l in sys.stdin: j=json.loads(l); print(j["context"], j["state"], j["description"])'
}

# last_post REPO CONTEXT: the state and description posted last for CONTEXT.
last_post() {
	posts "$1" | awk -v c="$2" '$1 == c { $1 = ""; last = substr($0, 2) } END { print last }'
}

github_log() {
	cat "$(git rev-parse --git-common-dir)/slipway/runs/$1/github.log"
}

no_token_anywhere() {
	! grep -rlF --exclude=secrets -- "$TOKEN" . "$FAKE_LOG" "$SW_TEST_ROOT/home" || fail "the token was written out"
}

secrets_file() {
	printf 'GITHUB_TOKEN=%s\n' "$1" >secrets
	chmod 600 secrets
	export SLIPWAY_SECRETS_FILE=$PWD/secrets
}

# posted REPO CONTEXT TEXT: the last post for CONTEXT starts with TEXT.
posted() {
	case $(last_post "$1" "$2") in "$3"*) return 0 ;; *) return 1 ;; esac
}

passing_run_pending_then_success() {
	config ok-pass "[{\"name\": \"lint\", \"run\": \"true\"},
  {\"name\": \"test\", \"run\": \"while [ ! -f $PWD/go ]; do sleep 0.1; done; echo 'TOTAL 100 9 91.4%'\", \"parse\": \"coverage\"},
  {\"name\": \"deploy\", \"run\": \"true\", \"branches\": [\"release\"]}]" |
		make_repo repo
	cd repo
	GITHUB_TOKEN=$TOKEN $SLIPWAY run >out 2>err
	wait_for 20 posted ok-pass slipway "pending running test"
	expect_eq "$(last_post ok-pass slipway/test)" "pending running"
	expect_eq "$(last_post ok-pass slipway/lint | cut -d' ' -f1-2)" "success passed"
	# The poster got the token through a pipe: not in its environment or
	# arguments, nor in the executor's.
	poster=$(pgrep -f -- "__github-status --token-from GITHUB_TOKEN in the environment of slipway run $(git rev-parse --absolute-git-dir)" | head -1)
	[ -n "$poster" ] || fail "no poster is running"
	for pid in $poster $(run_executor 1); do
		! tr '\0' '\n' </proc/$pid/environ 2>/dev/null | grep -qF -- "$TOKEN" || fail "the token is in the environment of $pid"
		! tr '\0' ' ' </proc/$pid/cmdline | grep -qF -- "$TOKEN" || fail "the token is in the arguments of $pid"
	done
	touch ../go
	wait_for 30 run_final 1
	expect_eq "$(run_status 1)" passed
	wait_for 20 posted ok-pass slipway success
	expect_eq "$(last_post ok-pass slipway)" "success coverage 91.4 %"
	expect_eq "$(last_post ok-pass slipway/test | cut -d' ' -f1-2)" "success passed"
	# Not this branch's to run: the pipeline passes without it.
	expect_eq "$(last_post ok-pass slipway/deploy)" "success skipped: not run on this branch"
	# Pending came first, for the run and each stage.
	expect_eq "$(posts ok-pass | awk '$1 == "slipway" { print $2 }' | head -1)" pending
	expect_eq "$(posts ok-pass | awk '$1 == "slipway/test" { print $2 }' | head -1)" pending
	sha=$(git rev-parse HEAD)
	grep -q "POST /repos/acme/ok-pass/statuses/$sha token=good" "$FAKE_LOG"
	wait_for 10 no_process "__github-status --token-from"
	expect_contains "$(github_log 1)" "posted slipway success: coverage 91.4 %"
	expect_eq "$(json "$(run_json 1)" '[w for w in j["warnings"] if "GitHub" in w]')" "[]"
	no_token_anywhere
}

# A stage skipped because an earlier one failed is failure, not success:
# a required check on it must not pass on a commit nothing tested.
failing_run_failure_per_stage() {
	config ok-fail '[{"name": "lint", "run": "echo findings; exit 3"},
  {"name": "test", "run": "true"},
  {"name": "deploy", "run": "true", "branches": ["release"]}]' | make_repo repo
	cd repo
	secrets_file "$TOKEN"
	$SLIPWAY run >out 2>err
	wait_for 30 run_final 1
	expect_eq "$(run_status 1)" failed
	wait_for 20 posted ok-fail slipway failure
	expect_contains "$(last_post ok-fail slipway/lint)" "failure failed: "
	expect_eq "$(last_post ok-fail slipway/test)" "failure skipped: an earlier stage failed"
	# The executor tells the failure first, even of a stage of another branch.
	expect_eq "$(last_post ok-fail slipway/deploy)" "failure skipped: an earlier stage failed"
	expect_contains "$(last_post ok-fail slipway)" "failure lint failed"
	expect_contains "$(github_log 1)" "posted slipway failure: lint failed"
	no_token_anywhere
}

# config_main REPO: main's slipway.json now reports to acme/REPO.
config_main() {
	config "$1" >slipway.json
	git commit -qam "Report to $1"
}

# One run, then slipway github status against each of the fake's modes.
by_hand_and_every_refusal() {
	config ok-hand | make_repo repo
	cd repo
	$SLIPWAY run >out 2>err
	wait_for 30 run_final 1
	# No token anywhere: the run says why nothing was posted.
	expect_contains "$(json "$(run_json 1)" 'j["warnings"]')" "GitHub statuses are not posted: no GITHUB_TOKEN"
	[ -z "$(posts ok-hand)" ]
	exits 2 $SLIPWAY github status 1 2>err
	expect_contains "$(cat err)" "no GITHUB_TOKEN in the environment or in the secrets file"
	GITHUB_TOKEN=$TOKEN $SLIPWAY github status 1 >out 2>err
	expect_eq "$(cat out)" "posted slipway/lint success: $(last_post ok-hand slipway/lint | cut -d' ' -f2-)
posted slipway/test success: $(last_post ok-hand slipway/test | cut -d' ' -f2-)
posted slipway success: coverage 91.4 %"
	secrets_file "$TOKEN"
	exits 0 $SLIPWAY github status latest >out
	GITHUB_TOKEN=wrong exits 2 $SLIPWAY github status 1 2>err
	expect_contains "$(cat err)" "GitHub refused the token from GITHUB_TOKEN in the environment (401 Bad credentials)"
	config_main denied-x
	exits 1 $SLIPWAY github status 1 2>err
	expect_contains "$(cat err)" 'the token needs "Commit statuses: write" on acme/denied-x'
	config_main limited-x
	exits 2 $SLIPWAY github status 1 2>err
	# The reset is an hour away: after 23:00 UTC, on tomorrow's date.
	expect_contains "$(cat err)" "GitHub's rate limit for the token is used up until $(date -u -d "@$(($(date +%s) + 3600))" +%Y-%m-%d)"
	expect_contains "$(cat err)" "(x-ratelimit-reset)"
	config_main nowhere-x
	exits 1 $SLIPWAY github status 1 2>err
	expect_contains "$(cat err)" "GitHub has no repository acme/nowhere-x, or the token from GITHUB_TOKEN in the secrets file cannot see it (404"
	config_main invalid-x
	exits 1 $SLIPWAY github status 1 2>err
	expect_contains "$(cat err)" "GitHub refused the status (422: Validation Failed; This SHA and context has reached the maximum number of statuses.)"
	config_main slowdown-x
	exits 0 $SLIPWAY github status 1 2>err
	expect_eq "$(grep -c '/repos/acme/slowdown-x/' "$FAKE_LOG")" 4
	config_main flaky-x
	exits 0 $SLIPWAY github status 1 2>err
	config_main down-x
	exits 2 $SLIPWAY github status 1 2>err
	expect_contains "$(cat err)" "GitHub answered POST $API/repos/acme/down-x/statuses/"
	expect_contains "$(cat err)" "with 500 (Server Error) 3 times"
	expect_eq "$(grep -c '/repos/acme/down-x/' "$FAKE_LOG")" 3
	exits 2 $SLIPWAY github status 99 2>err
	exits 2 $SLIPWAY github frobnicate 2>err
	no_token_anywhere
}

# GitHub down while a run runs: the run passes, and says it could not post.
outage_is_a_warning() {
	config down-run | make_repo repo
	cd repo
	GITHUB_TOKEN=$TOKEN $SLIPWAY run >out 2>err
	wait_for 30 run_final 1
	expect_eq "$(run_status 1)" passed
	wait_for 30 sh -c "grep -q 'GitHub statuses:' '$(run_json 1)'"
	expect_contains "$(json "$(run_json 1)" 'j["warnings"]')" "slipway github status 1"
	expect_contains "$(github_log 1)" "not posted slipway"
	$SLIPWAY history --json >history.json
	expect_contains "$(json history.json 'j[0]["warnings"]')" "GitHub statuses: GitHub answered POST"
	no_token_anywhere
}

# The statuses go where main says: a branch's own "github" is not read.
branch_cannot_redirect() {
	config ok-main | make_repo repo
	cd repo
	git checkout -qb feature
	config ok-evil | sed "s|$API|http://127.0.0.1:1|" >slipway.json
	git commit -qam "Report elsewhere"
	GITHUB_TOKEN=$TOKEN $SLIPWAY run feature >out 2>err
	wait_for 30 run_final 1
	wait_for 20 posted ok-main slipway success
	[ -z "$(posts ok-evil)" ] || fail "a branch sent statuses to its own repository"
	sha=$(git rev-parse feature)
	grep -q "/repos/acme/ok-main/statuses/$sha" "$FAKE_LOG"
}

no_github_section_nothing_posted() {
	make_repo repo <<'JSON'
{"stages": [{"name": "test", "run": "true"}]}
JSON
	cd repo
	lines=$(wc -l <"$FAKE_LOG" 2>/dev/null || echo 0)
	GITHUB_TOKEN=$TOKEN $SLIPWAY run >out 2>err
	wait_for 30 run_final 1
	sleep 1
	expect_eq "$(wc -l <"$FAKE_LOG" 2>/dev/null || echo 0)" "$lines"
	[ ! -e "$(git rev-parse --git-common-dir)/slipway/runs/1/github.log" ]
	! grep -qi github out err "$(run_json 1)"
	exits 2 $SLIPWAY github status 1 2>err
	expect_contains "$(cat err)" 'main'"'"'s slipway.json has no "github" section'

}

config_rules() {
	make_repo repo <<JSON
{"stages": [{"name": "test", "run": "true"}]}
JSON
	cd repo
	printf '{"stages": [{"name": "t", "run": "true"}], "github": {"repo": "acme/x", "token": "%s"}}' "$TOKEN" >slipway.json
	exits 2 $SLIPWAY check-config 2>err
	expect_contains "$(cat err)" "github.token: a token does not belong in slipway.json: set GITHUB_TOKEN"
	! grep -qF "$TOKEN" err
	printf '{"stages": [{"name": "t", "run": "true"}], "github": {"repo": "acme"}}' >slipway.json
	exits 2 $SLIPWAY check-config 2>err
	expect_contains "$(cat err)" 'invalid GitHub repository "acme" (OWNER/NAME)'
	printf '{"stages": [{"name": "t", "run": "true"}], "github": {"repo": "acme/x/y"}}' >slipway.json
	exits 2 $SLIPWAY check-config 2>err
	printf '{"stages": [{"name": "t", "run": "true"}], "github": {"repo": "acme/x", "api": "ftp://x"}}' >slipway.json
	exits 2 $SLIPWAY check-config 2>err
	expect_contains "$(cat err)" "invalid GitHub API address"
	printf '{"stages": [{"name": "t", "run": "true"}], "github": {"api": "https://x"}}' >slipway.json
	exits 2 $SLIPWAY check-config 2>err
	expect_contains "$(cat err)" 'missing required key "repo"'
	printf '{"stages": [{"name": "t", "run": "true"}], "github": {"repo": "acme/x", "statuses": false, "pull_requests": true}}' >slipway.json
	$SLIPWAY check-config >/dev/null
}

t_run passing_run_pending_then_success
t_run failing_run_failure_per_stage
t_run by_hand_and_every_refusal
t_run outage_is_a_warning
t_run branch_cannot_redirect
t_run no_github_section_nothing_posted
t_run config_rules
t_done
