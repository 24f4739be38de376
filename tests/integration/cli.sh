# The command line: help, version, exit codes, errors that say where.
. "$SW_SRCDIR/tests/lib.sh"

help_and_version() {
	$SLIPWAY --help | grep -q 'slipway run \[BRANCH\]'
	$SLIPWAY --version | grep -q '^slipway [0-9]'
	$SLIPWAY run --help | grep -q -- '--follow'
	$SLIPWAY log --help | grep -q -- '--raw'
}

unknown_command_is_usage_error() {
	exits 2 $SLIPWAY frobnicate 2>err
	grep -q 'unknown command "frobnicate"' err
}

outside_a_repository() {
	mkdir plain && cd plain
	export GIT_CEILING_DIRECTORIES=$PWD/..
	exits 2 $SLIPWAY status 2>err
	grep -q 'not inside a git repository' err
}

no_configuration_points_to_init() {
	git init -q -b main r && cd r
	commit_file README "hello"
	exits 2 $SLIPWAY run 2>err
	grep -q 'slipway init' err
	exits 2 $SLIPWAY check-config 2>err2
	grep -q 'slipway init' err2
}

init_writes_a_starter() {
	git init -q -b main r && cd r
	printf 'django\n' >requirements.txt
	printf '[flake8]\nmax-line-length = 99\n' >.flake8
	: >manage.py
	printf 'FROM scratch\n' >Dockerfile
	$SLIPWAY init >out
	grep -q 'found: Django project' out
	grep -q 'found: Dockerfile' out
	$SLIPWAY check-config | grep -q 'ok (4 stages'
	exits 2 $SLIPWAY init 2>err
	grep -q 'already exists' err
}

run_after_init_says_commit_it() {
	git init -q -b main r && cd r
	commit_file README "hello"
	$SLIPWAY init >/dev/null
	exits 2 $SLIPWAY run 2>err
	expect_eq "$(cat err)" "slipway: slipway.json is not committed: runs test commits, not the working tree — commit it first (git add slipway.json && git commit)"
}

run_says_what_it_leaves_out() {
	make_repo r <<<'{"version":1,"stages":[{"name":"a","run":"true"}]}'
	cd r
	echo changed >>slipway.json
	: >new.txt
	$SLIPWAY run >../id 2>../err
	expect_eq "$(cat ../err)" "slipway: warning: the work tree has 2 uncommitted changes (new.txt, slipway.json): this run tests commit $(git rev-parse --short=7 HEAD) without them"
	wait_for 20 run_final "$(cat ../id)"
	$SLIPWAY run --again --follow >../out 2>/dev/null || true
	grep -q '^warning: the work tree has 2 uncommitted changes' ../out
	git checkout -q -- slipway.json && rm new.txt
	$SLIPWAY run --again --follow >../out 2>../err
	expect_eq "$(cat ../err)" ""
	# The work tree is the checked-out branch's: another branch's run is not told of it.
	git branch other
	: >new.txt
	$SLIPWAY run other >/dev/null 2>../err
	expect_eq "$(cat ../err)" ""
}

# init_gate FILE TEXT: the coverage gate line init prints with FILE holding TEXT.
init_gate() {
	rm -f .coveragerc setup.cfg tox.ini pyproject.toml pytest.ini
	printf '%b' "$2" >"$1"
	$SLIPWAY init --force >../out
	grep '^gate: .*coverage' ../out
}

init_takes_the_projects_coverage_floor() {
	git init -q -b main r && cd r
	mkdir tests && : >requirements.txt
	expect_eq "$(init_gate .coveragerc '[run]\nsource = .\n[report]\nshow_missing = True\nfail_under = 91\n')" \
		"gate: coverage_min 91, the project's own floor (.coveragerc [report] fail_under)"
	expect_eq "$(json slipway.json 'j["gates"]["coverage_min"]')" 91
	expect_eq "$(init_gate setup.cfg '[flake8]\nmax-line-length = 99\n\n[coverage:report]\nfail_under: 72.5\n')" \
		"gate: coverage_min 72.5, the project's own floor (setup.cfg [coverage:report] fail_under)"
	expect_eq "$(init_gate tox.ini '[tox]\nenvlist = py311\n[coverage:report]\nfail_under = 60\n')" \
		"gate: coverage_min 60, the project's own floor (tox.ini [coverage:report] fail_under)"
	expect_eq "$(init_gate pyproject.toml '[tool.coverage.run]\nbranch = true\n\n[tool.coverage.report]\nfail_under = 85\n')" \
		"gate: coverage_min 85, the project's own floor (pyproject.toml [tool.coverage.report] fail_under)"
	expect_eq "$(init_gate pytest.ini '[pytest]\naddopts =\n    -ra\n    --cov-fail-under=77\n')" \
		"gate: coverage_min 77, the project's own floor (pytest.ini [pytest] addopts --cov-fail-under)"
	expect_eq "$(init_gate pyproject.toml '[tool.pytest.ini_options]\naddopts = [\n  "--cov",\n  "--cov-fail-under", "66",\n]\n')" \
		"gate: coverage_min 66, the project's own floor (pyproject.toml [tool.pytest.ini_options] addopts --cov-fail-under)"
	# A fail_under in a section of another tool is not coverage's.
	expect_eq "$(init_gate setup.cfg '[other]\nfail_under = 50\n')" \
		"gate: no coverage gate: the project sets no floor (fail_under or --cov-fail-under); add \"coverage_min\": N to \"gates\" to have one"
	expect_eq "$(json slipway.json '"coverage_min" in j["gates"]')" False
	$SLIPWAY check-config >/dev/null
}

init_lint_gate_only_when_flake8_passes() {
	git init -q -b main r && cd r
	: >requirements.txt
	printf 'import os\nimport sys\n' >app.py
	$SLIPWAY init >../out
	grep -qx 'gate: no lint gate: flake8 finds 2 problems today; once it passes, add "lint_max": 0 to "gates"' ../out
	expect_eq "$(json slipway.json 'j["gates"]')" "{}"
	printf 'import os\n\nprint(os.sep)\n' >app.py
	$SLIPWAY init --force >../out
	grep -qx 'gate: lint_max 0: flake8 passes today' ../out
	expect_eq "$(json slipway.json 'j["gates"]')" "{'lint_max': 0}"
	# The venv is left out, as the lint stage leaves it out.
	mkdir -p .venv && printf 'import os\n' >.venv/junk.py
	$SLIPWAY init --force >../out
	grep -qx 'gate: lint_max 0: flake8 passes today' ../out
	printf '[flake8]\nmax-line-length = many\n' >.flake8
	$SLIPWAY init --force >../out
	grep -qx "gate: no lint gate: flake8 could not run here (/usr/bin/python3 -m flake8 exited 1: ValueError: invalid literal for int() with base 10: 'many'); once it passes, add \"lint_max\": 0 to \"gates\"" ../out
	expect_eq "$(json slipway.json 'j["gates"]')" "{}"
}

bad_run_id() {
	make_repo r <<<'{"version":1,"stages":[{"name":"a","run":"true"}]}'
	cd r
	exits 2 $SLIPWAY log abc 2>err
	exits 2 $SLIPWAY log 42 2>err
	grep -q 'no run 42' err
	exits 2 $SLIPWAY cancel 42 2>err
}

t_run help_and_version
t_run unknown_command_is_usage_error
t_run outside_a_repository
t_run no_configuration_points_to_init
t_run init_writes_a_starter
t_run run_after_init_says_commit_it
t_run run_says_what_it_leaves_out
t_run init_takes_the_projects_coverage_floor
t_run init_lint_gate_only_when_flake8_passes
t_run bad_run_id
t_done
