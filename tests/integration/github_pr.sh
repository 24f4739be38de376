# slipway merge in pull-request mode ("github": {"pull_requests": true})
# against the fake GitHub on 127.0.0.1 (tests/integration/github_fake.py),
# whose pull requests live in each test's bare remote and are merged
# there as GitHub merges them: the tested head pushed to the remote's
# branch, its pull request opened or reused, merged with sha set to that
# commit, and main here brought to GitHub's merge commit.  Every refusal
# (405, 409, 401, 403, 404, no token, main with changes the head lacks)
# leaves main as it was here and on the remote; a rate limit is waited
# out.  The token is made here, at run time, and appears in no output, log
# or file.
# timeout: 300
. "$SW_SRCDIR/tests/lib.sh"

TOKEN=ghp_pr$$$RANDOM$RANDOM
REMOTES=$T_DIR/remotes
FAKE_LOG=$T_DIR/fake.log
mkdir -p "$REMOTES"
python3 "$SW_SRCDIR/tests/integration/github_fake.py" "$TOKEN" "$FAKE_LOG" "$REMOTES" >"$T_DIR/fake.port" 2>"$T_DIR/fake.err" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null' EXIT
wait_for 10 test -s "$T_DIR/fake.port" || { echo "FAIL: the fake GitHub did not start"; exit 1; }
API=http://127.0.0.1:$(head -1 "$T_DIR/fake.port")
export SLIPWAY_HTTP_TIMEOUT_MS=5000
unset GITHUB_TOKEN GIT_TOKEN

# project NAME [MORE]: the bare remote REMOTES/NAME.git, which is acme/NAME
# on the fake GitHub, and a repository r whose main (merging through pull
# requests; MORE: more keys of its slipway.json, after a comma) is pushed
# there, development one commit ahead and checked out; ends inside r.
project() {
	local name=$1
	git init -q --bare "$REMOTES/$name.git"
	make_repo r <<JSON
{"version": 1, "stages": [{"name": "test", "run": "test ! -e broken"}],
 "github": {"repo": "acme/$name", "api": "$API", "statuses": false, "pull_requests": true}${2:+, $2}}
JSON
	cd r
	git remote add origin "file://$REMOTES/$name.git"
	git push -q origin main
	git checkout -q -b development
	commit_file feature.txt "new feature"
}

sha() { git rev-parse "$1"; }
remote() { git -C "$REMOTES/$1.git" rev-parse "$2"; }
merges() { find .git/slipway/merges -name '[0-9]*.json' 2>/dev/null | wc -l; }
merge_json() { json ".git/slipway/merges/$1.json" "$2"; }
green() { $SLIPWAY run development --follow >/dev/null; }
merge() { GITHUB_TOKEN=$TOKEN $SLIPWAY merge "$@"; }

# requests NAME: the fake's log lines for acme/NAME, as "METHOD PATH".
requests() {
	grep -F " /repos/acme/$1/" "$FAKE_LOG" | cut -d' ' -f1,2
}

# body NAME METHOD PATH-END: the JSON body of the last such request.
body() {
	grep -F "$2 /repos/acme/$1/$3 " "$FAKE_LOG" | tail -1 | sed 's/^[^{]*//'
}

# api METHOD PATH [JSON]: a request to the fake as someone else would make it.
api() {
	curl -sS -X "$1" -H "Authorization: Bearer $TOKEN" -H "Accept: application/vnd.github+json" \
		-H "X-GitHub-Api-Version: 2022-11-28" -H "User-Agent: slipway/test" \
		${3:+-H "Content-Type: application/json" --data "$3"} "$API$2"
}

# unchanged NAME MAIN: main is MAIN here and on the remote, and no merge
# was recorded or left a reference behind.
unchanged() {
	expect_eq "$(sha main)" "$2" "(main)"
	expect_eq "$(remote "$1" main)" "$2" "(the remote's main)"
	expect_eq "$(merges)" 0 "(merge records)"
	expect_eq "$(git for-each-ref refs/slipway)" ""
}

no_token_anywhere() {
	! grep -rlF -- "$TOKEN" . "$FAKE_LOG" "$HOME" "$REMOTES" 2>/dev/null || fail "the token was written out"
	! grep -qF -- "$TOKEN" out err 2>/dev/null || fail "the token was printed"
}

merged_through_a_pull_request() {
	project ok-merged
	green
	local head old
	head=$(sha development) old=$(sha main)
	merge >out 2>err
	local to
	to=$(sha main)
	expect_eq "$(cat out)" "merged development@${head:0:7} into main: pull request #1, merged by GitHub as ${to:0:7}, proved by run #1
pull request: https://github.invalid/acme/ok-merged/pull/1"
	expect_eq "$(cat err)" ""
	# GitHub's merge commit, of the old main and the tested head, is main
	# here and there.
	expect_eq "$(remote ok-merged main)" "$to"
	expect_eq "$(git rev-parse "$to^1") $(git rev-parse "$to^2")" "$old $head" "(the merge commit's parents)"
	expect_eq "$(git log -1 --format=%s main)" "Merge pull request #1 from acme/development"
	expect_eq "$(git rev-parse "$to^{tree}")" "$(git rev-parse "$head^{tree}")" "(the tested tree)"
	expect_eq "$(remote ok-merged development)" "$head" "(the pull request's head was pushed)"
	expect_eq "$(merge_json 1 '(j["status"], j["via"], j["pull_request"], j["pull_request_url"], j["from"], j["to"], j["head"], j["run"], j["head_run"], j["pushed"], j["remote"], j["forced"])')" \
		"('merged', 'pull-request', 1, 'https://github.invalid/acme/ok-merged/pull/1', '$old', '$to', '$head', 1, 1, True, 'origin', False)"
	git reflog -1 main | grep -q "slipway merge: pull request #1 of development@${head:0:7}, merged by GitHub"
	expect_eq "$(git for-each-ref refs/slipway)" ""
	# Looked for, opened (its body naming the run), merged with the tested sha.
	expect_eq "$(requests ok-merged | tr '\n' ' ')" "GET /repos/acme/ok-merged/pulls?head=acme%3Adevelopment&base=main&state=open POST /repos/acme/ok-merged/pulls PUT /repos/acme/ok-merged/pulls/1/merge "
	expect_eq "$(body ok-merged POST pulls | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["title"], "|", j["head"], j["base"], "|", j["body"].split("\n")[0])')" \
		"Change feature.txt | development main | development@$head passed every stage in slipway run #1."
	expect_eq "$(body ok-merged PUT pulls/1/merge | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["sha"], j["merge_method"])')" "$head merge"
	$SLIPWAY history --merges | grep -Eq "^#1 +[0-9]+s  development +${old:0:7} → ${to:0:7}  run #1 +origin PR #1 Test Author"
	expect_eq "$($SLIPWAY history --merges --json | json /dev/stdin '(j[0]["via"], j[0]["pull_request"])')" "('pull-request', 1)"
	merge >out 2>err
	expect_eq "$(cat err)" "slipway: main already has development@${head:0:7}: nothing to merge"
	# Main's merge commit of the first pull request is not a change
	# development lacks: the next head goes through a pull request of its own.
	commit_file second.txt "two"
	green
	head=$(sha development)
	merge >out 2>err
	expect_contains "$(head -1 out)" "merged development@${head:0:7} into main: pull request #2, merged by GitHub as"
	expect_eq "$(git rev-parse main^1) $(git rev-parse main^2)" "$to $head"
	expect_eq "$(sha main)" "$(remote ok-merged main)"
	expect_eq "$(merges)" 2
	no_token_anywhere
}

# Main checked out and clean: its files become the merged main's.
checked_out_main_follows() {
	project ok-checkout
	git checkout -q main
	green
	merge --json >../out 2>../err
	expect_eq "$(json ../out '(j["merged"], j["via"], j["pull_request"], j["checkout"])')" "(True, 'pull-request', 1, 'updated')"
	expect_eq "$(cat ../err)" ""
	expect_eq "$(sha HEAD)" "$(remote ok-checkout main)"
	[ -f feature.txt ]
	expect_eq "$(git status --porcelain)" ""
}

# An open pull request of development into main is merged, not a second one.
open_pull_request_is_reused() {
	project ok-reuse
	git push -q origin development
	api POST /repos/acme/ok-reuse/pulls '{"title": "Work in progress", "head": "development", "base": "main"}' >pr.json
	expect_eq "$(json pr.json 'j["number"]')" 1
	commit_file more.txt "more" "Finish the work"
	green
	local head
	head=$(sha development)
	merge >out 2>err
	expect_contains "$(head -1 out)" "merged development@${head:0:7} into main: pull request #1, merged by GitHub"
	expect_eq "$(remote ok-reuse development)" "$head" "(pushed)"
	expect_eq "$(git rev-parse main^2)" "$head"
	expect_eq "$(requests ok-reuse | grep -c '^POST /repos/acme/ok-reuse/pulls$')" 1 "(only the test opened one)"
	# Its head was an older commit: read again after the push, then merged.
	expect_eq "$(requests ok-reuse | grep -v '^POST' | tr '\n' ' ')" "GET /repos/acme/ok-reuse/pulls?head=acme%3Adevelopment&base=main&state=open GET /repos/acme/ok-reuse/pulls/1 PUT /repos/acme/ok-reuse/pulls/1/merge "
	expect_eq "$(merge_json 1 'j["pull_request"]')" 1
	no_token_anywhere
}

# --dry-run and the JSON plan say "via pull request"; GitHub is not asked.
dry_run_says_pull_request() {
	project ok-dry
	green
	local head old
	head=$(sha development) old=$(sha main)
	merge --dry-run >out 2>err
	expect_eq "$(cat out)" "would merge development@${head:0:7} (Change feature.txt) into main via pull request on GitHub, proved by run #1
would push development@${head:0:7} to origin, open (or reuse) its pull request on acme/ok-dry and merge it there while its head is ${head:0:7}"
	merge --dry-run --json >out
	expect_eq "$(json out '(j["action"], j["github"], j["to"], j["run"], j["push"], j["remote"], j["refused"])')" \
		"('pull-request', 'acme/ok-dry', '$head', 1, True, 'origin', None)"
	# --no-push moves local main only: no GitHub, a fast-forward.
	expect_eq "$($SLIPWAY merge --dry-run --no-push --json | json /dev/stdin '(j["action"], j["github"])')" "('fast-forward', None)"
	# No token: said before anything, with what the token needs.
	exits 2 $SLIPWAY merge --dry-run 2>err
	expect_eq "$(cat err)" "slipway: main's slipway.json merges through pull requests (\"github\": {\"pull_requests\": true}), and there is no GITHUB_TOKEN in the environment or in the secrets file $HOME/.config/slipway/secrets (a token with \"Pull requests: write\" and \"Contents: write\")"
	exits 2 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "and there is no GITHUB_TOKEN in the environment"
	expect_eq "$(requests ok-dry)" ""
	unchanged ok-dry "$old"
	expect_eq "$(git -C "$REMOTES/ok-dry.git" for-each-ref refs/heads/development)" "" "(nothing pushed)"
}

# GitHub would make a merge commit no run tested: refused before anything.
changes_on_main_are_refused() {
	project ok-changes
	green
	local head old
	head=$(sha development) old=$(sha main)
	git checkout -q main
	commit_file hotfix.txt "fix" "Hotfix on main"
	local fixed
	fixed=$(sha main)
	git checkout -q development
	exits 1 merge --dry-run 2>err
	expect_eq "$(cat err)" "slipway: main has changes development@${head:0:7} does not have: in pull-request mode GitHub makes the merge commit, and no run would have tested it; merge main into development, run it and merge again; nothing was changed"
	exits 1 merge 2>err
	expect_eq "$(remote ok-changes main)" "$old"
	git branch -f main "$old"
	# The remote's main moved (merged on GitHub): refused once it is fetched.
	git clone -q -b main "$REMOTES/ok-changes.git" ../other
	(cd ../other && commit_file theirs.txt "theirs" "Someone else's change" && git push -q origin main)
	local theirs
	theirs=$(remote ok-changes main)
	exits 1 merge 2>err
	expect_eq "$(cat err)" "slipway: origin's main (${theirs:0:7}) has changes development@${head:0:7} does not have (merged on GitHub meanwhile?): merge origin/main into development, run it and merge again; main stays as it was here (${old:0:7}) and on origin, nothing was merged"
	expect_eq "$(sha main) $(remote ok-changes main) $(merges)" "$old $theirs 0"
	expect_eq "$(requests ok-changes)" "" "(GitHub was not asked)"
	[ "$fixed" != "$old" ]
}

# 405: GitHub will not merge (a review is required); nothing moves.
not_mergeable_is_405() {
	project protected-x
	green
	local head old
	head=$(sha development) old=$(sha main)
	exits 1 merge 2>err
	expect_eq "$(cat err)" "slipway: GitHub will not merge pull request #1: At least 1 approving review is required by reviewers with write access. (required checks or reviews?); main stays as it was here (${old:0:7}) and on origin, nothing was merged"
	unchanged protected-x "$old"
	expect_eq "$(api GET /repos/acme/protected-x/pulls/1 | json /dev/stdin 'j["state"]')" open
	# Tried again: the same pull request, not a second one.
	exits 1 merge 2>err
	expect_eq "$(requests protected-x | grep -c '^POST')" 1
	no_token_anywhere
}

# 409: someone pushed to the remote's development after the run, so the
# pull request's head is no longer the tested commit.
head_moved_is_409() {
	project ok-moved
	green
	local head old
	head=$(sha development) old=$(sha main)
	git push -q origin development
	git clone -q -b development "$REMOTES/ok-moved.git" ../other
	(cd ../other && commit_file later.txt "later" "Untested change" && git push -q origin development)
	local theirs
	theirs=$(remote ok-moved development)
	exits 1 merge 2>err
	expect_eq "$(cat err)" "slipway: development moved on GitHub since it was tested (409): run and merge the new head; main stays as it was here (${old:0:7}) and on origin, nothing was merged"
	unchanged ok-moved "$old"
	expect_eq "$(remote ok-moved development)" "$theirs" "(their commit is not pushed over)"
	expect_eq "$(body ok-moved PUT pulls/1/merge | json /dev/stdin 'j["sha"]')" "$head"
	no_token_anywhere
}

# 401, 403, 404: each says what to do, never the token; nothing is pushed.
refusals_say_what_to_do() {
	project ok-401
	green
	local old
	old=$(sha main)
	GITHUB_TOKEN=wrong-$TOKEN exits 1 $SLIPWAY merge 2>err
	expect_eq "$(cat err)" "slipway: GitHub refused the token from GITHUB_TOKEN in the environment (401 Bad credentials) at GET $API/repos/acme/ok-401/pulls?head=acme%3Adevelopment&base=main&state=open; main stays as it was here (${old:0:7}) and on origin, nothing was merged"
	unchanged ok-401 "$old"
	expect_eq "$(git -C "$REMOTES/ok-401.git" for-each-ref refs/heads/development)" "" "(nothing pushed)"
	# from the secrets file, and named so
	mkdir -p "$HOME/.config/slipway"
	printf 'GITHUB_TOKEN=wrong-%s\n' "$TOKEN" >"$HOME/.config/slipway/secrets"
	chmod 600 "$HOME/.config/slipway/secrets"
	exits 1 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "GitHub refused the token from GITHUB_TOKEN in the secrets file (401 Bad credentials)"
	! grep -qF -- "$TOKEN" err
	rm "$HOME/.config/slipway/secrets"
	cd ..
	rm -rf r
	project denied-x
	green
	exits 1 merge 2>err
	expect_contains "$(cat err)" "(403: Resource not accessible by personal access token): the token needs \"Pull requests: write\" and \"Contents: write\" on acme/denied-x (repo for a classic token)"
	cd ..
	rm -rf r
	project nowhere-x
	green
	exits 1 merge 2>err
	expect_contains "$(cat err)" "slipway: GitHub has no repository acme/nowhere-x, or the token from GITHUB_TOKEN in the environment cannot see it (404 on GET $API/repos/acme/nowhere-x/pulls?"
	no_token_anywhere
}

# A primary rate limit (403, x-ratelimit-remaining 0, reset 2 s away) and
# a secondary one (429, retry-after 1) are waited out, then merged.
rate_limits_are_waited_out() {
	project reset-x
	green
	local start=$SECONDS
	merge >out 2>err
	expect_contains "$(head -1 out)" "merged development@"
	[ $((SECONDS - start)) -ge 1 ] || fail "the rate limit was not waited out"
	expect_eq "$(requests reset-x | head -2 | cut -d' ' -f1 | tr '\n' ' ')" "GET GET " "(asked again after the wait)"
	expect_eq "$(sha main)" "$(remote reset-x main)"
	cd ..
	rm -rf r
	project slowdown-x
	green
	merge >out 2>err
	expect_contains "$(head -1 out)" "merged development@"
	expect_eq "$(sha main)" "$(remote slowdown-x main)"
	no_token_anywhere
}

# What GitHub says reaches the terminal neutralised.
github_text_is_neutralised() {
	project hostile-x
	green
	exits 1 merge >out 2>err
	expect_contains "$(cat err)" "slipway: GitHub will not merge pull request #1: Not mergeable^[[2J^[]0;owned^G"
	! grep -q "$(printf '\033')" err out || fail "an escape reached the terminal"
	! grep -q "$(printf '\007')" err out || fail "a bell reached the terminal"
	! grep -q "$(printf '\302\233')" err out || fail "a CSI reached the terminal"
}

# The dashboard's m asks the core's plan, which says "via pull request".
dashboard_asks_via_pull_request() {
	project ok-dash
	green
	git checkout -q main
	local head
	head=$(sha development)
	printf 'set confirm-protected enter\n' >../config
	printf '%s\n' 'j' 'm' ':dump asked' 'y' >script
	GITHUB_TOKEN=$TOKEN SLIPWAY_CONFIG=$PWD/../config $SLIPWAY --script script --size 240x24 --dump screen
	grep -q "Merge development@${head:0:7} \"Change feature.txt\", proved by run #1, into main via pull request on GitHub (acme/ok-dash): push development to origin, then GitHub merges it while its head is ${head:0:7}? \[y/N\]" asked ||
		fail "the question: $(cat asked)"
	grep -q "merged development@[0-9a-f]\{7\} into main, proved by run #1; pull request #1 merged on GitHub as $(sha main | cut -c1-7)" screen ||
		fail "the status: $(cat screen)"
	expect_eq "$(sha main)" "$(remote ok-dash main)"
	printf '%s\n' 'H' >script
	$SLIPWAY --script script --size 240x24 --dump screen
	grep -q "merge  into main .* development .* from .*, PR #1, run #1, pushed to origin" screen || fail "History: $(cat screen)"
}

# auto_merge in pull-request mode: a merge GitHub refuses (405: a review
# is required) is said once, and not asked again at every pass of a
# watcher that fetches every 5 s (the least it takes).
refused_merge_is_not_asked_at_every_pass() {
	local name=protected-watch
	project "$name" '"watch": {"branches": ["development"], "fetch_interval": 5, "auto_merge": true}'
	green
	local old
	old=$(sha main)
	GITHUB_TOKEN=$TOKEN $SLIPWAY watch >../watch.log 2>../watch.err &
	local pid=$!
	trap "kill $pid 2>/dev/null || true" EXIT
	wait_for 30 grep -q " refused: " ../watch.log || fail "not refused: $(cat ../watch.log ../watch.err)"
	local asked
	asked=$(requests "$name" | grep -c '^PUT .*/merge$')
	expect_eq "$asked" 1 "(merges asked)"
	sleep 11
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	expect_eq "$(requests "$name" | grep -c '^PUT .*/merge$')" 1 "(merges asked two fetches later)"
	expect_eq "$(grep -c ' refused: ' ../watch.log)" 1 "(said once)"
	expect_contains "$(cat ../watch.log)" "(asked again in 10 min, or when the branch moves)"
	unchanged "$name" "$old"
}

# In a real terminal the merge runs beside the keys: while GitHub's rate
# limit (2 s) is waited out, the status says it merges and Help opens and
# closes; then the merge's end is on the status line.
dashboard_keys_answer_while_it_merges() {
	project reset-dash
	green
	git checkout -q main
	printf 'set confirm-protected enter\n' >../config
	tmx new-session -d -x 200 -y 30 -s dash \
		"GITHUB_TOKEN=$TOKEN SLIPWAY_CONFIG=$PWD/../config $SLIPWAY; echo DASHBOARD-EXITED; sleep 60"
	wait_screen 20 'development'
	tmx send-keys -t dash j m
	wait_screen 20 'into main via pull request on GitHub'
	tmx send-keys -t dash y
	wait_screen 10 'merging development into main'
	tmx send-keys -t dash '?'
	wait_screen 10 'Help · keys'
	tmx send-keys -t dash Escape
	wait_screen 20 'merged development@[0-9a-f]\{7\} into main, proved by run #1; pull request #1 merged'
	tmx send-keys -t dash q
	wait_screen 20 DASHBOARD-EXITED
	expect_eq "$(sha main)" "$(remote reset-dash main)"
	no_token_anywhere
}

t_run merged_through_a_pull_request
t_run checked_out_main_follows
t_run open_pull_request_is_reused
t_run dry_run_says_pull_request
t_run changes_on_main_are_refused
t_run not_mergeable_is_405
t_run head_moved_is_409
t_run refusals_say_what_to_do
t_run rate_limits_are_waited_out
t_run github_text_is_neutralised
t_run dashboard_asks_via_pull_request
t_run refused_merge_is_not_asked_at_every_pass
t_run dashboard_keys_answer_while_it_merges
t_done
