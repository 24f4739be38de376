# slipway merge on real repositories with bare remotes: only a head that a
# passed run tested reaches main, fast-forward, or through a merge commit
# tested before main moves when main has moved; pushed, one merge at a
# time, every merge recorded; history --merges shows them.
# Pushes go over file://, over ssh to a real sshd started for this script
# (tests/sshd.sh; its host key checked against known_hosts), and over smart
# HTTP with a token (git http-backend behind tests/git_http.py).
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"
. "$SW_SRCDIR/tests/sshd.sh"

# project [REMOTE-URL]: a bare origin.git and a repository r on main (a
# pipeline whose test stage fails when the commit has a file "broken")
# pushed there, development one commit ahead, checked out; ends inside r.
project() {
	local url=${1:-file://$PWD/origin.git}
	git init -q --bare origin.git
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "build", "run": "echo building"},
  {"name": "test", "run": "test ! -e broken"}]}
EOF2
	cd r
	commit_file README.md "the project"
	git remote add origin "$url"
	git push -q origin main 2>/dev/null || true
	git checkout -q -b development
	commit_file feature.txt "new feature"
}

sha() { git rev-parse "$1"; }
remote_main() { git -C ../origin.git rev-parse main; }
merges() { find .git/slipway/merges -name '[0-9]*.json' 2>/dev/null | wc -l; }
merge_json() { json ".git/slipway/merges/$1.json" "$2"; }
green() { $SLIPWAY run "${1:-development}" --follow >/dev/null; }
absent() { if grep -q -- "$1" "$2"; then fail "'$1' found in $2: $(cat "$2")"; fi; }

# Nothing moved: main, development and the remote's main are as given,
# no merge was recorded and the push left no reference behind.
unchanged() {
	expect_eq "$(sha main)" "$1" "(main)"
	expect_eq "$(sha development)" "$2" "(development)"
	expect_eq "$(remote_main)" "$3" "(origin's main)"
	expect_eq "$(merges)" 0 "(merge records)"
	expect_eq "$(git for-each-ref refs/slipway)" ""
}

fast_forward_and_push_over_file_url() {
	project
	green
	local head old
	head=$(sha development) old=$(sha main)
	$SLIPWAY merge >out 2>err
	expect_eq "$(cat out)" "$(printf 'merged development@%.7s into main: fast-forward from %.7s, proved by run #1\npushed main to origin' "$head" "$old")"
	expect_eq "$(cat err)" ""
	expect_eq "$(sha main)" "$head"
	expect_eq "$(remote_main)" "$head"
	expect_eq "$(sha origin/main)" "$head" "(the remote-tracking branch follows)"
	expect_eq "$(merge_json 1 '(j["branch"], j["main"], j["from"], j["to"], j["run"], j["forced"], j["pushed"], j["remote"])')" \
		"('development', 'main', '$old', '$head', 1, False, True, 'origin')"
	expect_eq "$(merge_json 1 'j["who"]')" "Test Author <author@example.invalid>"
	expect_eq "$(git for-each-ref refs/slipway)" ""
	git reflog -1 main | grep -q "slipway merge: fast-forward to development@${head:0:7}, run #1"
	# Again: main has it, nothing to do and nothing recorded.
	$SLIPWAY merge >out 2>err
	expect_eq "$(cat err)" "slipway: main already has development@${head:0:7}: nothing to merge"
	expect_eq "$(merges)" 1
}

refused_without_a_green_run() {
	project
	local head old remote
	head=$(sha development) old=$(sha main) remote=$(remote_main)
	exits 1 $SLIPWAY merge 2>err
	expect_eq "$(cat err)" "slipway: development@${head:0:7} has no passed run; it has never been run: \`slipway run development\` tests it"
	commit_file broken "yes" "Break the tests"
	head=$(sha development)
	exits 1 $SLIPWAY run development --follow >/dev/null
	exits 1 $SLIPWAY merge 2>err
	expect_eq "$(cat err)" "slipway: development@${head:0:7} has no passed run; last run #1 failed at stage test (exit code 1)"
	unchanged "$old" "$head" "$remote"
}

refused_when_the_passed_run_tested_an_older_head() {
	project
	green
	local tested head old remote
	tested=$(sha development)
	commit_file more.txt "untested" "Add an untested change"
	head=$(sha development) old=$(sha main) remote=$(remote_main)
	exits 1 $SLIPWAY merge 2>err
	expect_eq "$(cat err)" "slipway: development@${head:0:7} has no passed run; last run #1 tested ${tested:0:7}, an older commit: \`slipway run development\` tests this one"
	unchanged "$old" "$head" "$remote"
}

# A run of some stages only (--stage) is green but proves nothing.
partial_run_proves_nothing() {
	project
	$SLIPWAY run development --stage build --follow >/dev/null
	expect_eq "$(run_status 1)" passed
	local head old remote
	head=$(sha development) old=$(sha main) remote=$(remote_main)
	exits 1 $SLIPWAY merge 2>err
	expect_eq "$(cat err)" "slipway: development@${head:0:7} has no passed run; last run #1 ran only some stages (--stage)"
	unchanged "$old" "$head" "$remote"
}

force_is_recorded_as_forced() {
	project
	commit_file broken "yes" "Break the tests"
	exits 1 $SLIPWAY run development --follow >/dev/null
	local head
	head=$(sha development)
	$SLIPWAY merge --force >out 2>err
	expect_contains "$(cat out)" "merged development@${head:0:7} into main"
	expect_contains "$(cat out)" "forced (no run proves it)"
	expect_eq "$(cat err)" "slipway: forced: development@${head:0:7} has no passed run; last run #1 failed at stage test (exit code 1)"
	expect_eq "$(sha main)" "$head"
	expect_eq "$(remote_main)" "$head"
	expect_eq "$(merge_json 1 '(j["forced"], j["run"], j["pushed"])')" "(True, None, True)"
	$SLIPWAY history --merges | grep -q "^#1 .* forced "
	git reflog -1 main | grep -q "forced"
}

# diverged FILE: development green, and main given a commit of its own
# (FILE) that development does not have; development checked out.
diverged() {
	project
	green
	git checkout -q main
	commit_file "$1" "fix" "Hotfix on main"
	git push -q origin main
	git checkout -q development
}

# Main has moved: the merge commit is made without touching the work
# tree, tested by a run of its own on main, and main moves only then.
diverged_main_gets_a_tested_merge_commit() {
	diverged hotfix.txt
	local head old
	head=$(sha development) old=$(sha main)
	$SLIPWAY merge --dry-run >out
	expect_eq "$(head -1 out)" "would merge development@${head:0:7} (Change feature.txt) into main: ${old:0:7} has moved, so a merge commit is made and tested by a run first; the branch's head proved by run #1"
	expect_eq "$($SLIPWAY merge --dry-run --json | json /dev/stdin 'j["action"]')" merge-commit
	$SLIPWAY merge >out 2>err
	local to
	to=$(sha main)
	expect_eq "$(git rev-parse "$to^1") $(git rev-parse "$to^2")" "$old $head" "(the merge commit's parents)"
	expect_eq "$(git log -1 --format=%s main)" "Merge branch 'development' into main"
	expect_eq "$(head -1 err)" "slipway: main has moved: merge commit ${to:0:7} is tested by run #2, and main moves to it only if that passes"
	grep -q "^run 2 passed$" out
	expect_eq "$(tail -2 out)" "$(printf 'merged development@%.7s into main: merge commit %.7s of %.7s, tested by run #2\npushed main to origin' "$head" "$to" "$old")"
	expect_eq "$(remote_main)" "$to"
	expect_eq "$(json "$(run_json 2)" '(j["branch"], j["commit"], j["trigger"], j["status"])')" "('main', '$to', 'merge', 'passed')"
	expect_eq "$(merge_json 1 '(j["status"], j["via"], j["from"], j["to"], j["head"], j["run"], j["head_run"], j["pushed"])')" \
		"('merged', 'merge-commit', '$old', '$to', '$head', 2, 1, True)"
	expect_eq "$(git for-each-ref refs/slipway)" "" "(no reference left behind)"
	git reflog -1 main | grep -q "slipway merge: merge commit of development@${head:0:7}, tested by run #2"
	# development was checked out: its files are as they were
	[ ! -e hotfix.txt ] && [ -e feature.txt ]
	expect_eq "$(git status --porcelain --untracked-files=no)" ""
	# The merged main is what a deploy can prove: a green run of main's head.
	$SLIPWAY status --json | json /dev/stdin 'j["merge_testing"]' | grep -qx None
	$SLIPWAY merge >out 2>err
	expect_eq "$(cat err)" "slipway: main already has development@${head:0:7}: nothing to merge"
}

# The merge commit's run fails: main, the remote and the work tree stay.
failed_merge_commit_leaves_main() {
	diverged broken
	local head old remote
	head=$(sha development) old=$(sha main) remote=$(remote_main)
	exits 1 $SLIPWAY merge >out 2>err
	grep -q "^run 2 failed$" out
	local to
	to=$(json "$(run_json 2)" 'j["commit"]')
	expect_eq "$(tail -1 err)" "slipway: the merge commit ${to:0:7} of development@${head:0:7} and main@${old:0:7} did not pass: run #2 failed at stage test (exit code 1); main stays at ${old:0:7}"
	expect_eq "$(sha main) $(remote_main) $(sha development)" "$old $remote $head"
	expect_eq "$(git for-each-ref refs/slipway)" ""
	expect_eq "$(merge_json 1 '(j["status"], j["via"], j["to"], j["run"], j["pushed"], j["reason"][:16])')" \
		"('failed', 'merge-commit', '$to', 2, False, 'the merge commit')"
	$SLIPWAY history --merges | grep -Eq "^#1 +[0-9]+s  development +${old:0:7} ✗ ${to:0:7}  run #2 +failed "
	$SLIPWAY merge --json 2>/dev/null >j || true
	expect_eq "$(json j '(j["merged"], j["status"], j["run"])')" "(False, 'failed', 3)"
}

merge_conflict_names_the_paths() {
	diverged feature.txt
	local head old remote
	head=$(sha development) old=$(sha main) remote=$(remote_main)
	exits 1 $SLIPWAY merge 2>err
	expect_eq "$(cat err)" "slipway: development and main conflict in feature.txt: merge main into development, resolve, commit and test that; nothing was changed"
	unchanged "$old" "$head" "$remote"
	expect_eq "$($SLIPWAY history | grep -c '^#')" 1 "(no run was started)"
}

# While the merge commit is tested: status says so, a second merge is
# refused, and main moving meanwhile keeps the merge commit out.
main_moving_during_the_test_keeps_main() {
	project
	touch ../go
	cat >slipway.json <<EOF2
{"version": 1, "stages": [
  {"name": "wait", "run": "while [ ! -f $(dirname "$PWD")/go ]; do sleep 0.05; done"},
  {"name": "test", "run": "test ! -e broken"}]}
EOF2
	git commit -qam "A stage that waits"
	green
	git checkout -q main
	commit_file hotfix.txt "fix" "Hotfix on main"
	git checkout -q development
	rm ../go
	local head old
	head=$(sha development) old=$(sha main)
	$SLIPWAY merge --no-wait >out 2>err
	expect_eq "$(cat out)" 2
	wait_for 20 grep -q '"status": *"running"' .git/slipway/runs/2/run.json
	$SLIPWAY status >st
	grep -q "^merge: development into main is being tested: merge commit [0-9a-f]\{7\}, run #2$" st
	expect_eq "$($SLIPWAY status --json | json /dev/stdin '(j["merge_testing"]["branch"], j["merge_testing"]["run"])')" "('development', 2)"
	exits 1 $SLIPWAY merge 2>err2
	expect_contains "$(cat err2)" "slipway: another merge is in progress"
	git checkout -q main
	commit_file later.txt "later" "Someone commits to main"
	git checkout -q development
	local moved
	moved=$(sha main)
	touch ../go
	wait_for 30 test -e .git/slipway/merges/1.json
	expect_eq "$(merge_json 1 'j["status"]')" failed
	expect_contains "$(merge_json 1 'j["reason"]')" "main moved to ${moved:0:7} while run #2 tested the merge commit"
	expect_eq "$(sha main)" "$moved"
	expect_eq "$(git for-each-ref refs/slipway)" ""
	wait_for 10 sh -c '! $SLIPWAY status | grep -q "^merge:"'
}

# Someone pushed to the remote's main after we last looked: the push is
# refused and local main stays where it was.  A plain path as the URL.
push_rejected_keeps_local_main() {
	project "$PWD/origin.git"
	green
	git clone -q -b main ../origin.git ../other
	(cd ../other && commit_file theirs.txt "theirs" "Someone else's change" && git push -q origin main)
	local head old theirs
	head=$(sha development) old=$(sha main) theirs=$(remote_main)
	exits 1 $SLIPWAY merge 2>err
	expect_eq "$(cat err)" "slipway: push rejected: origin's main has commits development does not have (someone pushed to it meanwhile): fetch, merge origin/main into development and test it; local main stays at ${old:0:7}, nothing was merged"
	unchanged "$old" "$head" "$theirs"
	expect_eq "$(sha origin/main)" "$old" "(the remote-tracking branch did not move)"
}

unreachable_or_missing_remote() {
	project "$PWD/nowhere.git"
	green
	local head old
	head=$(sha development) old=$(sha main)
	exits 1 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "slipway: cannot reach origin ($(cd .. && pwd)/nowhere.git): no repository there"
	expect_contains "$(cat err)" "; local main stays at ${old:0:7}, nothing was merged"
	# An ssh remote nobody answers at: said, nothing moves.
	git remote set-url origin ssh://git@127.0.0.1:1/x.git
	exits 1 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "slipway: cannot reach origin (ssh://git@127.0.0.1:1/x.git): "
	# The push URL is the one that counts.
	git remote set-url origin "$(cd .. && pwd)/elsewhere.git"
	git config remote.origin.pushurl "$(cd .. && pwd)/nowhere.git"
	exits 1 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "slipway: cannot reach origin ($(cd .. && pwd)/nowhere.git): no repository there"
	git config --unset remote.origin.pushurl
	# A remote asking for credentials, with no token anywhere.
	python3 - >../port <<'EOF2' &
import http.server, socketserver, sys
class Deny(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_POST = do_GET
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), Deny)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF2
	local server=$!
	wait_for 10 test -s ../port
	git remote set-url origin "http://127.0.0.1:$(cat ../port)/x.git"
	exits 1 $SLIPWAY merge 2>err || { kill $server; return 1; }
	kill $server
	expect_contains "$(cat err)" "slipway: authentication to origin (http://127.0.0.1:$(cat ../port)/x.git) failed: the remote asks for credentials: put a token in GIT_TOKEN (the environment or the secrets file $HOME/.config/slipway/secrets); local main stays at ${old:0:7}"
	# A token in the URL never reaches the screen.
	git remote set-url origin https://someone:s3cr3t-token@127.0.0.1:1/x.git
	exits 1 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "(https://someone:***@127.0.0.1:1/x.git)"
	absent s3cr3t err
	expect_eq "$(sha main)" "$old"
	expect_eq "$(merges)" 0
	git remote remove origin
	exits 2 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "slipway: no remote named \"origin\" to push main to"
	$SLIPWAY merge --no-push >/dev/null
	expect_eq "$(sha main)" "$head"
}

no_push_moves_local_main_only() {
	project
	green
	local head remote
	head=$(sha development) remote=$(remote_main)
	$SLIPWAY merge --no-push >out
	expect_contains "$(cat out)" "not pushed (--no-push)"
	expect_eq "$(sha main)" "$head"
	expect_eq "$(remote_main)" "$remote"
	expect_eq "$(merge_json 1 '(j["pushed"], j["remote"], j["run"])')" "(False, None, 1)"
	$SLIPWAY history --merges | grep -q "^#1 .* not pushed "
}

# main, its integration branch and the remote are the repository's choice:
# the branch's own slipway.json naming others changes nothing.
policy_names_main_and_remote() {
	git init -q --bare up.git
	git init -q --bare decoy.git
	make_repo r <<'EOF2'
{"version": 1, "integration": "dev", "remote": "upstream", "stages": [{"name": "a", "run": "true"}]}
EOF2
	cd r
	git remote add upstream ../up.git
	git remote add origin ../decoy.git
	git push -q upstream main
	git checkout -q -b dev
	cat >slipway.json <<'EOF2'
{"version": 1, "main": "dev", "integration": "other", "remote": "origin", "stages": [{"name": "a", "run": "true"}]}
EOF2
	git commit -q -am "Name another main and remote"
	green dev
	$SLIPWAY merge --json >out
	expect_eq "$(json out '(j["merged"], j["branch"], j["main"], j["remote"])')" "(True, 'dev', 'main', 'upstream')"
	expect_eq "$(git -C ../up.git rev-parse main)" "$(sha dev)"
	expect_eq "$(git -C ../decoy.git for-each-ref)" ""
}

# A merge holding the lock keeps another out; two started at once never
# both merge.  The lock is held by flock(1) on the same file, released
# through a FIFO: no sleeps.
two_merges_never_interleave() {
	project
	green
	local head old remote
	head=$(sha development) old=$(sha main) remote=$(remote_main)
	mkfifo locked release
	flock .git/slipway/merge.lock sh -c 'echo >locked; read x <release' &
	local holder=$!
	read -r _ <locked
	exits 1 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "slipway: another merge is in progress"
	unchanged "$old" "$head" "$remote"
	echo >release
	wait $holder
	local rc1=0 rc2=0 p1 p2
	$SLIPWAY merge >o1 2>e1 &
	p1=$!
	$SLIPWAY merge >o2 2>e2 &
	p2=$!
	wait $p1 || rc1=$?
	wait $p2 || rc2=$?
	expect_eq "$(cat o1 o2 | grep -c '^merged ')" 1
	expect_eq "$(merges)" 1
	expect_eq "$(sha main)" "$head"
	expect_eq "$(remote_main)" "$head"
	# The other one found the lock taken, or main already merged.
	local e
	for e in "$rc1:e1" "$rc2:e2"; do
		case ${e%%:*} in
		0) ;;
		1) grep -q "another merge is in progress" "${e#*:}" ;;
		*) fail "exit ${e%%:*}: $(cat "${e#*:}")" ;;
		esac
	done
}

history_lists_merges() {
	project
	green
	$SLIPWAY merge >/dev/null
	local first
	first=$(sha development)
	commit_file second.txt "two"
	green
	$SLIPWAY merge >/dev/null
	$SLIPWAY history --merges >out
	expect_eq "$(wc -l <out)" 2
	head -1 out | grep -Eq "^#2 +[0-9]+s  development +${first:0:7} → $(sha main | cut -c1-7)  run #2 +origin +Test Author <author@example.invalid>$"
	sed -n 2p out | grep -q "^#1 "
	$SLIPWAY history --merges --json >j
	expect_eq "$(json j '[(m["id"], m["run"], m["pushed"]) for m in j]')" "[(2, 2, True), (1, 1, True)]"
	expect_eq "$(json j 'j[0]["from"] == j[1]["to"]')" True
	json j 'j[0]["at"]' | grep -Eq '^20[0-9-]{8}T[0-9:]{8}Z$'
	expect_eq "$($SLIPWAY history --merges --limit 1 --json | json /dev/stdin 'len(j)')" 1
	expect_eq "$($SLIPWAY history --merges --branch other --json | json /dev/stdin 'len(j)')" 0
	# plain history still lists the runs
	expect_eq "$($SLIPWAY history | grep -c '^#')" 2
}

clean_checked_out_main_is_updated() {
	project
	git checkout -q main
	green
	local head
	head=$(sha development)
	$SLIPWAY merge --json >../out 2>../err
	expect_eq "$(json ../out 'j["checkout"]')" updated
	expect_eq "$(cat ../err)" ""
	expect_eq "$(sha HEAD)" "$head"
	[ -f feature.txt ]
	expect_eq "$(git status --porcelain)" ""
}

# An untracked file where the merge brings one: kept, and the user told.
untracked_file_in_the_way_is_kept() {
	project
	git checkout -q main
	green
	echo "mine" >feature.txt
	$SLIPWAY merge --json >../out 2>../err
	expect_eq "$(json ../out '(j["merged"], j["checkout"])')" "(True, 'left')"
	expect_contains "$(cat ../err)" "slipway: main is checked out in $PWD, which could not be updated: "
	expect_eq "$(cat feature.txt)" mine
	expect_eq "$(sha main)" "$(sha development)"
}

dirty_checked_out_main_is_left() {
	project
	git checkout -q main
	green
	echo "my local change" >>README.md
	local head old
	head=$(sha development) old=$(sha main)
	$SLIPWAY merge >../out 2>../err
	expect_eq "$(cat ../err)" "slipway: main is checked out in $PWD, which has uncommitted changes: its files were left as they were (the old main, ${old:0:7}), so \`git status\` shows the merge undone there; \`git read-tree -m -u ${old:0:7} main\` brings them to the new main and keeps your changes"
	expect_eq "$(sha main)" "$head"
	expect_eq "$(remote_main)" "$head"
	[ ! -e feature.txt ]
	grep -q "my local change" README.md
	# The advice works.
	git read-tree -m -u "${old:0:7}" main
	[ -f feature.txt ]
	expect_eq "$(git status --porcelain)" " M README.md"
}

usage_and_untrusted_names() {
	project
	exits 2 $SLIPWAY merge main 2>err
	expect_eq "$(cat err)" "slipway: main is main: name the branch to merge into it (slipway merge BRANCH)"
	exits 2 $SLIPWAY merge nosuch 2>err
	expect_eq "$(cat err)" 'slipway: no local branch named "nosuch"'
	exits 2 $SLIPWAY merge a b 2>/dev/null
	exits 2 $SLIPWAY merge --frobnicate 2>/dev/null
	$SLIPWAY merge --help | grep -q -- '--no-push'
	# A branch name with a C1 control (CSI) reaches the terminal neutralised.
	local evil
	evil=$(printf 'dev\302\2332J')
	git branch "$evil"
	exits 1 $SLIPWAY merge "$evil" 2>err
	expect_contains "$(cat err)" "has no passed run"
	absent "$(printf '\302\233')" err
}

# --dry-run: the plan by the checks merge itself makes (sw_merge_plan), the
# same refusals word for word, and nothing moves, not even the lock file.
dry_run_plans_and_moves_nothing() {
	project
	local head old remote
	head=$(sha development) old=$(sha main) remote=$(remote_main)
	exits 1 $SLIPWAY merge --dry-run 2>err
	expect_eq "$(cat err)" "slipway: development@${head:0:7} has no passed run; it has never been run: \`slipway run development\` tests it"
	exits 1 $SLIPWAY merge --dry-run --json >out 2>/dev/null
	expect_eq "$(json out '(j["action"], j["to"] == "'"$head"'", j["run"], j["refused"].endswith("has no passed run; it has never been run: `slipway run development` tests it"))')" "('fast-forward', True, None, True)"
	green
	$SLIPWAY merge --dry-run >out 2>err
	expect_eq "$(cat out)" "$(printf 'would merge development@%.7s (Change feature.txt) into main: fast-forward from %.7s, proved by run #1\nwould push main to origin' "$head" "$old")"
	expect_eq "$(cat err)" ""
	$SLIPWAY merge --dry-run --no-push --json >out
	expect_eq "$(json out '(j["action"], j["branch"], j["main"], j["from"], j["to"], j["subject"], j["run"], j["push"], j["remote"], j["refused"], j["notes"])')" \
		"('fast-forward', 'development', 'main', '$old', '$head', 'Change feature.txt', 1, False, None, None, [])"
	$SLIPWAY merge --dry-run --no-push | tail -1 | grep -q -- 'would push main: no, --no-push'
	unchanged "$old" "$head" "$remote"
	[ ! -e .git/slipway/merge.lock ] || fail "a dry run took the lock"
	# diverged main: a merge commit is planned, nothing made
	git checkout -q main
	commit_file hotfix.txt "fix" "Hotfix on main"
	git checkout -q development
	local objects
	objects=$(git count-objects | cut -d' ' -f1)
	expect_eq "$($SLIPWAY merge --dry-run --json | json /dev/stdin '(j["action"], j["refused"])')" "('merge-commit', None)"
	expect_eq "$(git for-each-ref refs/slipway)" ""
	git branch -f main "$old"
	# no remote: refused as merge refuses it, unless --no-push
	git remote rename origin elsewhere
	exits 2 $SLIPWAY merge --dry-run 2>err
	expect_contains "$(cat err)" "slipway: no remote named \"origin\" to push main to"
	$SLIPWAY merge --dry-run --no-push >/dev/null
	git remote rename elsewhere origin
	# nothing to merge
	$SLIPWAY merge >/dev/null
	$SLIPWAY merge --dry-run >out 2>err
	expect_eq "$(cat out)" ""
	expect_eq "$(cat err)" "slipway: main already has development@${head:0:7}: nothing to merge"
	expect_eq "$($SLIPWAY merge --dry-run --json | json /dev/stdin '(j["action"], j["notes"][0][-16:])')" "('nothing', 'nothing to merge')"
	expect_eq "$(merges)" 1
	# a bad branch is bad usage, as for merge
	exits 2 $SLIPWAY merge --dry-run nosuch 2>err
	expect_eq "$(cat err)" 'slipway: no local branch named "nosuch"'
	$SLIPWAY merge --help | grep -q -- '--dry-run'
}

# ssh_home: a HOME of the test's own whose ~/.ssh has the sshd's client
# key and its host key in known_hosts; no agent, no tokens.
ssh_home() {
	export HOME=$PWD/home
	unset SSH_AUTH_SOCK GIT_TOKEN GITHUB_TOKEN
	mkdir -p "$HOME/.ssh"
	chmod 700 "$HOME/.ssh"
	cp "$SSHD_DIR/client_key" "$HOME/.ssh/id_ed25519"
	cp "$SSHD_DIR/client_key.pub" "$HOME/.ssh/id_ed25519.pub"
	host_line "$SSHD_DIR/host_key.pub" >"$HOME/.ssh/known_hosts"
}

host_line() { printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$1")"; }

# Over ssh to the script's sshd: libgit2's ssh with the user's key, and the
# host key checked against known_hosts (plain, hashed, unknown, changed).
push_over_ssh_checks_the_host_key() {
	ssh_home
	project "ssh://$(id -un)@127.0.0.1:$SSHD_PORT$PWD/origin.git"
	git push -q "$PWD/../origin.git" main
	green
	local head old url
	head=$(sha development) old=$(sha main) url="ssh://$(id -un)@127.0.0.1:$SSHD_PORT$(cd .. && pwd)/origin.git"
	# not in known_hosts: refused before any key is offered
	: >"$HOME/.ssh/known_hosts"
	exits 1 $SLIPWAY merge 2>err
	expect_eq "$(cat err)" "slipway: origin ($url) was not trusted: [127.0.0.1]:$SSHD_PORT is not in $HOME/.ssh/known_hosts (nor /etc/ssh/ssh_known_hosts): connect once with ssh to check its key and keep it, then push again; local main stays at ${old:0:7}, nothing was merged"
	# another key for it: refused, and said how
	ssh-keygen -q -t ed25519 -N '' -f other_key
	host_line other_key.pub >"$HOME/.ssh/known_hosts"
	exits 1 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "was not trusted: the host key of [127.0.0.1]:$SSHD_PORT is not the one known_hosts has for it"
	# revoked
	printf '@revoked %s\n' "$(host_line "$SSHD_DIR/host_key.pub")" >"$HOME/.ssh/known_hosts"
	host_line "$SSHD_DIR/host_key.pub" >>"$HOME/.ssh/known_hosts"
	exits 1 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "is marked @revoked in known_hosts"
	# no key accepted
	host_line "$SSHD_DIR/host_key.pub" >"$HOME/.ssh/known_hosts"
	mv "$HOME/.ssh/id_ed25519" "$HOME/.ssh/id_ed25519.away"
	cp other_key "$HOME/.ssh/id_rsa"
	exits 1 $SLIPWAY merge 2>err
	expect_contains "$(cat err)" "slipway: authentication to origin ($url) failed: no ssh key was accepted for $(id -un)"
	expect_eq "$(sha main) $(remote_main)" "$old $old"
	rm "$HOME/.ssh/id_rsa"
	mv "$HOME/.ssh/id_ed25519.away" "$HOME/.ssh/id_ed25519"
	# the right key, the host hashed in known_hosts as ssh-keygen -H writes it
	ssh-keygen -q -H -f "$HOME/.ssh/known_hosts" 2>/dev/null
	grep -q '^|1|' "$HOME/.ssh/known_hosts"
	$SLIPWAY merge >out 2>err
	expect_eq "$(tail -1 out)" "pushed main to origin"
	expect_eq "$(sha main) $(remote_main)" "$head $head"
	expect_eq "$(merge_json 1 '(j["pushed"], j["remote"])')" "(True, 'origin')"
}

# Over smart HTTP: git http-backend wants a token, which comes from
# GIT_TOKEN (or GITHUB_TOKEN) in the environment or the secrets file.
push_over_http_sends_the_token() {
	export HOME=$PWD/home
	unset SSH_AUTH_SOCK GIT_TOKEN GITHUB_TOKEN
	mkdir -p "$HOME"
	local token="tok-$RANDOM$RANDOM"
	GIT_HTTP_TOKEN=$token /usr/bin/python3 "$SW_SRCDIR/tests/git_http.py" "$PWD" port 2>http.log &
	local server=$!
	# shellcheck disable=SC2064
	trap "kill $server 2>/dev/null || true" EXIT
	wait_for 10 test -s port
	git init -q --bare origin.git
	git -C origin.git config http.receivepack true
	local url="http://127.0.0.1:$(cat port)/origin.git"
	project "$url"
	git push -q "$(cd .. && pwd)/origin.git" main
	green
	local head old
	head=$(sha development) old=$(sha main)
	# the wrong token: refused by the server, said, nothing moves
	GIT_TOKEN=wrong-$token exits 1 $SLIPWAY merge 2>err
	expect_eq "$(cat err)" "slipway: authentication to origin ($url) failed: the remote refused the token (GIT_TOKEN); local main stays at ${old:0:7}, nothing was merged"
	# the right one, from the secrets file (GITHUB_TOKEN there)
	mkdir -p "$HOME/.config/slipway"
	printf 'GITHUB_TOKEN=%s\n' "$token" >"$HOME/.config/slipway/secrets"
	chmod 600 "$HOME/.config/slipway/secrets"
	$SLIPWAY merge >out 2>err
	expect_eq "$(tail -1 out)" "pushed main to origin"
	expect_eq "$(remote_main)" "$head"
	grep -q "^POST /origin.git/git-receive-pack 200$" ../http.log || fail "no push reached the server: $(cat ../http.log)"
	# from the environment
	commit_file second.txt "two"
	green
	rm "$HOME/.config/slipway/secrets"
	GIT_TOKEN=$token $SLIPWAY merge >out 2>err
	expect_eq "$(remote_main)" "$(sha development)"
	absent "$token" err
	absent "$token" out
	! grep -rqF "$token" .git/slipway || fail "the token is in .git/slipway"
}

SSHD=$T_DIR/sshd
trap 'sshd_down "$SSHD"' EXIT
trap "exit 143" TERM INT
sshd_up "$SSHD" || { echo "FAIL: sshd_up"; exit 1; }
t_run fast_forward_and_push_over_file_url
t_run refused_without_a_green_run
t_run refused_when_the_passed_run_tested_an_older_head
t_run partial_run_proves_nothing
t_run force_is_recorded_as_forced
t_run diverged_main_gets_a_tested_merge_commit
t_run failed_merge_commit_leaves_main
t_run merge_conflict_names_the_paths
t_run main_moving_during_the_test_keeps_main
t_run push_rejected_keeps_local_main
t_run unreachable_or_missing_remote
t_run no_push_moves_local_main_only
t_run policy_names_main_and_remote
t_run two_merges_never_interleave
t_run history_lists_merges
t_run clean_checked_out_main_is_updated
t_run dirty_checked_out_main_is_left
t_run untracked_file_in_the_way_is_kept
t_run usage_and_untrusted_names
t_run dry_run_plans_and_moves_nothing
t_run push_over_ssh_checks_the_host_key
t_run push_over_http_sends_the_token
t_done
