# slipway stats: the DORA figures from real deploys (counts, failures,
# restoration) and from journal records written with known times (exact
# medians, windows, environments), as text and JSON.
# timeout: 300
. "$SW_SRCDIR/tests/lib.sh"

# A repository on main whose pipeline passes and whose start hook fails
# while the release has a file "broken"; deployed to $PWD/srv.  Ends inside r.
site() {
	make_repo r <<EOF
{"version": 1, "stages": [{"name": "test", "run": "true"}],
 "deploy": {"path": "$PWD/srv", "hooks": {"start": "test ! -e broken"}}}
EOF
	cd r
}

green() { $SLIPWAY run main --follow >/dev/null; }
deploy() { $SLIPWAY deploy --follow >/dev/null 2>&1 || true; }

real_deploys_are_counted() {
	site
	green
	deploy
	commit_file broken yes "Break the start"
	green
	deploy
	git rm -q broken
	git commit -q -m "Mend the start"
	green
	deploy
	expect_eq "$($SLIPWAY deploys --json | json /dev/stdin '" ".join(d["status"] for d in j)')" \
		"succeeded rolled_back succeeded"
	$SLIPWAY stats >out 2>err || { cat out err; fail "stats failed"; }
	expect_eq "$(cat err)" ""
	expect_eq "$(head -1 out)" "production, last 30 days: 3 deploys"
	grep -q "^  deploy frequency     0.07 a day, 0.5 a week (2 succeeded deploys)$" out || fail "$(cat out)"
	# The first deploy brings its commit; the third the two over the first's.
	grep -q "^  lead time            .* median, of 3 commits in 2 deploys$" out || fail "$(cat out)"
	grep -q "^  change failure rate  33% (1 of 3 deploys)$" out || fail "$(cat out)"
	grep -q "^  time to restore      .* median, of 1 incident$" out || fail "$(cat out)"
	$SLIPWAY stats --json >j.json
	expect_eq "$(json j.json '[(e["environment"], e["deploys"], e["frequency"]["count"], e["lead_time"]["commits"],
		e["change_failure_rate"]["failed"], e["time_to_restore"]["incidents"]) for e in j["environments"]]')" \
		"[('production', 3, 2, 3, 1, 1)]"
}

T0=1780000000
DAY=86400
NOW=$((T0 + 10 * DAY))

# commit_at SECONDS-BEFORE-NOW MESSAGE: a commit with that committer time.
commit_at() {
	echo "$2" >>changes
	git add changes
	GIT_COMMITTER_DATE="@$((NOW - $1)) +0000" git commit -q -m "$2"
	git rev-parse HEAD
}

# record ID KIND ENV COMMIT STATUS FINISHED-SECONDS-BEFORE-NOW: a deploy.json
# as core/deploy_record.c writes it.
record() {
	local dir=.git/slipway/deploys/$1 fin=$(((NOW - $6) * 1000))
	mkdir -p "$dir"
	cat >"$dir/deploy.json" <<EOF
{"schema": 1, "id": $1, "kind": "$2", "environment": "$3", "target": "local", "path": "$PWD/../srv",
 "commit": "$4", "subject": "s", "previous": null, "run": null, "forced": true, "who": "t",
 "status": "$5", "started_ms": $((fin - 60000)), "finished_ms": $fin, "reason": null, "state": null,
 "pid": 0, "steps": []}
EOF
}

journal() {
	site
	local a b c
	a=$(commit_at $((5 * DAY + 3 * 3600)) A)
	b=$(commit_at $((2 * DAY + 3600)) B)
	c=$(commit_at $((2 * DAY + 1800)) C)
	record 1 deploy production "$a" succeeded $((5 * DAY))
	record 2 deploy production "$c" succeeded $((2 * DAY))
	record 3 deploy production "$c" failed $((1 * DAY))
	record 4 rollback production "$a" succeeded $((1 * DAY - 900))
	record 5 deploy staging "$a" succeeded $((3 * 3600))
	: "$b"
	export SLIPWAY_NOW=$NOW
}

exact_figures_per_environment() {
	journal
	$SLIPWAY stats >out
	expect_eq "$(cat out)" "production, last 30 days: 3 deploys
  deploy frequency     0.07 a day, 0.5 a week (2 succeeded deploys)
  lead time            1h 00m median, of 3 commits in 2 deploys
  change failure rate  33% (1 of 3 deploys)
  time to restore      15m 00s median, of 1 incident
staging, last 30 days: 1 deploy
  deploy frequency     0.03 a day, 0.2 a week (1 succeeded deploy)
  lead time            5d 0h median, of 1 commit in 1 deploy
  change failure rate  0% (0 of 1 deploy)
  time to restore      no failed deploy"
	$SLIPWAY stats --json >j.json
	expect_eq "$(json j.json 'j["since_ms"]')" "$(((NOW - 30 * DAY) * 1000))"
	expect_eq "$(json j.json '[e["environment"] for e in j["environments"]]')" "['production', 'staging']"
	expect_eq "$(json j.json 'j["environments"][0]["lead_time"]')" "{'median_s': 3600, 'commits': 3, 'deploys': 2}"
	expect_eq "$(json j.json 'j["environments"][0]["change_failure_rate"]')" "{'failed': 1, 'total': 3, 'pct': 33.333}"
	expect_eq "$(json j.json 'j["environments"][0]["time_to_restore"]')" "{'median_s': 900, 'incidents': 1, 'unrestored': 0}"
	expect_eq "$(json j.json 'j["environments"][1]["time_to_restore"]')" None
}

since_narrows_the_window() {
	journal
	# The failure a day ago is on the window's edge: in.
	$SLIPWAY stats --since 1d >out
	expect_eq "$(sed -n 1p out)" "production, last 1 day: 1 deploy"
	grep -q "^  lead time            no succeeded deploy brought a commit$" out || fail "$(cat out)"
	grep -q "^  change failure rate  100% (1 of 1 deploy)$" out || fail "$(cat out)"
	expect_eq "$($SLIPWAY stats --since 12h | head -1)" "staging, last 12 hours: 1 deploy"
	expect_eq "$($SLIPWAY stats --since 2w --json | json /dev/stdin 'len(j["environments"])')" 2
	expect_eq "$($SLIPWAY stats --since 1h)" "no deploys in the last 1 hour"
	expect_eq "$($SLIPWAY stats --since 1h --json)" '{
	"since_ms":	'"$(((NOW - 3600) * 1000))"',
	"environments":	[]
}'
}

bad_since_is_a_usage_error() {
	journal
	local v
	for v in 30 d 0d -1d 3m 1.5d; do
		exits 2 $SLIPWAY stats --since "$v" >out 2>err
		expect_eq "$(cat err)" "slipway: --since \"$v\": give a number and a unit, as 30d, 2w or 12h"
		expect_eq "$(cat out)" ""
	done
	exits 2 $SLIPWAY stats extra 2>err
	grep -q "usage: slipway stats" err || fail "$(cat err)"
}

env_filters() {
	journal
	$SLIPWAY stats --env staging >out
	expect_eq "$(head -1 out)" "staging, last 30 days: 1 deploy"
	expect_eq "$(wc -l <out)" 5
	expect_eq "$($SLIPWAY stats --env staging --json | json /dev/stdin '[e["environment"] for e in j["environments"]]')" \
		"['staging']"
	expect_eq "$($SLIPWAY stats --env production --since 12h)" "no deploys to production in the last 12 hours"
	expect_eq "$($SLIPWAY stats --env production --since 12h --json | json /dev/stdin 'j["environments"][0]["lead_time"]')" None
}

no_deploys_says_so() {
	site
	expect_eq "$($SLIPWAY stats)" "no deploys in the last 30 days"
}

t_run real_deploys_are_counted
t_run exact_figures_per_environment
t_run since_narrows_the_window
t_run bad_since_is_a_usage_error
t_run env_filters
t_run no_deploys_says_so
t_done
