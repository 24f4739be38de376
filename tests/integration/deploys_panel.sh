# The dashboard's Deploys panel and its keys, in tmux (a real terminal) and
# in scripted mode (golden screens): D asks naming the commit, where it goes,
# what it replaces and the run that proved it, then deploys; the panel
# follows the deploy's steps live; a step's log opens in the Log view; a
# refused deploy says why and asks nothing; read-only refuses; a protected
# environment wants its name typed; B rolls back; a hostile subject is
# drawn neutralised; o opens a deploy's release notes.  The target is $PWD/srv with trivial hooks.
# timeout: 300
. "$SW_SRCDIR/tests/lib.sh"

export TERM=xterm-256color
export SLIPWAY_SCRIPT_TIMEOUT=60

# project [ENVIRONMENT]: a repository r on main whose pipeline passes,
# deploying to $PWD/srv; its validate hook waits while $PWD/gate exists.
# Ends inside r.
project() {
	local top=$PWD
	make_repo r <<EOF
{"version": 1, "stages": [{"name": "test", "run": "true"}],
 "deploy": {"path": "$top/srv", "environment": "${1:-staging}",
   "hooks": {"start": "echo started \$SLIPWAY_COMMIT", "validate": "while test -e $top/gate; do sleep 0.1; done"}}}
EOF
	cd r
}

green() { $SLIPWAY run main --follow >/dev/null; }
short() { git rev-parse --short=7 "${1:-HEAD}"; }
current() { readlink ../srv/current; }

release() {
	commit_file www "release $1" "Release $1"
}

# dashboard [FLAGS]: the dashboard at 150x30 in tmux (wide enough for the
# questions, short of the tiled layout).
dashboard() {
	tmx new-session -d -x 150 -y 30 -s dash "$SLIPWAY $*; echo DASHBOARD-EXITED; sleep 60"
	wait_screen 20 '^─ Branches 1'
}

keys() {
	tmx send-keys -t dash "$@"
}

deploy_asks_then_deploys_and_shows_its_steps() {
	project
	green
	dashboard
	keys P
	wait_screen 10 '^─ Deploys 0 · Esc returns'
	wait_screen 5 '^ staging      current   none'
	keys D
	wait_screen 10 "Deploy $(short) (Add the pipeline) to staging, its first release, proved by run #1? \[y/N\]"
	test ! -e ../srv/current || fail "deployed before the answer"
	keys y
	wait_screen 20 '^ ✓ deploy #1 succeeded'
	wait_screen 5 '^─ Deploys · #1 · Esc: the list'
	wait_screen 5 "^ staging      current   $(short) Add the pipeline"
	wait_screen 5 '^ ✓ install  .* passed'
	wait_screen 5 '^ - stop  .* skipped   no release was current'
	wait_screen 5 '^▌✓ validate  .* passed'
	expect_eq "$(current)" "releases/$(git rev-parse HEAD)"
	# Enter on a step: its log, then back to the steps
	keys k
	wait_screen 5 '^▌✓ start  .* passed'
	keys Enter
	wait_screen 10 '^─ Log · deploy 1 · start · '
	wait_screen 5 "^started $(git rev-parse HEAD)"
	keys Escape
	wait_screen 10 '^─ Deploys · #1 · Esc: the list'
	keys Escape
	wait_screen 10 '^─ Deploys 1 · Esc returns'
	wait_screen 5 "^▌✓ #1    succeeded   deploy   $(short)  *[0-9]*s staging     run #1   Add the pipeline"
	# l on a deploy of the list: the log of its step of interest, the last that ran
	keys l
	wait_screen 10 '^─ Log · deploy 1 · validate · '
	keys Q
	wait_screen 10 DASHBOARD-EXITED
}

# The validate hook holds the deploy: the panel shows the step running and
# then, by itself, the deploy's end.
steps_are_followed_live() {
	project
	green
	touch ../gate
	dashboard
	keys D
	wait_screen 10 "Deploy $(short) .* to staging"
	keys y
	wait_screen 20 ' validate  .*running'
	wait_screen 5 '^ .* deploy #1 running'
	rm ../gate
	wait_screen 20 '^ ✓ deploy #1 succeeded'
	wait_screen 5 '^.✓ validate  .* passed'
	wait_screen 5 'deploy #1 succeeded$'
}

refused_deploy_says_why() {
	project
	dashboard
	keys D
	wait_screen 10 "main@$(short) has no passed run; it has never been run: \`slipway run main\` tests it"
	no_screen '\[y/N\]'
	test ! -e ../srv || fail "something was installed: $(ls -R ../srv)"
	keys B
	wait_screen 10 "nothing to roll back to: .*/srv/previous names no release"
}

read_only_refuses() {
	project
	green
	dashboard --read-only
	keys P
	wait_screen 10 '^─ Deploys 0'
	wait_screen 5 'read-only · Enter open · l log · o notes · R reload · q back'
	keys D
	wait_screen 10 'read-only: deploy is refused'
	keys B
	wait_screen 10 'read-only: rollback is refused'
	test ! -e ../srv || fail "something was installed"
}

# production is protected by default: its name is asked for, and a wrong
# name deploys nothing.
protected_environment_wants_its_name() {
	project production
	green
	dashboard
	keys D
	wait_screen 10 "production is protected: type its name to deploy $(short) (Add the pipeline) to production, its first release, proved by run #1:"
	keys x Enter
	wait_screen 10 'nothing deployed: "x" is not "production"'
	test ! -e ../srv/current || fail "deployed after a wrong name"
	keys D
	wait_screen 10 'production is protected: type its name'
	keys production Enter
	wait_screen 20 '^ ✓ deploy #1 succeeded'
	expect_eq "$(current)" "releases/$(git rev-parse HEAD)"
}

rollback_after_two_deploys() {
	project
	green
	$SLIPWAY deploy --follow >/dev/null
	local first second
	first=$(git rev-parse HEAD)
	release 2
	second=$(git rev-parse HEAD)
	green
	dashboard
	keys D
	wait_screen 10 "Deploy ${second:0:7} (Release 2) to staging, replacing ${first:0:7}, proved by run #2? \[y/N\]"
	keys y
	wait_screen 20 '^ ✓ deploy #2 succeeded'
	wait_screen 5 "^              previous  ${first:0:7} Add the pipeline"
	keys B
	wait_screen 10 "Roll back staging from ${second:0:7} to ${first:0:7} (Add the pipeline)? \[y/N\]"
	keys y
	wait_screen 20 '^ ✓ rollback #3 succeeded'
	wait_screen 5 '^ - install  .* skipped   installed already'
	expect_eq "$(current)" "releases/$first"
	keys Escape
	wait_screen 10 "^▌✓ #3    succeeded   rollback ${first:0:7} "
	wait_screen 5 "^ ✓ #2    succeeded   deploy   ${second:0:7} "
	wait_screen 5 "^ staging      current   ${first:0:7} Add the pipeline"
}

hostile_subject_is_neutralised() {
	project
	commit_file x 1 "$(printf 'evil \033]0;pwned\007 and \033[2J clear')"
	green
	$SLIPWAY deploy --follow >/dev/null
	dashboard
	keys P
	wait_screen 10 '^─ Deploys 1'
	wait_screen 5 'current   [0-9a-f]\{7\} evil ^\[\]0;pwned^G and ^\[\[2J clear'
	printf 'P\n<Enter>\n' >script
	$SLIPWAY --script script --size 100x24 --dump screen
	grep -q '^   evil ^\[\]0;pwned^G and ^\[\[2J clear' screen || fail "$(cat screen)"
	! grep -q $'\033' screen
}

# Scripted, the clock and the commits' dates pinned: the list and a
# deploy's steps, line for line.  The commits name the test's directory
# (deploy.path): their ids are put as FIRST01 and SECOND2 before comparing.
golden() {
	sed -i -e "s/$(short HEAD~)/FIRST01/g" -e "s/$(short)/SECOND2/g" "${2:-screen}"
	local want=$SW_SRCDIR/tests/dashboard/$1.screen got=${2:-screen}
	if [ -n "${SW_UPDATE_SCREENS:-}" ]; then
		cp "$got" "$want"
		return 0
	fi
	diff -u "$want" "$got" >&2 || fail "the screen differs from tests/dashboard/$1.screen"
}

scripted_screens() {
	export SLIPWAY_NOW=1767225690
	export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
	project
	green
	$SLIPWAY deploy --follow >/dev/null
	release 2
	green
	printf '%s\n' 'P' 'D' 'y' ':wait-deploy' ':dump steps' '<Esc>' >script
	$SLIPWAY --script script --size 80x24 --dump screen
	golden deploys-list
	golden deploys-steps steps
}

# o: the selected deploy's release notes in the Log view, as `slipway
# release-notes --deploy ID` has them, Sentry's part (the fake's "rel"
# issues: 1-5 first seen after the deploy of 2026-11-25) appended once the
# Sentry model has read it; Esc returns to the panel.
notes_key_opens_a_deploys_release_notes() {
	export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
	project
	green
	SLIPWAY_NOW=1795305600 $SLIPWAY deploy --follow >/dev/null
	release 2
	green
	SLIPWAY_NOW=1795564800 $SLIPWAY deploy --follow >/dev/null
	local token=sntrys-swdeploys-$$
	fake_sentry "$token"
	export SENTRY_URL=$URL SENTRY_ORG=acme SENTRY_PROJECT=rel-deploys SENTRY_AUTH_TOKEN=$token SLIPWAY_NOW=1796050800
	printf '%s\n' P o :wait-sentry >script
	$SLIPWAY --script script --size 100x30 --dump screen
	# the CLI's notes, the same core's
	expect_eq "$(sed -n 2,12p screen)" "$($SLIPWAY release-notes --deploy 2 | sed -n 1,11p)"
	golden release-notes
	printf '%s\n' P j o :wait-sentry >script
	$SLIPWAY --script script --size 100x30 --dump screen
	grep -q '^─ Log · release notes · deploy #1 ·' screen || fail "$(cat screen)"
	grep -q "^  a first release: all of $(short HEAD~)'s history$" screen || fail "$(cat screen)"
	grep -q '^  new in this release (first seen since 2026-11-22T00:00:00Z): 2$' screen || fail "$(cat screen)"
	! grep -rqF -- "$token" . "$FAKE_LOG" || fail "the token was written out"
	# A slow Sentry (3 s): the notes are on screen before its part.
	printf '%s\n' P o ':dump early' :wait-sentry >script
	SENTRY_PROJECT=slow-deploys $SLIPWAY --script script --size 100x30 --dump screen
	grep -q '^sentry: asking Sentry\.\.\.$' early
	grep -q '^commits: 1, 1 proved by a green run$' early || fail "$(cat early)"
	! grep -q '^  new in this release' early || fail "Sentry's part came before its answer: $(cat early)"
	grep -q '^  new in this release' screen || fail "$(cat screen)"
	# Not configured: said where Sentry's part goes; Esc, the panel again.
	printf '%s\n' P o :wait-sentry ':dump notes' '<Esc>' >script
	env -u SENTRY_ORG $SLIPWAY --script script --size 100x30 --dump screen
	grep -q '^sentry: asking Sentry\.\.\.$' notes
	grep -q '^sentry: Sentry is not configured: set SENTRY_ORG' notes || fail "$(cat notes)"
	grep -q '^─ Deploys 2 · Esc returns' screen || fail "$(cat screen)"
	# Elsewhere, o says where release notes are.
	printf '%s\n' o >script
	$SLIPWAY --script script --size 100x30 --dump screen
	grep -q "release notes are a deploy's: P opens the Deploys panel" screen || fail "$(cat screen)"
}

t_run deploy_asks_then_deploys_and_shows_its_steps
t_run steps_are_followed_live
t_run refused_deploy_says_why
t_run read_only_refuses
t_run protected_environment_wants_its_name
t_run rollback_after_two_deploys
t_run hostile_subject_is_neutralised
t_run scripted_screens
t_run notes_key_opens_a_deploys_release_notes
t_done
