# Configuration checking: what check-config refuses and why, themes that are
# names and hold only colours, and files too large to be a pipeline.
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"

export TERM=xterm-256color
export SLIPWAY_SCRIPT_TIMEOUT=60

# Each test has a home of its own: themes and the user's file differ.
own_home() {
	export HOME=$PWD/home
	mkdir -p "$HOME/.config/slipway/themes"
}

# says MESSAGE COMMAND...: COMMAND exits 2 with exactly MESSAGE on stderr.
says() {
	local want=$1 rc=0
	shift
	"$@" 2>err || rc=$?
	expect_eq "$rc" 2 "(exit code of $*)"
	expect_eq "$(cat err)" "$want"
}

dash() {
	printf '%s\n' "$@" >script
	$SLIPWAY --script script --size 80x24 --dump screen
}

# A repository whose slipway.json names a theme file it ships, in the
# settings language, that would bind j to run: the attack of a clone.
repository_theme_is_a_name() {
	own_home
	git init -q -b main r
	printf 'color title red default\nbind j run\n' >r/evil.theme
	local rel
	rel=$(realpath -m --relative-to="$HOME/.config/slipway/themes" "$PWD/r/evil")
	printf '{"version": 1, "stages": [{"name": "a", "run": "true"}], "ui": {"theme": "%s"}}\n' "$rel" \
		>r/slipway.json
	git -C r add -A
	git -C r commit -q -m "A theme of its own"
	cd r
	says "slipway.json: ui.theme: invalid theme name \"$rel\" (up to 64 letters, digits, '-' and '_', not a path)" \
		$SLIPWAY check-config slipway.json
	# wide enough for the status line to show the whole error
	printf '%s\n' ':dump first' 'j' ':wait-run latest' >script
	$SLIPWAY --script script --size 300x24 --dump screen
	grep -q 'slipway.json: ui.theme: invalid theme name' first
	[ ! -d .git/slipway/runs/1 ] || fail "j started a run"
}

# A theme, built in or the user's, holds colours: the user's own file keeps
# the whole language, a theme picked by a repository cannot bind a key.
a_theme_holds_only_color_lines() {
	own_home
	make_repo r <<<'{"version": 1, "stages": [{"name": "a", "run": "true"}], "ui": {"theme": "mine"}}'
	cd r
	printf '# mine\n\ncolor title green default bold\nbind j run\n' >"$HOME/.config/slipway/themes/mine.theme"
	says "slipway: ~/.config/slipway/themes/mine.theme:4: a theme holds only color lines" dash 'j'
	[ ! -d .git/slipway/runs/1 ] || fail "j started a run"
	printf 'color title green default\n  set read-only off\n' >"$HOME/.config/slipway/themes/mine.theme"
	says "slipway: ~/.config/slipway/themes/mine.theme:2: a theme holds only color lines" \
		$SLIPWAY --theme mine --script script
	# comments, blank lines and colours are what a theme is made of
	printf '# mine\n\n  color title green default bold\n' >"$HOME/.config/slipway/themes/mine.theme"
	dash ''
	grep -q 'Branches 1' screen
	# the user's own file may still bind keys
	printf 'bind x help\n' >"$HOME/.config/slipway/config"
	dash 'x'
	grep -q 'Run the pipeline on the selected branch' screen
}

themes_are_names_everywhere() {
	own_home
	make_repo r <<<'{"version": 1, "stages": [{"name": "a", "run": "true"}], "ui": {"theme": "high-contrast"}}'
	cd r
	dash ''
	grep -q 'Branches 1' screen
	for theme in dark light high-contrast mono; do
		$SLIPWAY --theme $theme --script script --size 80x24 --dump screen
		grep -q 'Branches 1' screen
	done
	printf 'color title green default\n' >"$HOME/.config/slipway/themes/my_theme-2.theme"
	$SLIPWAY --theme my_theme-2 --script script --size 80x24 --dump screen
	printf 'set theme my_theme-2\n' >"$HOME/.config/slipway/config"
	dash ''
	grep -q 'Branches 1' screen
	says "slipway: --theme: invalid theme name \"../themes/mine\" (up to 64 letters, digits, '-' and '_', not a path)" \
		$SLIPWAY --theme ../themes/mine --script script
	printf '# mine\nset theme /tmp/mine\n' >"$HOME/.config/slipway/config"
	says "slipway: ~/.config/slipway/config:2: invalid theme name \"/tmp/mine\" (up to 64 letters, digits, '-' and '_', not a path)" \
		dash ''
}

# 200,000 of each thing a file may hold many of: each is answered, by an
# error naming the bound (the figures before and after are in the commit
# that set the bounds; a test asserts no time).
large_files_are_answered() {
	/usr/bin/python3 - <<'EOF2'
import json
N = 200000
st = {"name": "a", "run": "true"}
def w(name, doc):
    with open(name, "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))
w("stages.json", {"stages": [{"name": "s%d" % i, "run": "true"} for i in range(N)]})
w("env.json", {"stages": [{"name": "a", "run": "true", "env": {"V%d" % i: "" for i in range(N)}}]})
w("secrets.json", {"secrets": ["S%d" % i for i in range(N)], "stages": [st]})
w("gates.json", {"gates": {"m%d_max" % i: 1 for i in range(N)},
                 "stages": [{"name": "a", "run": "true", "parse": [{"regex": "x", "metric": "m%d" % i} for i in range(N)]}]})
w("branches.json", {"stages": [{"name": "a", "run": "true", "branches": ["b%d/*" % i for i in range(N)]}]})
w("parse.json", {"stages": [{"name": "a", "run": "true", "parse": [{"regex": "x", "metric": "m%d" % i} for i in range(N)]}]})
keys = lambda f: ", ".join(f % i for i in range(N))
w("object.json", '{"stages": [{"name": "a", "run": "true"}], "ui": {%s}}' % keys('"k%d": 1'))
w("repeated.json", '{"stages": [{"name": "a", "run": "true"}], "retention": {%s}}' % ", ".join('"runs": %d' % (i + 1) for i in range(N)))
w("env_repeated.json", '{"stages": [{"name": "a", "run": "true", "env": {%s}}]}' % keys('"V": "%d"'))
EOF2
	says "stages.json: stages: 200000 stages; at most 1000" $SLIPWAY check-config stages.json
	says "env.json: stages[0].env: 200000 variables; at most 100" $SLIPWAY check-config env.json
	says "secrets.json: secrets: 200000 secrets; at most 100" $SLIPWAY check-config secrets.json
	says "gates.json: gates: 200000 gates; at most 100" $SLIPWAY check-config gates.json
	says "branches.json: stages[0].branches: 200000 branch patterns; at most 100" $SLIPWAY check-config branches.json
	says "parse.json: stages[0].parse: 200000 parsers; at most 32" $SLIPWAY check-config parse.json
	says 'object.json: ui: unknown key "k0"' $SLIPWAY check-config object.json
	says 'repeated.json: retention: duplicate key "runs"' $SLIPWAY check-config repeated.json
	says "env_repeated.json: stages[0].env: 200000 variables; at most 100" $SLIPWAY check-config env_repeated.json
}

regex_is_compiled_by_check_config() {
	printf '{"stages": [{"name": "a", "run": "true", "parse": {"regex": "(", "metric": "x"}}]}\n' >slipway.json
	says "slipway.json: stages[0].parse.regex: invalid regex at offset 1: missing closing parenthesis" \
		$SLIPWAY check-config slipway.json
}

# What cJSON took and JSON forbids, refused with line and column.
loose_json_is_refused() {
	printf '{"stages": [\n  {"name": "a", "run": "make\ttest"}]}\n' >tab.json
	says 'tab.json:2:29: syntax error: control character 0x09 in string (write it as \t)' \
		$SLIPWAY check-config tab.json
	printf '{"stages": [{"name": "a", "run": "true", "timeout": 0012}]}\n' >zero.json
	says "zero.json:1:53: syntax error: invalid number (no leading zeros)" $SLIPWAY check-config zero.json
	printf '{"stages": [{"name": "a", "run": "true\\u0000; rm -rf x"}]}\n' >nul.json
	says "nul.json:1:39: syntax error: \\u0000 in string (slipway's strings cannot hold NUL)" \
		$SLIPWAY check-config nul.json
}

t_run repository_theme_is_a_name
t_run a_theme_holds_only_color_lines
t_run themes_are_names_everywhere
t_run regex_is_compiled_by_check_config
t_run loose_json_is_refused
t_run large_files_are_answered
t_done
