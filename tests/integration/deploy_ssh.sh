# slipway deploy to an ssh:// target: a real sshd on 127.0.0.1 started for
# this script (tests/sshd.sh), a key made here, SLIPWAY_SSH_COMMAND naming
# the client's configuration.  The same site as deploy.sh, deployed,
# rolled back by itself and by hand, locked, and the connection's failures
# said clearly.
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"
. "$SW_SRCDIR/tests/sshd.sh"
. "$SW_SRCDIR/tests/deploy_site.sh"

ssh_site() {
	DEPLOY_TARGET=$SSH_TARGET site "$@"
}

deploys_over_ssh_and_rolls_back() {
	ssh_site
	green
	$SLIPWAY deploy --follow >out 2>&1 || { cat out; fail "the deploy failed"; }
	grep -q "sent the tree of $(git rev-parse --short=7 HEAD) to $SSH_TARGET" out || fail "$(cat out)"
	expect_eq "$(page)" "release 1"
	expect_eq "$(current)" "releases/$(git rev-parse HEAD)"
	test -L ../srv/current/data
	sqlite3 ../srv/shared/data/db.sqlite3 "create table t(x); insert into t values (1), (2);"
	git rm -q www/ok.html
	release 2
	green
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	grep -q "^deploy #2 rolled_back" out || fail "not rolled back: $(cat out)"
	grep -q "health failed: http://127.0.0.1:$PORT/ok.html answered 404" out || fail "$(cat out)"
	expect_eq "$(page)" "release 1"
	expect_eq "$(sqlite3 ../srv/backups/2/data/db.sqlite3 'select count(*) from t')" 2
	expect_eq "$(stat -c %a ../srv/backups/2/data/db.sqlite3)" 600
	# No script with the hooks' variables is left in the journal.
	expect_eq "$(ls .git/slipway/deploys/2/ | grep -c '\.sh$' || true)" 0
	$SLIPWAY rollback --dry-run >out 2>&1 || { cat out; fail "rollback --dry-run"; }
	stop_site
}

rollback_by_hand_over_ssh() {
	ssh_site
	green
	$SLIPWAY deploy --follow >/dev/null
	local first=$(git rev-parse HEAD)
	# A release bigger than the lock's session takes (4 MB of tar) goes
	# in a session of its own.
	head -c 5000000 /dev/urandom >www/big.bin && git add www/big.bin
	release 2
	green
	$SLIPWAY deploy --follow >out 2>&1 || { cat out; fail "the deploy of a big release failed"; }
	grep -q "sent the tree of $(git rev-parse --short=7 HEAD) to $SSH_TARGET" out || fail "$(cat out)"
	cmp www/big.bin ../srv/current/www/big.bin || fail "the big file did not arrive whole"
	expect_eq "$(page)" "release 2"
	$SLIPWAY rollback --follow >out 2>&1 || { cat out; fail "the rollback failed"; }
	expect_eq "$(page)" "release 1"
	expect_eq "$(current)" "releases/$first"
	stop_site
}

one_deploy_at_a_time_over_ssh() {
	ssh_site
	sed -i 's/"validate": ""/"validate": "sleep 4"/' slipway.json
	git commit -q -am "A slow validate hook"
	green
	$SLIPWAY deploy >/dev/null
	exits 1 $SLIPWAY deploy --force 2>err
	grep -q "deploy #1 to .*/srv is in progress" err || fail "$(cat err)"
	deploy_done() { [ "$(deploy_json 'j[0]["status"]')" = succeeded ]; }
	wait_for 60 deploy_done
	# The lock went with the deploy: the next one takes it.
	$SLIPWAY deploy --force --follow >/dev/null 2>&1 || fail "the lock was left behind"
	stop_site
}

# What the install's script says when it fails is the step's reason, and
# it leaves nothing half-made on the target.
install_failure_is_said_over_ssh() {
	ssh_site
	sed -i 's|"shared": \["data"\]|"shared": ["data", "settings.env"]|' slipway.json
	git commit -q -am "A shared settings file"
	green
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	grep -q "^deploy #1 failed" out || fail "$(cat out)"
	expect_eq "$(deploy_json 'j[0]["reason"]')" \
		"install failed: cannot install the release on $SSH_TARGET: shared/settings.env is missing: neither $(dirname "$PWD")/srv/shared/settings.env nor the release has it; create it on the target before deploying (exit code 1)"
	expect_eq "$(ls -A ../srv/releases)" ""
	test ! -e ../srv/current || fail "current was made"
}

host_key_problem_is_said() {
	ssh_site
	green
	sshd_unknown_host_config "$SSHD"
	SLIPWAY_SSH_COMMAND="ssh -F $SSHD/ssh_config_unknown" exits 1 $SLIPWAY deploy 2>err
	grep -q "cannot reach $SSH_TARGET: Host key verification failed. (the host's key" err || fail "$(cat err)"
	expect_eq "$(deploy_json 'len(j)')" 0
	test ! -e ../srv || fail "something was made on the target"
}

unreachable_target_is_said() {
	local port
	port=$(free_port)
	DEPLOY_TARGET="ssh://$(id -un)@127.0.0.1:$port" site
	green
	exits 1 $SLIPWAY deploy 2>err
	grep -q "cannot reach ssh://$(id -un)@127.0.0.1:$port: ssh: connect to host 127.0.0.1 port $port: Connection refused" err ||
		fail "$(cat err)"
	expect_eq "$(deploy_json 'len(j)')" 0
}

SSHD=$T_DIR/sshd
trap 'sshd_down "$SSHD"' EXIT
trap "exit 143" TERM INT
sshd_up "$SSHD" || { echo "FAIL: sshd_up"; exit 1; }
t_run deploys_over_ssh_and_rolls_back
t_run rollback_by_hand_over_ssh
t_run one_deploy_at_a_time_over_ssh
t_run install_failure_is_said_over_ssh
t_run host_key_problem_is_said
t_run unreachable_target_is_said
t_done
