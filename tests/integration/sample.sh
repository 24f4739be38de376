# The sample project's pipeline with Debian's flake8, pytest and coverage:
# a green feature, a failing test and a lint error, as `slipway demo` makes them.
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"

demo_repo() {
	$SLIPWAY demo "$PWD/demo" --no-run >/dev/null
	cd demo/sample
}

demo_makes_the_branches() {
	$SLIPWAY demo "$PWD/demo" --no-run | grep -q 'created'
	$SLIPWAY demo "$PWD/demo" --no-run | grep -q 'reusing'
	cd demo/sample
	expect_eq "$(git branch --show-current)" development
	expect_eq "$(git for-each-ref --format='%(refname:short)' refs/heads | tr '\n' ' ')" \
		"development feature/failing-test feature/lint-error feature/rent-format main "
	expect_eq "$(git ls-remote --heads origin | wc -l)" 5
	expect_eq "$(git rev-parse --abbrev-ref development@{upstream})" origin/development
	$SLIPWAY check-config | grep -q 'ok (7 stages'
}

green_feature_measures_everything() {
	demo_repo
	$SLIPWAY run feature/rent-format --follow >out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["status"]')" passed
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" \
		"['passed', 'passed', 'passed', 'skipped', 'skipped', 'skipped', 'passed']"
	expect_eq "$(json "$f" 'j["metrics"]["tests"]["failed"]')" 0
	expect_eq "$(json "$f" 'j["metrics"]["tests"]["passed"] > 10')" True
	expect_eq "$(json "$f" 'j["metrics"]["lint"]["count"]')" 0
	expect_eq "$(json "$f" 'j["metrics"]["coverage"]["percent"] >= 80')" True
	expect_eq "$(json "$f" 'len(j["metrics"]["coverage"]["files"]) > 5')" True
	expect_eq "$(json "$f" '[g["passed"] for g in j["gates"]]')" "[True, True, True]"
	[ -s .git/slipway/runs/1/reports/junit.xml ]
	[ -s .git/slipway/runs/1/reports/coverage.xml ]
}

failing_test_is_named() {
	demo_repo
	exits 1 $SLIPWAY run feature/failing-test --follow >out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]][:4]')" "['passed', 'passed', 'failed', 'skipped']"
	expect_eq "$(json "$f" 'j["metrics"]["tests"]["failed"]')" 1
	json "$f" 'j["metrics"]["tests"]["failures"][0]["name"]' | grep -q 'test_home_page_greets_by_name'
	$SLIPWAY log 1 | grep -q 'Welcome back, Ann'
}

lint_error_fails_the_gate() {
	demo_repo
	exits 1 $SLIPWAY run feature/lint-error --follow >out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["stages"][1]["status"]')" failed
	expect_eq "$(json "$f" 'j["stages"][1]["reason"]')" "gate lint_max: 1 > 0 (limit from main's slipway.json) (exit code 1)"
	expect_eq "$(json "$f" 'j["metrics"]["lint"]["by_code"]')" "{'F401': 1}"
	expect_eq "$(json "$f" 'j["metrics"]["lint"]["by_file"]')" "{'lettings/formatting.py': 1}"
	expect_eq "$(json "$f" 'j["stages"][2]["status"]')" skipped
}

# In a new shell (no DOCKER_HOST, no eval of engine.sh env) the docker
# stages still reach the demo's engine: at its fixed per-user socket.
docker_stages_find_the_demo_engine() {
	demo_repo
	expect_eq "$(json slipway.json 'j.get("secrets", [])')" "[]"
	expect_eq "$(json slipway.json 'j["pass_env"]')" "['DOCKER_HOST', 'REGISTRY']"
	expect_eq "$(json slipway.json '[s["name"] for s in j["stages"]
		if "docker " in s.get("run", "") and not s["run"].startswith(". ci/docker-env.sh")]')" "[]"
	# The push is built in: it finds the engine through docker.host, "~/" being the caller's home.
	expect_eq "$(json slipway.json '[s["push"] for s in j["stages"] if "push" in s]')" \
		"[{'image': '\$IMAGE:\$SLIPWAY_COMMIT', 'registry': '\${REGISTRY:-127.0.0.1:5000}'}]"
	expect_eq "$(json slipway.json 'j["docker"]["host"]')" "unix://~/.local/share/slipway/engine/engine.sock"
	grep -q '^\. "$(dirname "$0")/docker-env.sh"$' ci/smoke.sh
	local home sock
	home=$(mktemp -d /tmp/sw-home.XXXXXX)
	sock=$home/.local/share/slipway/engine/engine.sock
	mkdir -p "${sock%/*}"
	/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
	git init -q -b main ../r
	mkdir ../r/ci && cp ci/docker-env.sh ../r/ci/
	cat >../r/slipway.json <<'EOF2'
{"version": 1, "pass_env": ["DOCKER_HOST"],
 "stages": [{"name": "where", "run": ". ci/docker-env.sh && echo \"engine at ${DOCKER_HOST-none}\""}]}
EOF2
	cd ../r
	git add -A && git commit -q -m "Pipeline"
	env -u DOCKER_HOST HOME="$home" $SLIPWAY run --follow >../out 2>&1
	expect_eq "$($SLIPWAY log 1 where)" "engine at unix://$sock"
	DOCKER_HOST=tcp://127.0.0.1:2375 HOME="$home" $SLIPWAY run --again --follow >../out 2>&1
	expect_eq "$($SLIPWAY log 2 where)" "engine at tcp://127.0.0.1:2375"
	rm "$sock"
	env -u DOCKER_HOST HOME="$home" $SLIPWAY run --again --follow >../out 2>&1
	expect_eq "$($SLIPWAY log 3 where)" "engine at none"
	rm -rf "$home"
}

# init on a Django project whose flake8 and coverage configuration leave
# out venv but not .venv (issue 12: "gate lint_max: 27253 > 0"), with a
# lint error, a failing test and a module planted in the venv the setup
# stage makes: the pipeline init writes passes, and measures none of it.
init_pipeline_keeps_out_of_the_venv() {
	mkdir p && cp -a "$SW_SRCDIR/examples/sample/." p/ && cd p
	rm -rf slipway.json .venv
	sed -i 's/^exclude = .*/exclude = .git, venv, __pycache__, migrations, static, staticfiles/' .flake8
	sed -i '/\.venv/d' .coveragerc
	printf 'fail_under = 70\n' >>.coveragerc
	local site
	site=.venv/lib/$(/usr/bin/python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')/site-packages
	mkdir -p "$site"
	printf 'import os\n\n\ndef planted():\n    return 1\n' >"$site/planted_in_venv.py"
	printf 'def test_planted_fails():\n    assert False\n' >.venv/test_planted.py
	printf 'from planted_in_venv import planted\n\n\ndef test_uses_the_venv():\n    assert planted() == 1\n' \
		>tests/test_venv_module.py
	git init -q -b main && git add -A && git add -f .venv && git commit -q -m "Django project"
	$SLIPWAY init >../out
	grep -qx "gate: coverage_min 70, the project's own floor (.coveragerc \[report\] fail_under)" ../out
	grep -qx 'gate: lint_max 0: flake8 passes today' ../out
	git add slipway.json && git commit -q -m "Pipeline from slipway init"
	$SLIPWAY run --follow >../out 2>&1 || { tail -30 ../out; fail "the pipeline init wrote failed"; }
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['passed', 'passed', 'passed', 'skipped']"
	expect_eq "$(json "$f" 'j["metrics"]["lint"]["count"]')" 0
	expect_eq "$(json "$f" 'j["metrics"]["tests"]["failed"]')" 0
	expect_eq "$(json "$f" '[x["path"] for x in j["metrics"]["coverage"]["files"] if "venv" in x["path"]]')" "[]"
	! grep -q 'planted' .git/slipway/runs/1/reports/coverage.xml
	expect_eq "$(json "$f" '[g["name"] for g in j["gates"] if g["passed"]]')" "['tests_failed_max', 'coverage_min', 'lint_max']"
	# init keeps the venv between runs while requirements.txt stays the same
	$SLIPWAY log 1 setup | grep -q '^cache saved \.venv'
	$SLIPWAY run --again --follow >../out 2>&1 || { tail -30 ../out; fail "the second run failed"; }
	$SLIPWAY log 2 setup | grep -q '^cache hit \.venv'
}

t_run demo_makes_the_branches
t_run init_pipeline_keeps_out_of_the_venv
t_run docker_stages_find_the_demo_engine
t_run green_feature_measures_everything
t_run failing_test_is_named
t_run lint_error_fails_the_gate
t_done
