# The dashboard: scripted (headless, screen dumps) and in tmux (a real
# terminal: resize, restore on exit, hangup).
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"

export TERM=xterm-256color
# A script waiting on a run that never ends fails in a minute, not at the suite's limit.
export SLIPWAY_SCRIPT_TIMEOUT=60

# dash SCRIPT-LINES...: runs the dashboard headless at 80x24 with those lines.
dash() {
	printf '%s\n' "$@" >script
	$SLIPWAY --script script --size 80x24 --dump screen
}

# Screens compared whole need the clock and the commits' dates pinned
# (with TZ, LANG and the size, which tests/run and dash pin already).
pin_clock() {
	export SLIPWAY_NOW=1767225690
	export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
}

# golden NAME [FILE]: FILE (default: screen) is tests/dashboard/NAME.screen,
# line for line; with SW_UPDATE_SCREENS=1 it becomes that file.
golden() {
	local want=$SW_SRCDIR/tests/dashboard/$1.screen got=${2:-screen}
	if [ -n "${SW_UPDATE_SCREENS:-}" ]; then
		cp "$got" "$want"
		return 0
	fi
	diff -u "$want" "$got" >&2 || fail "the screen differs from tests/dashboard/$1.screen"
}

project() {
	make_repo r <<EOF2
{"version": 1, "stages": [
  {"name": "build", "run": "echo building"},
  {"name": "test", "run": "echo testing; test ! -f fail-here || { echo boom; exit 4; }"}]}
EOF2
	cd r
	git checkout -q -b development
	commit_file CHANGES "one" "Start development"
	git checkout -q -b feature/broken
	commit_file fail-here "x" "Break the tests"
	git checkout -q main
}

opens_on_branches() {
	pin_clock
	project
	dash ''
	golden branches
}

runs_a_branch_and_shows_its_stages() {
	pin_clock
	project
	dash 'j' 'r' ':wait-run latest'
	golden pipeline-passed
	expect_eq "$(run_status 1)" passed
	expect_eq "$(json "$(run_json 1)" 'j["trigger"]')" dashboard
}

failing_stage_shows_reason_and_log() {
	pin_clock
	project
	dash 'j j' 'r' ':wait-run latest' '<Enter>' ':dump pipeline' '<Enter>'
	golden pipeline-failed pipeline
	golden log
}

# One owner decides what the Pipeline shows: its title and its run agree
# after :run, :show, a filter and a selection change, with no R needed.
# on_screen FILE PATTERN: the dumped screen FILE has a line matching
# PATTERN; if not, the screen is shown, so that a failure says what it saw.
on_screen() {
	grep -q "$2" "$1" && return 0
	sed 's/^/    | /' "$1" >&2
	fail "no line matching '$2' in $1"
}

pipeline_follows_what_is_shown() {
	project
	$SLIPWAY run main --follow >/dev/null
	$SLIPWAY run development --follow >/dev/null
	dash ':dump opened' ':run feature/broken' ':wait-run latest' ':dump ran' ':show 2' ':dump shown' \
		'/ m a i' ':dump typing' '<Enter>' ':dump filtered' '/ <Enter>' 'j' ':dump moved' \
		':show 1' 'R' ':dump reloaded' 'H j <Enter>' ':dump history'
	on_screen opened '^─ Pipeline · main ─'
	on_screen opened '#1 passed 2/2 .* · main$'
	on_screen ran '^─ Pipeline · feature/broken ─'
	on_screen ran '#3 failed 2/2 .* · feature/broken$'
	on_screen ran '^▌✗ feature/broken'
	on_screen shown '^─ Pipeline · development ─'
	on_screen shown '#2 passed 2/2 .* · development$'
	# the filter hides feature/broken: the selection, and the Pipeline, move to main
	on_screen typing '^─ Branches 1 · filter: mai ─'
	on_screen typing '^─ Pipeline · main ─'
	on_screen typing '#1 passed 2/2 .* · main$'
	on_screen filtered '^─ Pipeline · main ─'
	on_screen moved '^─ Pipeline · development ─'
	on_screen moved '#2 passed 2/2 .* · development$'
	# R drops what :show pinned: back to the selected branch's run
	on_screen reloaded '^─ Pipeline · development ─'
	on_screen reloaded '#2 passed'
	# History's Enter shows the run it names, and the title says whose it is
	on_screen history '^─ Pipeline · development ─'
	on_screen history 'showing run 2'
}

# One layer selects, scrolls and pages every view: a page is the rows
# shown less one, in a list and in a text alike, and never past the end.
paging_is_the_same_in_every_view() {
	# one commit time for all: the rows are in name order after main's two
	pin_clock
	project
	local i
	for i in $(seq 10 39); do git branch -q b$i; done
	dash '<PgDn>' ':dump list' '<PgDn> <PgDn> <PgDn> <PgDn> <PgDn>' ':dump end' '<PgUp>' ':dump up' '?' '<PgDn>'
	grep -q '^▌  b16 ' list
	grep -q '^─ Pipeline · b16 ─' list
	grep -q '^▌  feature/broken ' end
	grep -q '^▌  b32 ' up
	grep -q '^─ Pipeline · b32 ─' up
	# 41 actions in 22 rows: a page down stops where the last one is at the bottom
	sed -n 2p screen | grep -q ' help '
	sed -n 23p screen | grep -q ' copy '
}

help_comes_from_the_action_table() {
	project
	dash '?' ':dump top' 'G'
	golden help top
	golden help-end
}

filter_branches() {
	pin_clock
	project
	dash '/ f e a t <Enter>'
	golden branches-filtered
}

# Esc on the main screen drops the filter; the selection stays where it was.
esc_clears_the_filter() {
	project
	dash '/ f e a t <Enter>' '<Tab> <Esc>' ':dump focused' '<Esc>'
	grep -q '^─ Branches 1 · filter: feat ─' focused
	grep -q '^─ Branches 3 ─' screen
	grep -q '^▌  feature/broken' screen
	grep -q '^─ Pipeline · feature/broken ─' screen
}

# Cut log lines scroll sideways, half a screen a key, and no further than
# the longest line on screen.
log_scrolls_sideways() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "a", "run": "echo short; printf 'head%0200dtail\\n' 0; echo end"}]}
EOF2
	cd r
	$SLIPWAY run --follow >/dev/null
	dash 'l' ':dump cut' '<Right>' ':dump one' '<Right> <Right> <Right>' ':dump far' '<Right>' ':dump still' \
		'<Left>' ':dump back' 'w <Right>' ':dump wrapped'
	grep -q '^head0000' cut
	! grep -q 'tail' cut
	grep -q '^─ Log · run 1 · a · 3 lines · following · from column 41 ─' one
	grep -q '^0000' one
	grep -q '^─ Log · run 1 · a · 3 lines · following · from column 161 ─' far
	grep -q '^0\{44\}tail$' far
	grep -q ' from column 161 ─' still
	grep -q ' from column 121 ─' back
	grep -q 'lines are wrapped: nothing is cut' wrapped
}

prompt_runs_cli_command_lines() {
	project
	dash ':run feature/broken' ':wait-run latest' ':log 1 test'
	grep -q '^─ Log · run 1 · test' screen
	grep -q '^boom$' screen
	dash ':log latest test'
	grep -q '^─ Log · run 1 · test' screen
	dash ':show +1'
	grep -q '"+1" is not a run id (a number, #N or latest)' screen
	dash ':frobnicate'
	grep -q 'unknown command "frobnicate"' screen
	dash '<Colon> r u <Tab> f e a <Tab> <Enter>' ':wait-run latest'
	expect_eq "$(json "$(run_json 2)" 'j["branch"]')" feature/broken
	# The CLI's own parser: short options, options after the branch.
	dash ':run development -s build --again' ':wait-run latest'
	expect_eq "$(json "$(run_json 3)" '(j["branch"], j["partial"], j["only_stage"])')" \
		"('development', True, 'build')"
	dash 'H'
	grep -q '#3     passed (build only) *development ' screen
	dash ':run --frob'
	grep -q 'run: --frob is not an option' screen
	dash ':log 1 test extra'
	grep -q 'log: a run and a stage at most' screen
	dash ':rnu'
	grep -q 'unknown command "rnu"; did you mean "run"?' screen
}

cancel_asks_first() {
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "wait", "run": "while [ ! -f $PWD/go ]; do sleep 0.05; done"}]}
EOF2
	cd r
	git checkout -q -b feature
	$SLIPWAY run >/dev/null
	wait_for 20 sh -c "grep -q '\"running\"' $(run_json 1)"
	dash 'j' 'c' ':dump asked' 'n' ':dump declined' 'c' 'y' ':wait-run 1'
	grep -q 'Cancel run 1 on feature? Its running stage is stopped. \[y/N\]' asked
	grep -q 'nothing cancelled' declined
	expect_eq "$(run_status 1)" cancelled
	grep -q 'run 1 cancelled' screen
}

protected_branch_needs_its_name_typed() {
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "wait", "run": "while [ ! -f $PWD/go ]; do sleep 0.05; done"}],
 "ui": {"protected": ["release"]}}
EOF2
	cd r
	$SLIPWAY run >/dev/null
	wait_for 20 sh -c "grep -q '\"running\"' $(run_json 1)"
	# main is protected by default: y is not enough, the name is
	dash 'c' ':dump asked' 'y <Enter>' ':dump refused' 'c m a i n <Enter>' ':wait-run 1'
	grep -q 'main is protected: type its name to cancel run 1:' asked
	grep -q 'nothing cancelled: "y" is not "main"' refused
	expect_eq "$(run_status 1)" cancelled
	# the repository adds protections; the user's file can make it Enter again
	git checkout -q -b release
	$SLIPWAY run >/dev/null
	wait_for 20 sh -c "grep -q '\"running\"' $(run_json 2)"
	printf 'set confirm-protected enter\n' >../config
	SLIPWAY_CONFIG=$PWD/../config dash 'c' ':dump asked' 'y' ':wait-run 2'
	grep -q 'Cancel run 2 on release?' asked
	expect_eq "$(run_status 2)" cancelled
}

user_config_binds_keys_and_reports_errors() {
	project
	printf '# my keys\nbind x run\nbind r none\nset bell off\n' >../config
	export SLIPWAY_CONFIG=$PWD/../config
	dash 'r' ':dump nothing' 'j x' ':wait-run latest'
	grep -q '^ x run · Enter open · / filter · h history' nothing
	expect_eq "$(json "$(run_json 1)" 'j["branch"]')" development
	[ ! -d .git/slipway/runs/2 ]
	printf 'bind x rnu\n' >../config
	exits 2 dash '' 2>err
	grep -q 'config:1: unknown action "rnu" (did you mean "run"?)' err
	unset SLIPWAY_CONFIG
	mkdir -p "$HOME/.config/slipway"
	printf 'bind j quit\nbind j help\n' >"$HOME/.config/slipway/config"
	dash ''
	grep -q '~/.config/slipway/config:2: j was bound already at line 1' screen
	rm "$HOME/.config/slipway/config"
}

themes_and_no_color() {
	project
	for theme in dark light high-contrast mono; do
		printf '\n' >script
		$SLIPWAY --theme $theme --script script --size 80x24 --dump screen
		grep -q 'Branches 3' screen
	done
	exits 2 $SLIPWAY --theme nope --script script 2>err
	grep -q 'unknown theme "nope"' err
	mkdir -p "$HOME/.config/slipway/themes"
	printf 'color title green default bold\n' >"$HOME/.config/slipway/themes/mine.theme"
	$SLIPWAY --theme mine --script script --size 80x24 --dump screen
	NO_COLOR=1 $SLIPWAY --script script --size 80x24 --dump screen
	grep -q 'Branches 3' screen
}

# m: the core's plan on screen (commit, run, fast-forward, push), asked
# first; refused with the core's reason and nothing moved; main protected
# wants its name typed; read-only refuses.  Wide, so the question fits.
wide() {
	printf '%s\n' "$@" >script
	$SLIPWAY --script script --size 200x24 --dump screen
}

absent_on_screen() {
	grep -q "$2" "$1" || return 0
	sed 's/^/    | /' "$1" >&2
	fail "a line matching '$2' in $1"
}

merge_key_asks_then_merges() {
	git init -q --bare origin.git
	project
	git remote add origin "file://$(cd .. && pwd)/origin.git"
	git push -q origin main
	$SLIPWAY run development --follow >/dev/null
	local head old broken
	head=$(git rev-parse development) old=$(git rev-parse main) broken=$(git rev-parse feature/broken)
	wide 'j j' 'm'
	on_screen screen "feature/broken@${broken:0:7} has no passed run; it has never been run: \`slipway run feature/broken\` tests it"
	expect_eq "$(git rev-parse main)" "$old"
	# main is protected by default: a wrong name merges nothing
	wide 'j' 'm' ':dump typed' 'x <Enter>'
	on_screen typed "main is protected: type its name to merge development@${head:0:7} \"Start development\", proved by run #1: fast-forward main ${old:0:7} → ${head:0:7}, then push to origin:"
	on_screen screen 'nothing merged: "x" is not "main"'
	expect_eq "$(git rev-parse main)" "$old"
	# Enter is enough when so configured: y/N
	printf 'set confirm-protected enter\n' >../config
	SLIPWAY_CONFIG=$PWD/../config wide 'j' 'm' ':dump asked' 'n'
	on_screen asked "Merge development@${head:0:7} \"Start development\", proved by run #1: fast-forward main ${old:0:7} → ${head:0:7}, then push to origin? \[y/N\]"
	on_screen screen 'nothing merged'
	expect_eq "$(git rev-parse main)" "$old"
	SLIPWAY_CONFIG=$PWD/../config wide 'j' 'm' 'y'
	on_screen screen "merged development@${head:0:7} into main, proved by run #1; pushed to origin"
	expect_eq "$(git rev-parse main)" "$head"
	expect_eq "$(git -C ../origin.git rev-parse main)" "$head"
	expect_eq "$(ls .git/slipway/merges)" 1.json
	wide 'j' 'm'
	on_screen screen "main already has development@${head:0:7}: nothing to merge"
	# a user's binding of the action, and of m to nothing
	printf 'bind m none\nbind x merge\n' >../config
	SLIPWAY_CONFIG=$PWD/../config wide 'j' 'm'
	absent_on_screen screen 'nothing to merge'
	SLIPWAY_CONFIG=$PWD/../config wide 'j' 'x'
	on_screen screen "main already has development@${head:0:7}: nothing to merge"
	# the typed name, right
	git checkout -q development
	commit_file more "two" "More development"
	git checkout -q main
	$SLIPWAY run development --follow >/dev/null
	head=$(git rev-parse development)
	wide 'j' 'm' 'm a i n <Enter>'
	on_screen screen "merged development@${head:0:7} into main, proved by run #2; pushed to origin"
	expect_eq "$(git -C ../origin.git rev-parse main)" "$head"
	# read-only: refused before anything is asked
	git checkout -q development
	commit_file more "three" "Even more"
	git checkout -q main
	$SLIPWAY run development --follow >/dev/null
	printf 'j\nm\n' >script
	$SLIPWAY --read-only --script script --size 200x24 --dump screen
	on_screen screen 'read-only: merge is refused'
	expect_eq "$(git -C ../origin.git rev-parse main)" "$head"
}

# Main has moved: the question says a merge commit is tested first, and
# the Pipeline shows that run; main moves once it has passed.
merge_key_tests_a_merge_commit() {
	git init -q --bare origin.git
	project
	git remote add origin "file://$(cd .. && pwd)/origin.git"
	git push -q origin main
	$SLIPWAY run development --follow >/dev/null
	commit_file hotfix "fix" "Hotfix on main"
	local head old
	head=$(git rev-parse development) old=$(git rev-parse main)
	printf '%s\n' 'j' 'm' ':dump typed' 'm a i n <Enter>' ':dump started' ':wait-run 2' >script
	$SLIPWAY --script script --size 240x24 --dump screen
	on_screen typed "main is protected: type its name to merge development@${head:0:7} \"Start development\", proved by run #1: main moved (${old:0:7}), so a merge commit is tested first and main moves only if it passes, then push to origin:"
	on_screen started "main has moved: merge commit [0-9a-f]\{7\} is tested by run 2; main moves to it only if that passes"
	on_screen screen "✓ #2 passed 2/2 .* merge "
	wait_for 20 test -e .git/slipway/merges/1.json
	expect_eq "$(json .git/slipway/merges/1.json '(j["status"], j["via"], j["run"])')" "('merged', 'merge-commit', 2)"
	expect_eq "$(git rev-parse main^1) $(git rev-parse main^2)" "$old $head"
	expect_eq "$(git -C ../origin.git rev-parse main)" "$(git rev-parse main)"
	wide 'H'
	on_screen screen "merge  into main .* development .* from ${old:0:7}, merge commit, run #2, pushed to origin"
}

# History shows the merges among the runs, newest first; Enter on one
# shows the run that proved it.
history_shows_merges() {
	git init -q --bare origin.git
	project
	git remote add origin "file://$(cd .. && pwd)/origin.git"
	git push -q origin main
	$SLIPWAY run development --follow >/dev/null
	$SLIPWAY merge development >/dev/null
	local head
	head=$(git rev-parse development)
	wide 'H' ':dump history' '<Enter>'
	on_screen history '^─ History of all branches · 1 runs · 1 merge'
	on_screen history "merge  into main .* development .* ${head:0:7} .* from .*, run #1, pushed to origin Test Author"
	# the merge is newer than the run it merged: above it
	expect_eq "$(grep -n -e 'merge  into' -e '#1 ' history | cut -d: -f1 | tr '\n' ' ')" "2 3 "
	on_screen screen 'showing run 1'
	wide 'j' 'h' ':dump history'
	on_screen history '^─ History of development · 1 runs · 1 merge'
}

read_only_refuses_changes() {
	project
	printf 'r\n' >script
	$SLIPWAY --read-only --script script --size 80x24 --dump screen
	grep -q 'read-only: run is refused' screen
	[ ! -d .git/slipway/runs/1 ]
}

hostile_text_is_neutralised() {
	project
	commit_file x "1" "$(printf 'evil \033]0;pwned\007 and \033[2J clear')"
	dash ''
	grep -q 'evil ^\[\]0;pwned^G and ^\[\[2J' screen
	! grep -q $'\033' screen
}

ascii_without_utf8_locale() {
	pin_clock
	project
	$SLIPWAY run development --follow >/dev/null
	printf 'j\n' >script
	LANG=C LC_ALL=C $SLIPWAY --script script --size 80x24 --dump screen
	golden ascii
}

# no_stray_question_marks FILE: a '?' in FILE is a glyph without an ASCII
# form; the help key and its row are the only '?' the dashboard draws.
no_stray_question_marks() {
	local left
	left=$(sed -e 's/ ? help / /' -e 's/^  ? .*Show the keys$//' "$1" | grep -n '?') || true
	[ -z "$left" ] || fail "$1 has a glyph shown as '?': $left"
}

# Every view in LANG=C: each glyph of the table in its ASCII form.
ascii_glyphs_in_every_view() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "lint", "run": "cat lint.txt 2>/dev/null; true", "parse": "flake8"},
  {"name": "test", "run": "echo '=== 5 passed, 1 skipped in 0.1s ==='; echo \"TOTAL   100   10   $(cat cov.txt)%\"", "parse": ["pytest", "coverage"]},
  {"name": "fails", "run": "test ! -f fail-here"},
  {"name": "after", "run": "true"}]}
EOF2
	cd r
	commit_file cov.txt 90 "Coverage 90"
	$SLIPWAY run --follow >/dev/null || true
	git checkout -q -b feature
	git clone -q --bare . ../origin.git
	git remote add origin ../origin.git
	git fetch -q origin
	git branch -q -u origin/feature
	commit_file cov.txt 70 "Coverage 70"
	commit_file fail-here x "Break it"
	$SLIPWAY run --follow >/dev/null || true
	local view
	for view in '' '<Tab>' '<Tab> j j' 'l' 't' 'h' 'H' '?' '/ f e a <Enter>' '/ f e a' ':show 99'; do
		printf '%s\n' "$view" >script
		LANG=C LC_ALL=C $SLIPWAY --script script --size 80x24 --dump screen
		no_stray_question_marks screen || fail "after keys '$view'"
		LANG=C LC_ALL=C $SLIPWAY --script script --size 160x45 --dump screen
		no_stray_question_marks screen || fail "after keys '$view', 160x45"
	done
	printf '<Tab>\n' >script
	LANG=C LC_ALL=C $SLIPWAY --script script --size 80x24 --dump screen
	grep -q '^- Pipeline | feature -' screen
	grep -Eq '^>x fails +[0-9.]+s +failed +exit code 1' screen
	grep -Eq '^ \. after +pending|^ - after +skipped' screen
	grep -q '^ l log | r run | c cancel | ' screen
	grep -Eq '^ x feature +\+2 -0 \^2v0 ' screen
	printf 't\n' >script
	LANG=C LC_ALL=C $SLIPWAY --script script --size 80x24 --dump screen
	grep -q 'Coverage  70.0%   delta main -20 points' screen
}

# The hint line names the focused view's keys, as bound, whole words only.
hint_line_is_the_focused_views() {
	project
	$SLIPWAY run main --follow >/dev/null
	dash '' ':dump branches' '<Tab>' ':dump pipeline' 'l' ':dump log' '<Esc> t' ':dump quality' \
		'<Esc> h' ':dump history' '<Esc> ?'
	expect_eq "$(tail -1 branches)" ' r run · Enter open · / filter · h history · : command · ? help · q quit …'
	expect_eq "$(tail -1 pipeline)" ' l log · r run · c cancel · t quality · y copy · ? help · q back'
	expect_eq "$(tail -1 log)" ' / search · n/N next · w wrap · ←/→ scroll · G follow · y copy · q back'
	expect_eq "$(tail -1 quality)" ' j/k scroll · C-f/C-b page · q back'
	expect_eq "$(tail -1 history)" ' j/k move · Enter show · q back'
	expect_eq "$(tail -1 screen)" ' j/k scroll · C-f/C-b page · q close'
	# keys with long names: what does not fit is an ellipsis, not half a word
	printf 'bind r none\nbind <F11> run\nbind h none\nbind <Backspace> history\nbind / none\nbind <F12> filter\n' >../config
	SLIPWAY_CONFIG=$PWD/../config dash ''
	expect_eq "$(tail -1 screen)" ' F11 run · Enter open · F12 filter · Backspace history · : command · ? help …'
	[ "$(tail -1 screen | wc -L)" -le 79 ] || fail "the hint line is wider than 80 columns"
	SLIPWAY_CONFIG=$PWD/../config $SLIPWAY --read-only --script script --size 80x24 --dump screen
	expect_eq "$(tail -1 screen)" ' read-only · Enter open · F12 filter · Backspace history · : command · ? help …'
	# a long message is cut with an ellipsis too
	dash ':frobnicate-this-command-with-a-name-much-longer-than-the-whole-width-of-an-eighty-column-terminal'
	grep -q 'unknown command "frobnicate-this.*…$' screen
	[ "$(tail -1 screen | wc -L)" -le 79 ] || fail "the message is wider than 80 columns"
}

too_small_says_so() {
	project
	printf '\n' >script
	$SLIPWAY --script script --size 60x20 --dump screen
	grep -q 'terminal too small (60x20): slipway needs 80x24' screen
}

quality_shows_measures_trend_and_delta() {
	pin_clock
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "lint", "run": "cat lint.txt 2>/dev/null; true", "parse": "flake8"},
  {"name": "test", "run": "echo '========= 5 passed, 1 skipped in 0.1s ========='; echo \"TOTAL   100   10   $(cat cov.txt)%\"", "parse": ["pytest", "coverage"]}],
 "gates": {"coverage_min": 50}}
EOF2
	cd r
	commit_file cov.txt 90 "Coverage 90"
	$SLIPWAY run --follow >/dev/null
	git checkout -q -b feature
	for c in 70 75 80; do
		commit_file cov.txt $c "Coverage $c"
		$SLIPWAY run --follow >/dev/null
	done
	printf 'app/x.py:1:1: F401 unused\napp/x.py:2:1: F401 unused\napp/y.py:3:1: E501 long\n' >lint.txt
	commit_file cov.txt 85 "Some lint"
	$SLIPWAY run --follow >/dev/null || true
	dash 'j' 't'
	golden quality
}

# The trend is of the branch's newest runs, however many older ones there are.
quality_trend_is_of_the_newest_runs() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "test", "run": "echo \"TOTAL   100   10   $(cat cov.txt)%\"", "parse": "coverage"}]}
EOF2
	cd r
	local c
	for c in $(seq 50 79); do
		commit_file cov.txt $c "Coverage $c"
		$SLIPWAY run --follow >/dev/null
	done
	dash 't'
	grep -q 'Run #30 · main' screen
	# 24 points, 56 % to 79 %: the oldest 24 would end at 73 %
	grep -q 'coverage  ▁▁▂▂▂▃▃▃▃▄▄▄▅▅▅▆▆▆▆▇▇▇██  79.0%' screen
}

history_opens_past_runs() {
	pin_clock
	project
	$SLIPWAY run main --follow >/dev/null
	$SLIPWAY run development --follow >/dev/null
	dash 'j' 'h' ':dump mine' '<Esc> H' ':dump hist' 'j <Enter>'
	grep -q '^─ History of development · 1 runs' mine
	golden history-all hist
	golden history-shown
}

log_search_wrap_and_copy() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "a", "run": "seq 1 3000 | sed s/^/line-/; echo 'an ERROR here'; seq 3001 5000; printf '%0300d\\n' 7"}]}
EOF2
	cd r
	$SLIPWAY run --follow >/dev/null
	dash 'l' '/ e r r o r <Enter>' ':dump found' 'n' ':dump again' 'G w' ':dump wrapped' '/ l i n e - 4 2 <Enter>' 'N' ':dump back' 'y'
	grep -q '/error: line 3001 (search wrapped)' found
	grep -q '^an ERROR here$' found
	grep -q '/error: line 3001 (search wrapped)' again
	grep -q '^─ Log · run 1 · a · 5002 lines · following · wrap · /error' wrapped
	expect_eq "$(grep -c '^0000000000' wrapped)" 4
	grep -q '/line-42: line 429 (search wrapped)' back
	grep -q 'copied log line 429: line-429' screen
	dash 'y'
	grep -q "copied commit: $(git rev-parse HEAD)" screen
	dash 'l' '/ ( <Enter>'
	grep -q 'bad pattern "(": missing closing parenthesis' screen
}

large_terminal_tiles_four_panels() {
	pin_clock
	project
	$SLIPWAY run development --follow >/dev/null
	printf 'j\n' >script
	$SLIPWAY --script script --size 160x45 --dump screen
	golden tiled-160x45
	printf '\n' >script
	$SLIPWAY --script script --size 150x30 --dump screen
	grep -q '^─ Branches 3 ─.*─ Pipeline · main ─' screen
	! grep -q 'History' screen
}

# No engine at DOCKER_HOST: the panel says why and what to do, and the
# rest of the dashboard works (over the screen at 80x24, tiled at 160x45).
containers_without_an_engine() {
	pin_clock
	project
	export DOCKER_HOST=unix:///nonexistent/docker.sock
	dash 'C' ':wait-containers'
	golden containers-no-engine
	printf '%s\n' 'C' ':wait-containers' '<Tab> j' >script
	$SLIPWAY --script script --size 160x45 --dump screen
	golden containers-no-engine-160x45
	# Esc gives the screen back; keys go on working
	dash 'C' ':wait-containers' '<Esc> j'
	grep -q '^▌  development ' screen
	! grep -q 'Containers' screen
}

# Sentry without settings: the panel says what is missing, and the rest of
# the dashboard works.
sentry_not_configured() {
	pin_clock
	project
	unset SENTRY_URL SENTRY_ORG SENTRY_PROJECT SENTRY_AUTH_TOKEN
	dash 'E' ':wait-sentry'
	golden sentry-not-configured
	dash 'E' ':wait-sentry' '<Esc> j'
	grep -q '^▌  development ' screen
	! grep -q 'Sentry' screen
}

# The fake Sentry (tests/integration/sentry_fake.py) for this test only.
start_fake_sentry() {
	python3 "$SW_SRCDIR/tests/integration/sentry_fake.py" tok "$PWD/fake.log" >fake.port 2>fake.err &
	FAKE_PID=$!
	trap 'kill $FAKE_PID 2>/dev/null' EXIT
	wait_for 10 test -s fake.port || fail "the fake Sentry did not start"
	export SENTRY_URL=http://127.0.0.1:$(head -1 fake.port) SENTRY_ORG=acme SENTRY_AUTH_TOKEN=tok
}

# Its issues, ages from a pinned clock (three hours after the fake's last
# seen); over the screen at 80x24, tiled at 160x45.
sentry_lists_issues() {
	pin_clock
	project
	start_fake_sentry
	export SENTRY_PROJECT=web-dash SLIPWAY_NOW=1796050800
	dash 'E' ':wait-sentry'
	golden sentry-list
	printf '%s\n' 'E' ':wait-sentry' 's' >script
	$SLIPWAY --script script --size 160x45 --dump screen
	golden sentry-tiled-160x45
	# without UTF-8 and colour the level's letter and word still say it
	printf '%s\n' 'E' ':wait-sentry' 'j' >script
	NO_COLOR=1 LANG=C LC_ALL=C $SLIPWAY --script script --size 80x24 --dump screen
	grep -q '^- Sentry 250 acme/web-dash | by last seen | Esc returns -' screen
	grep -q '^> E error  *21 .* WEB-DASH-2  *Bad ^\[\[31mred' screen
	grep -q '^  W warning  *31 .* WEB-DASH-3  *Long xxx.*~$' screen
	no_stray_question_marks screen
}

no_configuration_still_shows_branches() {
	git init -q -b main r && cd r
	commit_file README "hello" "First"
	dash ''
	grep -q '^─ Branches 1 · no slipway.json: run `slipway init`' screen
	grep -q 'no slipway.json in this repository; run `slipway init` to write one' screen
}

terminals_and_wide_text() {
	project
	git checkout -q -b "功能/宽字符"
	commit_file w "1" "宽い subject ok"
	for term in xterm-256color screen tmux-256color linux vt100; do
		printf '\n' >script
		TERM=$term $SLIPWAY --script script --size 80x24 --dump screen
		grep -q 'Branches 4' screen || fail "TERM=$term"
	done
	# columns stay aligned after double-width names: the counts start at one column
	local col_wide col_ascii
	col_wide=$(grep -m1 '功能' screen | sed 's/+.*//' | wc -L)
	col_ascii=$(grep ' development ' screen | sed 's/+.*//' | wc -L)
	expect_eq "$col_wide" "$col_ascii"
}

upstream_counts_shown() {
	project
	git clone -q --bare . ../origin.git
	git remote add origin ../origin.git
	git fetch -q origin
	git checkout -q development
	git branch -q -u origin/development
	commit_file more "x" "Not pushed yet"
	dash ''
	grep -Eq '^. *development +\+2 -0 ↑1↓0 ' screen
}

# ---- in a real terminal (tmx, screen_has: tests/lib.sh) ----

tmux_runs_resizes_and_restores() {
	project
	tmx new-session -d -x 80 -y 24 -s dash "$SLIPWAY; echo DASHBOARD-EXITED; sleep 60"
	wait_for 20 screen_has 'Branches 3'
	tmx send-keys -t dash j r
	wait_for 30 screen_has '#1 passed'
	tmx resize-window -t dash -x 70 -y 20
	wait_for 20 screen_has 'terminal too small (70x20)'
	tmx resize-window -t dash -x 120 -y 30
	wait_for 20 screen_has 'Pipeline · development'
	tmx send-keys -t dash q
	wait_for 20 screen_has DASHBOARD-EXITED
	# the terminal is back to normal: no alternate screen left, cursor shown
	expect_eq "$(tmx display-message -p -t dash '#{alternate_on}')" 0
	tmx kill-server
}

# mouse_at BUTTON X Y: the terminal's report (X10 form, 0-based cells) of
# a button going down at X,Y and, for button 0, up again: a click.
mouse_at() {
	local b=$1 x=$2 y=$3
	tmx send-keys -t dash -l "$(printf '\033[M%b%b%b' "\\$(printf %o $((32 + b)))" \
		"\\$(printf %o $((33 + x)))" "\\$(printf %o $((33 + y)))")"
	[ "$b" != 0 ] || tmx send-keys -t dash -l "$(printf '\033[M#%b%b' \
		"\\$(printf %o $((33 + x)))" "\\$(printf %o $((33 + y)))")"
}

# With `set mouse on`, a click selects the branch under it; the wheel moves.
tmux_mouse_clicks_and_scrolls() {
	project
	echo 'set mouse on' >../config
	$SLIPWAY run development --follow >/dev/null
	tmx new-session -d -x 80 -y 24 -s dash "SLIPWAY_CONFIG=$PWD/../config $SLIPWAY"
	wait_for 20 screen_has 'Branches 3'
	wait_for 20 screen_has 'Pipeline · main'
	local row
	row=$(tmx capture-pane -p -t dash | grep -n ' feature/broken ' | head -1 | cut -d: -f1)
	mouse_at 0 6 $((row - 1))
	wait_for 20 screen_has 'Pipeline · feature/broken'
	mouse_at 64 6 $((row - 1))	# wheel up: three rows, to the first
	wait_for 20 screen_has 'Pipeline · main'
	mouse_at 65 6 $((row - 1))	# wheel down
	wait_for 20 screen_has 'Pipeline · feature/broken'
	# a click on a stage selects it: the rows start below the run's header
	tmx send-keys -t dash k
	wait_for 20 screen_has 'Pipeline · development'
	row=$(tmx capture-pane -p -t dash | grep -n ' build  ' | head -1 | cut -d: -f1)
	mouse_at 0 6 $((row - 1))
	wait_for 20 screen_has '^▌✓ build '
	tmx send-keys -t dash q
}

tmux_quit_and_hangup_leave_runs_going() {
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "wait", "run": "while [ ! -f $PWD/go ]; do sleep 0.05; done; echo released"}]}
EOF2
	cd r
	tmx new-session -d -x 80 -y 24 -s dash "$SLIPWAY"
	wait_for 20 screen_has 'Branches 1'
	tmx send-keys -t dash r
	wait_for 20 sh -c "grep -q '\"running\"' $(run_json 1)"
	tmx send-keys -t dash q
	wait_for 20 sh -c "! tmux -L $T_TMUX has-session -t dash 2>/dev/null"
	expect_eq "$(run_status 1)" running
	tmx new-session -d -x 80 -y 24 -s dash "$SLIPWAY"
	wait_for 20 screen_has '#1 running'
	# closing the terminal under the dashboard hangs it up
	tmx kill-server
	expect_eq "$(run_status 1)" running
	touch ../go
	wait_for 20 run_final 1
	expect_eq "$(run_status 1)" passed
}

tmux_copy_reaches_the_clipboard() {
	project
	tmx new-session -d -x 80 -y 24 -s dash "$SLIPWAY"
	tmx set-option -g set-clipboard on
	wait_for 20 screen_has 'Branches 3'
	tmx send-keys -t dash j y
	wait_for 20 screen_has 'copied commit'
	wait_for 20 sh -c "tmux -L $T_TMUX show-buffer 2>/dev/null | grep -q $(git rev-parse development)"
	tmx kill-server
}

tmux_sigterm_restores_the_terminal() {
	project
	tmx new-session -d -x 80 -y 24 -s dash "$SLIPWAY & echo \$! >$PWD/pid; wait; echo DASHBOARD-GONE; sleep 60"
	wait_for 20 screen_has 'Branches 3'
	kill -TERM "$(cat pid)"
	wait_for 20 screen_has DASHBOARD-GONE
	expect_eq "$(tmx display-message -p -t dash '#{alternate_on}')" 0
	tmx kill-server
}

tmux_log_follows_a_running_stage() {
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "slow", "run": "echo first; while [ ! -f $PWD/go ]; do sleep 0.05; done; seq 1 500 | sed 's/^/later-/'"}]}
EOF2
	cd r
	$SLIPWAY run >/dev/null
	wait_for 20 sh -c "grep -q '\"running\"' $(run_json 1)"
	tmx new-session -d -x 80 -y 24 -s dash "$SLIPWAY"
	wait_for 20 screen_has '#1 running'
	tmx send-keys -t dash l
	wait_for 20 screen_has '^first'
	touch ../go
	wait_for 20 screen_has '^later-500'
	screen_has 'following'
	# q leaves the log, q quits: the session, and with it the server, ends
	# (a kill-server here would race the server's own exit)
	tmx send-keys -t dash q q
	wait_for 20 sh -c "! tmux -L $T_TMUX has-session -t dash 2>/dev/null"
}

t_run opens_on_branches
t_run runs_a_branch_and_shows_its_stages
t_run failing_stage_shows_reason_and_log
t_run pipeline_follows_what_is_shown
t_run paging_is_the_same_in_every_view
t_run help_comes_from_the_action_table
t_run filter_branches
t_run esc_clears_the_filter
t_run log_scrolls_sideways
t_run prompt_runs_cli_command_lines
t_run cancel_asks_first
t_run merge_key_asks_then_merges
t_run merge_key_tests_a_merge_commit
t_run history_shows_merges
t_run protected_branch_needs_its_name_typed
t_run user_config_binds_keys_and_reports_errors
t_run themes_and_no_color
t_run read_only_refuses_changes
t_run hostile_text_is_neutralised
t_run ascii_without_utf8_locale
t_run ascii_glyphs_in_every_view
t_run hint_line_is_the_focused_views
t_run too_small_says_so
t_run quality_shows_measures_trend_and_delta
t_run quality_trend_is_of_the_newest_runs
t_run history_opens_past_runs
t_run log_search_wrap_and_copy
t_run large_terminal_tiles_four_panels
t_run containers_without_an_engine
t_run sentry_not_configured
t_run sentry_lists_issues
t_run no_configuration_still_shows_branches
t_run terminals_and_wide_text
t_run upstream_counts_shown
t_run tmux_runs_resizes_and_restores
t_run tmux_mouse_clicks_and_scrolls
t_run tmux_quit_and_hangup_leave_runs_going
t_run tmux_copy_reaches_the_clipboard
t_run tmux_sigterm_restores_the_terminal
t_run tmux_log_follows_a_running_stage
t_done
