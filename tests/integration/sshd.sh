# The test sshd of tests/sshd.sh, checked with the plain ssh client: what
# the ssh:// deploy targets' tests stand on.  One sshd for the script.
# timeout: 120
. "$SW_SRCDIR/tests/lib.sh"
. "$SW_SRCDIR/tests/sshd.sh"

logs_in_through_the_alias() {
	out=$($SLIPWAY_SSH_COMMAND slipway-test 'echo "$(id -un)"' </dev/null)
	expect_eq "$out" "$(id -un)"
	$SLIPWAY_SSH_COMMAND slipway-test true </dev/null
}

# slipway connects by the target's host and port, not by the alias.
logs_in_by_the_targets_host_and_port() {
	expect_eq "$SSH_TARGET" "ssh://$(id -un)@127.0.0.1:$SSHD_PORT"
	out=$(ssh -F "$SSHD_DIR/ssh_config" -p "$SSHD_PORT" "$(id -un)@127.0.0.1" echo hi </dev/null)
	expect_eq "$out" hi
}

unknown_host_key_is_refused() {
	sshd_unknown_host_config "$SSHD_DIR"
	rc=0
	ssh -F "$SSHD_DIR/ssh_config_unknown" -p "$SSHD_PORT" "$(id -un)@127.0.0.1" true </dev/null 2>err || rc=$?
	expect_eq "$rc" 255
	grep -q 'Host key verification failed' err || fail "no host key failure in: $(cat err)"
	[ ! -s "$SSHD_DIR/known_hosts_empty" ] || fail "ssh wrote to the empty known_hosts"
}

control_master_is_shared() {
	cm=(-o ControlMaster=auto -o "ControlPath=$SSHD_DIR/cm-%C" -o ControlPersist=30)
	out=$($SLIPWAY_SSH_COMMAND "${cm[@]}" slipway-test echo first </dev/null)
	expect_eq "$out" first
	$SLIPWAY_SSH_COMMAND "${cm[@]}" -O check slipway-test 2>err || fail "no master: $(cat err)"
	out=$($SLIPWAY_SSH_COMMAND "${cm[@]}" slipway-test echo second </dev/null)
	expect_eq "$out" second
	$SLIPWAY_SSH_COMMAND "${cm[@]}" -O exit slipway-test 2>/dev/null
	wait_for 10 bash -c '! ls "$1"/cm-* >/dev/null 2>&1' _ "$SSHD_DIR"
}

listens_only_on_loopback() {
	ss -ltn >ports
	grep -q "127.0.0.1:$SSHD_PORT " ports || fail "sshd is not on 127.0.0.1:$SSHD_PORT: $(cat ports)"
	! grep -qE '(0\.0\.0\.0|\*|\[::\]):22 ' ports || fail "something listens on port 22 of every address: $(cat ports)"
	! grep -qE "(0\.0\.0\.0|\*|\[::\]):$SSHD_PORT " ports || fail "sshd listens beyond 127.0.0.1"
}

SSHD=$T_DIR/sshd
trap 'sshd_down "$SSHD"' EXIT
trap "exit 143" TERM INT
sshd_up "$SSHD" || { echo "FAIL: sshd_up"; exit 1; }
t_run logs_in_through_the_alias
t_run logs_in_by_the_targets_host_and_port
t_run unknown_host_key_is_refused
t_run control_master_is_shared
t_run listens_only_on_loopback
t_done
