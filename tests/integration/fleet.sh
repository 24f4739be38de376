# A fleet: "targets" of three hosts, each a real sshd on 127.0.0.1 (its own
# port) in a mount namespace of its own where its own tree is bound on the
# deploy path, so that one path is three hosts' (tests/sshd.sh SSHD_MOUNT).
# A deploy to all three, one at a time; the second failing validation (the
# first taken back, the third never touched); a host that is down; waves of
# max_parallel within min_healthy, read from the journal's times; slipway
# rollback of the whole fleet.
# timeout: 900
. "$SW_SRCDIR/tests/lib.sh"
. "$SW_SRCDIR/tests/sshd.sh"

USER_NAME=$(id -un)
HOSTS=(web1 web2 web3)
SRV=$T_DIR/srv

# host_root N: the tree host N has at $SRV.
host_root() { echo "$T_DIR/root$1"; }
target() { echo "ssh://$USER_NAME@$1"; }

# fleet [EXTRA-DEPLOY-KEYS] [HOST...]: a repository on main whose pipeline
# passes, deployed to the hosts (default web1 web2 web3).  Each host's
# start hook notes the commit it started; validate fails where the host's
# own tree has shared/fail-validate naming the commit (so that the release
# before still passes when it goes back), and takes shared/slow seconds.
fleet() {
	local extra=${1:-} targets="" h
	shift || true
	[ $# -gt 0 ] || set -- "${HOSTS[@]}"
	for h in "$@"; do targets="$targets${targets:+, }\"$(target "$h")\""; done
	for h in 1 2 3; do rm -rf "$(host_root $h)"/* && mkdir -p "$(host_root $h)"; done
	make_repo r <<EOF
{"version": 1, "stages": [{"name": "test", "run": "true"}],
 "deploy": {
   "targets": [$targets],
   "path": "$SRV",
   "shared": ["data"],
   "hooks": {"start": "echo \$SLIPWAY_COMMIT >\$SLIPWAY_DEPLOY_PATH/shared/data/started",
             "validate": "test \\"\$(cat \$SLIPWAY_DEPLOY_PATH/shared/fail-validate 2>/dev/null)\\" != \$SLIPWAY_COMMIT && sleep \$(cat \$SLIPWAY_DEPLOY_PATH/shared/slow 2>/dev/null || echo 0)"}$extra
 }}
EOF
	cd r
	mkdir -p data
	echo "release 1" >data/.keep
	git add -A
	git commit -q -m "Release 1"
}

green() { $SLIPWAY run main --follow >/dev/null; }
release() {
	echo "release $1" >index.txt
	git add -A
	git commit -q -m "Release $1"
}
deploy_json() { $SLIPWAY deploys --json >dj.json && json dj.json "$1"; }
steps() { deploy_json '" ".join(s["name"] + "=" + s["status"] for s in j[0]["steps"])'; }
# on N: the release host N's current names.
on() { readlink "$(host_root "$1")/current" | sed 's|^releases/||'; }

deploys_to_every_host_one_at_a_time() {
	fleet
	green
	$SLIPWAY deploy --dry-run >plan
	grep -q "^would deploy $(git rev-parse --short=7 HEAD) to production (fleet:$SRV), proved by run #1" plan ||
		fail "$(cat plan)"
	$SLIPWAY deploy --follow >out 2>&1 || { cat out; fail "the deploy failed"; }
	grep -q "^deploy #1 succeeded" out || fail "$(cat out)"
	local head h
	head=$(git rev-parse HEAD)
	for h in 1 2 3; do
		expect_eq "$(on $h)" "$head" "(host $h)"
		expect_eq "$(cat "$(host_root $h)/shared/data/started")" "$head" "(host $h's start hook)"
	done
	expect_eq "$(steps)" "$USER_NAME@web1=passed $USER_NAME@web2=passed $USER_NAME@web3=passed sentry=skipped"
	# One journal entry for the fleet; each host's own deploy under it.
	expect_eq "$(deploy_json 'len(j)')" 1
	expect_eq "$(deploy_json '[s.get("deploy") for s in j[0]["steps"][:3]]')" "[2, 3, 4]"
	local rec=.git/slipway/deploys/3/deploy.json
	expect_eq "$(json $rec '(j["parent"], j["target"], j["status"])')" "(1, '$(target web2)', 'succeeded')"
	expect_eq "$(json $rec '[s["status"] for s in j["steps"] if s["name"] == "sentry"]')" "['skipped']"
	grep -q "deploy #3 succeeded" out || fail "the host's outcome is not shown: $(cat out)"
	# One at a time (the default): each host after the one before ended.
	expect_eq "$(deploy_json 'all(j[0]["steps"][i]["started_ms"] >= j[0]["steps"][i-1]["finished_ms"] for i in (1, 2))')" True
	expect_eq "$($SLIPWAY status --json | json /dev/stdin 'j["deploy"]["current"]')" "$head"
	$SLIPWAY deploys >list
	expect_eq "$(sed -n '2,4p' list | awk '{print $1, $2, $3}' | tr '\n' ' ')" \
		"$USER_NAME@web1 #2 passed $USER_NAME@web2 #3 passed $USER_NAME@web3 #4 passed "
}

# The second host fails its validation: it goes back by itself, the first
# is taken back, the third is never touched.
second_host_failing_takes_the_first_back() {
	fleet
	green
	$SLIPWAY deploy --follow >/dev/null 2>&1 || fail "the first deploy failed"
	local first
	first=$(git rev-parse HEAD)
	release 2
	green
	git rev-parse HEAD >"$(host_root 2)/shared/fail-validate"
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	grep -q "^deploy #5 rolled_back" out || fail "$(cat out)"
	local h
	for h in 1 2 3; do expect_eq "$(on $h)" "$first" "(host $h)"; done
	test ! -e "$(host_root 3)/releases/$(git rev-parse HEAD)" || fail "the third host was touched"
	expect_eq "$(steps)" \
		"$USER_NAME@web1=passed $USER_NAME@web2=failed $USER_NAME@web3=skipped sentry=skipped rollback-$USER_NAME@web1=passed"
	expect_eq "$(deploy_json 'j[0]["reason"]')" \
		"$USER_NAME@web2 failed: #7 rolled_back: validate failed: validate hook: exit code 1"
	grep -q "$USER_NAME@web1, $USER_NAME@web2, $USER_NAME@web3 run ${first:0:7}" out || fail "$(cat out)"
	expect_eq "$($SLIPWAY status --json | json /dev/stdin 'j["deploy"]["current"]')" "$first"
}

# A host nobody answers for counts as failed: the hosts before it go back.
# (Last: the third sshd stays down.)
host_that_is_down_is_named() {
	fleet
	green
	$SLIPWAY deploy --follow >/dev/null 2>&1 || fail "the first deploy failed"
	local first
	first=$(git rev-parse HEAD)
	sshd_down "$T_DIR/sshd3" || true
	release 2
	green
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	expect_eq "$(deploy_json 'j[0]["status"]')" rolled_back
	grep -q "$USER_NAME@web3 failed: cannot reach $(target web3)" out || fail "$(cat out)"
	expect_eq "$(deploy_json '[s["name"] for s in j[0]["steps"] if s["name"].startswith("rollback-")]')" \
		"['rollback-$USER_NAME@web1', 'rollback-$USER_NAME@web2']"
	expect_eq "$(on 1) $(on 2)" "$first $first"
	grep -q "$USER_NAME@web1, $USER_NAME@web2 run ${first:0:7}; $USER_NAME@web3 was not changed" out || fail "$(cat out)"
}

# The fleet takes every host's lock at its start and holds it to its end:
# while it is at web1, another repository's deploy to web3 alone is
# refused (before, web3 was free until its turn came, and the fleet could
# end split between two releases).  Its end frees web3.
the_fleet_holds_every_host_to_its_end() {
	fleet
	green
	$SLIPWAY deploy --follow >/dev/null 2>&1 || fail "the first deploy failed"
	release 2
	green
	local fleet_dir=$PWD head
	head=$(git rev-parse HEAD)
	make_repo "$T_DIR/solo" <<EOF2
{"version": 1, "stages": [{"name": "test", "run": "true"}],
 "deploy": {"target": "$(target web3)", "path": "$SRV"}}
EOF2
	(cd "$T_DIR/solo" && $SLIPWAY run main --follow >/dev/null)
	# web1 validates for 3 s once its start hook has noted the commit.
	echo 3 >"$(host_root 1)/shared/slow"
	$SLIPWAY deploy >/dev/null
	wait_for 30 grep -qx "$head" "$(host_root 1)/shared/data/started"
	cd "$T_DIR/solo"
	exits 1 $SLIPWAY deploy >out 2>&1
	expect_eq "$(cat out)" "slipway: another deploy to $SRV is in progress"
	cd "$fleet_dir"
	wait_for 60 fleet_ended
	expect_eq "$(deploy_json 'j[0]["status"]')" succeeded
	expect_eq "$(on 3)" "$head"
	rm -f "$(host_root 1)/shared/slow"
	cd "$T_DIR/solo"
	$SLIPWAY deploy --follow >out 2>&1 || fail "web3 was not freed: $(cat out)"
	expect_eq "$(on 3)" "$(git rev-parse HEAD)"
	rm -rf "$T_DIR/solo"
}
fleet_ended() { [ "$(deploy_json 'j[0]["status"]')" != running ]; }

# max_parallel 2 and min_healthy 1 of 3: two hosts at once, then the third;
# min_healthy 66% allows one at a time only, whatever max_parallel says.
waves_keep_min_healthy() {
	fleet ', "strategy": {"max_parallel": 2, "min_healthy": 1}'
	local h
	for h in 1 2 3; do mkdir -p "$(host_root $h)/shared" && echo 1 >"$(host_root $h)/shared/slow"; done
	green
	$SLIPWAY deploy --follow >/dev/null 2>&1 || fail "the deploy failed"
	local s='j[0]["steps"]'
	expect_eq "$(deploy_json "$s[1]['started_ms'] < $s[0]['finished_ms'] and $s[0]['started_ms'] < $s[1]['finished_ms']")" True \
		"(the first two at once)"
	expect_eq "$(deploy_json "$s[2]['started_ms'] >= max($s[0]['finished_ms'], $s[1]['finished_ms'])")" True \
		"(the third after both)"
	sed -i 's/"min_healthy": 1/"min_healthy": "66%"/' slipway.json
	release 2
	green
	$SLIPWAY deploy --follow >/dev/null 2>&1 || fail "the second deploy failed"
	expect_eq "$(deploy_json "all($s[i]['started_ms'] >= $s[i-1]['finished_ms'] for i in (1, 2))")" True \
		"(one at a time)"
	sed -i 's/"min_healthy": "66%"/"min_healthy": 3/' slipway.json
	release 3
	green
	exits 2 $SLIPWAY deploy 2>err
	expect_eq "$(cat err)" "slipway: deploy.strategy: with 3 hosts, min_healthy 3 keeps 3 serving: none is left to deploy to (lower min_healthy)"
}

rollback_takes_every_host_back() {
	fleet ', "strategy": "all_at_once"'
	green
	$SLIPWAY deploy --follow >/dev/null 2>&1 || fail "the first deploy failed"
	local first
	first=$(git rev-parse HEAD)
	release 2
	green
	$SLIPWAY deploy --follow >/dev/null 2>&1 || fail "the second deploy failed"
	expect_eq "$(on 2)" "$(git rev-parse HEAD)"
	$SLIPWAY rollback --follow >out 2>&1 || { cat out; fail "the rollback failed"; }
	grep -q "^rollback #9 succeeded" out || fail "$(cat out)"
	local h
	for h in 1 2 3; do expect_eq "$(on $h)" "$first" "(host $h)"; done
	expect_eq "$(deploy_json '(j[0]["kind"], j[0]["commit"])')" "('rollback', '$first')"
}

# The Deploys panel: a fleet's deploy opens on one row per host; Enter on a
# host opens that host's own deploy, Esc goes back to the fleet's.
deploys_panel_shows_a_row_per_host() {
	fleet
	green
	$SLIPWAY deploy --follow >/dev/null 2>&1 || fail "the deploy failed"
	export TERM=xterm-256color
	tmx new-session -d -x 150 -y 30 -s dash "$SLIPWAY; echo DASHBOARD-EXITED; sleep 60"
	wait_screen 20 '^─ Branches 1'
	tmx send-keys -t dash P
	wait_screen 10 '^─ Deploys 1 · Esc returns'
	tmx send-keys -t dash Enter
	wait_screen 10 '^─ Deploys · #1 · Esc: the list'
	wait_screen 5 "^ ✓ $USER_NAME@web1  .* passed"
	wait_screen 5 "^▌✓ $USER_NAME@web3  .* passed"
	tmx send-keys -t dash k
	wait_screen 5 "^▌✓ $USER_NAME@web2  .* passed"
	tmx send-keys -t dash Enter
	wait_screen 10 '^─ Deploys · #3 · Esc: the fleet'
	wait_screen 5 '^ ✓ install  .* passed'
	wait_screen 5 '^ - sentry  .* skipped   fleet deploy #1 marks the release once every host has it'
	tmx send-keys -t dash Escape
	wait_screen 10 '^─ Deploys · #1 · Esc: the list'
	wait_screen 5 "^▌✓ $USER_NAME@web2  .* passed"
	tmx send-keys -t dash Q
	wait_screen 10 DASHBOARD-EXITED
}

# Three sshd's, each with its tree bound on $SRV, and one client config
# naming them web1..web3 (web4: a port nobody listens on).
fleet_up() {
	mkdir -p "$SRV"
	local h config=$T_DIR/fleet_ssh_config known=$T_DIR/fleet_known_hosts
	: >"$known"
	: >"$config"
	for h in 1 2 3; do
		mkdir -p "$(host_root $h)"
		SSHD_MOUNT="$(host_root $h):$SRV" sshd_up "$T_DIR/sshd$h" || return 1
		cat "$T_DIR/sshd$h/known_hosts" >>"$known"
		sed -e "s/^Host slipway-test 127.0.0.1$/Host web$h/" \
			-e "s|UserKnownHostsFile .*|UserKnownHostsFile $known|" \
			-e "s/ConnectTimeout 10/ConnectTimeout 5/" "$T_DIR/sshd$h/ssh_config" >>"$config"
	done
	printf 'Host web4\n\tHostName 127.0.0.1\n\tPort %s\n\tBatchMode yes\n\tConnectTimeout 5\n' \
		"$(sshd_free_port)" >>"$config"
	export SLIPWAY_SSH_COMMAND="ssh -F $config"
	# Each host sees its own tree at the one path.
	local seen
	for h in 1 2 3; do echo "host $h" >"$(host_root $h)/whoami"; done
	for h in 1 2 3; do
		seen=$($SLIPWAY_SSH_COMMAND web$h cat "$SRV/whoami" </dev/null) || return 1
		[ "$seen" = "host $h" ] || { echo "  web$h sees '$seen' at $SRV" >&2; return 1; }
	done
}

fleet_down() {
	local h
	for h in 1 2 3; do sshd_down "$T_DIR/sshd$h"; done
}

trap fleet_down EXIT
trap "exit 143" TERM INT
fleet_up || { echo "FAIL: fleet_up"; exit 1; }
t_run deploys_to_every_host_one_at_a_time
t_run second_host_failing_takes_the_first_back
t_run waves_keep_min_healthy
t_run rollback_takes_every_host_back
t_run the_fleet_holds_every_host_to_its_end
t_run deploys_panel_shows_a_row_per_host
t_run host_that_is_down_is_named
t_done
