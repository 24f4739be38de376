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
t_run bad_run_id
t_done
