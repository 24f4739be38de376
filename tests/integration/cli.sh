# The command line: help, version, exit codes, errors that say where.
. "$SW_SRCDIR/tests/lib.sh"

help_and_version() {
	$SLIPWAY --help | grep -q 'slipway run \[BRANCH\]'
	$SLIPWAY --version | grep -q '^slipway [0-9]'
	$SLIPWAY run --help | grep -q -- '--follow'
	$SLIPWAY log --help | grep -q -- '--raw'
	$SLIPWAY --help | grep -q -- '--theme NAME'
	$SLIPWAY --help | grep -q -- '--check-keys'
}

unknown_command_is_usage_error() {
	exits 2 $SLIPWAY frobnicate 2>err
	grep -q 'unknown command "frobnicate"; see slipway --help' err
	# Not "stauts": one letter from "stats", two (a transposition) from "status".
	exits 2 $SLIPWAY satus 2>err
	expect_eq "$(cat err)" 'slipway: unknown command "satus"; did you mean "status"?'
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
	exits 2 $SLIPWAY log latest 2>err
	grep -q 'no run yet' err
	exits 2 $SLIPWAY log abc 2>err
	grep -q '"abc" is not a run id (a number, #N or latest)' err
	exits 2 $SLIPWAY log ' 1' 2>err
	exits 2 $SLIPWAY cancel +1 2>err
	grep -q 'is not a run id' err
	exits 2 $SLIPWAY log 42 2>err
	grep -q 'no run 42' err
	exits 2 $SLIPWAY cancel 42 2>err
}

# The README's own `slipway log 2` once printed nothing: its last stage
# said nothing, and neither did slipway.
log_picks_a_run_and_says_when_empty() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "setup", "run": "echo ready"}, {"name": "lint", "run": "true"},
 {"name": "deploy", "run": "echo no", "branches": ["production"]}]}
EOF2
	cd r
	exits 2 $SLIPWAY log 2>err
	grep -q 'branch main has no run yet' err
	$SLIPWAY run --follow >/dev/null
	git checkout -q -b other
	$SLIPWAY run --follow >/dev/null
	git checkout -q main
	# No id: the checked-out branch's newest run, on its last stage that ran.
	$SLIPWAY log >out 2>err
	expect_eq "$(cat out)" ""
	expect_eq "$(cat err)" "slipway: stage lint of run 1 printed nothing"
	expect_eq "$($SLIPWAY log 1 setup)" "ready"
	# latest: the newest run of any branch.
	$SLIPWAY log latest 2>err
	grep -q 'stage lint of run 2 printed nothing' err
	expect_eq "$($SLIPWAY log latest setup)" "ready"
	expect_eq "$($SLIPWAY log '#2' setup)" "ready"
	$SLIPWAY log 1 deploy 2>err
	grep -q 'stage deploy of run 1 did not run (skipped' err
	exits 2 $SLIPWAY log 1 lnt 2>err
	grep -q 'run 1 has no stage "lnt" (did you mean "lint"?)' err
	expect_eq "$($SLIPWAY log 1 --stages | tr '\n' ' ')" "setup lint deploy "
	git checkout -q --detach
	exits 2 $SLIPWAY log 2>err
	grep -q 'HEAD is detached' err
}

history_of_no_such_branch() {
	make_repo r <<<'{"version":1,"stages":[{"name":"a","run":"true"}]}'
	cd r
	$SLIPWAY run --follow >/dev/null
	git branch quiet
	exits 0 $SLIPWAY history --branch quiet >out
	expect_eq "$(cat out)" ""
	exits 2 $SLIPWAY history --branch nosuch >out 2>err
	grep -q 'no branch "nosuch"' err
	exits 2 $SLIPWAY history --branch mian 2>err
	grep -q 'no branch "mian" (did you mean "main"?)' err
	# A deleted branch keeps its history.
	git checkout -q -b gone && $SLIPWAY run --follow >/dev/null && git checkout -q main && git branch -q -D gone
	$SLIPWAY history --branch gone | grep -q '^#2 '
}

# A theme that cannot be had is told with who asked for it.
dashboard_settings_say_where() {
	make_repo r <<<'{"version":1,"stages":[{"name":"a","run":"true"}],"ui":{"theme":"nosuch"}}'
	cd r
	: >script
	exits 2 $SLIPWAY --check-keys 2>err
	grep -q '^slipway: slipway.json: ui.theme: unknown theme "nosuch"' err
	exits 2 $SLIPWAY --script script 2>err
	grep -q 'slipway.json: ui.theme: unknown theme "nosuch"' err
	printf 'set bell off\nset theme nosuch2\n' >../config
	export SLIPWAY_CONFIG=$PWD/../config
	exits 2 $SLIPWAY --check-keys 2>err
	grep -q "^slipway: $PWD/../config:2: unknown theme \"nosuch2\"" err
	exits 2 $SLIPWAY --theme nope --script script 2>err
	grep -q '^slipway: --theme: unknown theme "nope"' err
	# The status line shows the first warning and points here for the rest.
	printf 'set theme dark\nbind j quit\nbind j help\nbind k quit\nbind k help\n' >../config
	exits 1 $SLIPWAY --check-keys >out
	grep -q 'config:3: j was bound already at line 2' out
	grep -q 'config:5: k was bound already at line 4' out
	printf 'set theme dark\n' >../config
	expect_eq "$($SLIPWAY --check-keys)" "keys: no warnings"
}

# complete WORD...: what bash completion offers for the last word.
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _slipway; [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$SW_SRCDIR/completion/slipway" "$@" | sort | tr '\n' ' '
}

bash_completion_knows_stages_and_flags() {
	make_repo r <<<'{"version":1,"stages":[{"name":"setup","run":"true"},{"name":"test","run":"true"}]}'
	cd r
	mkdir ../bin && ln -s "$SLIPWAY" ../bin/slipway
	export PATH=$PWD/../bin:$PATH
	$SLIPWAY run --follow >/dev/null
	expect_eq "$(complete_words slipway log 1 '')" "--follow --raw --stages setup test "
	expect_eq "$(complete_words slipway log --raw latest t)" "test "
	expect_eq "$(complete_words slipway log '')" "--follow --raw --stages 1 latest "
	expect_eq "$(complete_words slipway cancel '')" "--help 1 latest "
	expect_eq "$(complete_words slipway cancel 1 '')" ""
	expect_eq "$(complete_words slipway --theme h)" "high-contrast "
	expect_eq "$(complete_words slipway --ch)" "--check-keys "
	expect_eq "$(complete_words slipway st)" "stats status "
	expect_eq "$(complete_words slipway stats --)" "--env --json --since "
	expect_eq "$(complete_words slipway stats --since 3)" "30d "
	expect_eq "$(complete_words slipway rel)" "release-notes "
	expect_eq "$(complete_words slipway release-notes --)" "--deploy --json --markdown "
	expect_eq "$(complete_words slipway release-notes --deploy '')" "latest "
}

# Every key the loader's tables accept has its entry in slipway.json(5),
# and the page's example is a file the loader accepts.
config_page_documents_every_key() {
	local page=$SW_SRCDIR/slipway.json.5 table key prefix missing=0
	awk '/^static const struct key_desc [a-z_]+_keys\[\] = \{/ { t = $5; sub(/\[\].*/, "", t); next }
	     t && /^\t\{"/ { split($0, a, "\""); print t, a[2] }
	     /^\};/ { t = "" }' "$SW_SRCDIR/core/config.c" >keys
	[ "$(wc -l <keys)" -ge 29 ] || fail "only $(wc -l <keys) keys found in core/config.c's tables"
	while read -r table key; do
		case $table in
		top_keys) prefix= ;;
		stage_keys) prefix='stages[].' ;;
		regex_keys) prefix='stages[].parse.' ;;
		report_keys) prefix='stages[].reports.' ;;
		cache_keys) prefix='stages[].cache[].' ;;
		push_keys) prefix='stages[].push.' ;;
		retention_keys) prefix='retention.' ;;
		ui_keys) prefix='ui.' ;;
		docker_keys) prefix='docker.' ;;
		sentry_keys) prefix='sentry.' ;;
		github_keys) prefix='github.' ;;
		watch_keys) prefix='watch.' ;;
		deploy_keys) prefix='deploy.' ;;
		hook_keys) prefix='deploy.hooks.' ;;
		health_keys) prefix='deploy.health.' ;;
		strategy_keys) prefix='deploy.strategy.' ;;
		*) fail "core/config.c has a key table $table this test does not place: add it here"; return 1 ;;
		esac
		grep -qxF ".B $prefix$key" "$page" || { echo "  slipway.json.5 lacks $prefix$key" >&2; missing=1; }
	done <keys
	[ $missing = 0 ]
	grep -qx '\.B gates\.METRIC_min' "$page"
	sed -n '/^\.SH EXAMPLE/,/^\.fi/p' "$page" | sed '1,2d;$d' | sed 's/\\-/-/g' >example.json
	$SLIPWAY check-config example.json >/dev/null
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
t_run log_picks_a_run_and_says_when_empty
t_run history_of_no_such_branch
t_run dashboard_settings_say_where
t_run bash_completion_knows_stages_and_flags
t_run config_page_documents_every_key
t_done
