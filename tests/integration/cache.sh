# Stage options that the GitHub Actions importer writes: "allow_failure"
# and "cache" (restored before a stage, saved after it passed).
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"

allowed_failure_lets_the_run_pass() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "lint", "run": "echo 3 findings; exit 1", "allow_failure": true},
  {"name": "test", "run": "echo tested"}]}
EOF2
	cd r
	$SLIPWAY run --follow >out
	grep -q 'run 1 passed' out
	grep -q '✗ lint failed (allowed)' out
	grep -q '✓ test passed' out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["status"]')" passed
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['failed', 'passed']"
	expect_eq "$(json "$f" 'j["stages"][0]["allowed_failure"]')" True
	expect_eq "$(json "$f" 'j["stages"][0]["reason"]')" "exit code 1"
	expect_eq "$(json "$f" '"allowed_failure" in j["stages"][1]')" False
}

# The gates are main's: allowing a stage to fail does not lift its gate.
allowed_failure_keeps_its_gates() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "lint", "run": "echo 'a.py:1:1: E101 bad'; exit 1", "parse": "flake8", "allow_failure": true},
  {"name": "test", "run": "echo tested"}],
 "gates": {"lint_max": 0}}
EOF2
	cd r
	exits 1 $SLIPWAY run --follow >out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['failed', 'skipped']"
	expect_eq "$(json "$f" '"allowed_failure" in j["stages"][0]')" False
	expect_contains "$(json "$f" 'j["stages"][0]["reason"]')" "gate lint_max: 1 > 0"
}

t_run allowed_failure_lets_the_run_pass
t_run allowed_failure_keeps_its_gates
t_done
