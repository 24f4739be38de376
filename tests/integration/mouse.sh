# The mouse (`set mouse on`) in tmux, on every panel: a click focuses the
# panel under it and selects the row under it, the rows found where the
# view drew them (below the Deploys panel's environment header, the Sentry
# panel's column heading); a double click acts as Enter; the wheel scrolls
# the panel under the pointer, focused or not.  No container engine.
# timeout: 300
. "$SW_SRCDIR/tests/lib.sh"

export TERM=xterm-256color

# x10 BUTTON X Y: the terminal's report (X10 form, 0-based cells) of
# BUTTON (0 the first, 3 released, 64/65 the wheel) at X,Y, as the hex
# bytes send-keys -H takes (as text, a ';' ending it would be taken by tmux
# for the end of its command: line 26 is ';').
x10() { printf '1b 5b 4d %x %x %x ' $((32 + $1)) $((33 + $2)) $((33 + $3)); }
send() { tmx send-keys -t dash -H $*; }

click() { send "$(x10 0 "$1" "$2")$(x10 3 "$1" "$2")"; }
# Both clicks in one write: well within ncurses' double-click interval;
# after a pause, that they do not join a click just before into a triple.
double_click() { sleep 0.3; send "$(x10 0 "$1" "$2")$(x10 3 "$1" "$2")$(x10 0 "$1" "$2")$(x10 3 "$1" "$2")"; }
# double_click_opens COL LINE PATTERN: a double click shows PATTERN.  ncurses
# tells a double click by the time between the clicks as it reads them; on
# a loaded machine it may read two single ones, so it is tried twice.
double_click_opens() {
	double_click "$1" "$2"
	wait_for 4 screen_has "$3" && return 0
	double_click "$1" "$2"
	wait_screen 10 "$3"
}
wheel_down() { send "$(x10 65 "$1" "$2")"; }

# line_of PATTERN: the 0-based screen line of the first line matching PATTERN.
line_of() {
	local n
	n=$(tmx capture-pane -p -t dash | grep -n -- "$1" | head -1 | cut -d: -f1)
	[ -n "$n" ] || { show_screen; fail "no '$1' on screen"; }
	echo $((n - 1))
}

# dashboard COLSxLINES [ENV...]: the dashboard in tmux with the mouse on.
dashboard() {
	local size=$1
	shift
	echo 'set mouse on' >"$T_DIR/config"
	# A server just killed (quit) may still hold its socket: "server exited
	# unexpectedly" for the next one.  Tried again a few times.
	local try
	for try in 1 2 3 4 5; do
		tmx new-session -d -x "${size%x*}" -y "${size#*x}" -s dash \
			"env SLIPWAY_CONFIG=$T_DIR/config $* $SLIPWAY; echo DASHBOARD-EXITED; sleep 60" 2>/dev/null && break
		[ $try -lt 5 ] || fail "tmux would not start a server"
		sleep 0.3
	done
	wait_screen 20 '^─ Branches'
}

quit() {
	tmx send-keys -t dash Q
	wait_screen 20 DASHBOARD-EXITED
	tmx kill-server
}

# Two deploys made from the command line; the Deploys overlay at 80x24:
# a click on the second row (below the environment's three lines) selects
# it; a double click opens its steps.
deploys_overlay_click_and_double_click() {
	local top=$PWD
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "test", "run": "true"}],
 "deploy": {"path": "$top/srv", "environment": "staging", "hooks": {"start": "true"}}}
EOF2
	cd r
	$SLIPWAY run main --follow >/dev/null
	$SLIPWAY deploy --follow >/dev/null || fail "the first deploy failed"
	commit_file www "release 2" "Release 2"
	$SLIPWAY run main --follow >/dev/null
	$SLIPWAY deploy --follow >/dev/null || fail "the second deploy failed"
	dashboard 80x24
	tmx send-keys -t dash P
	wait_screen 10 '^─ Deploys 2 · Esc returns'
	wait_screen 5 '^▌✓ #2 '
	click 10 "$(line_of '^ ✓ #1 ')"
	wait_screen 5 '^▌✓ #1 '
	wait_screen 5 '^ ✓ #2 '
	# outside any row (the environment's header): nothing changes
	click 10 "$(line_of '^ staging ')"
	sleep 0.3
	wait_screen 5 '^▌✓ #1 '
	double_click_opens 10 "$(line_of '^ ✓ #2 ')" '^─ Deploys · #2 · Esc: the list'
	quit
	# 140x40: the panel is a tile in History's place; with the focus gone
	# back to the Branches, a click on a deploy gives it the tile
	dashboard 140x40
	tmx send-keys -t dash P
	wait_screen 10 '^─ Deploys 2 '
	tmx send-keys -t dash Tab
	wait_screen 5 '^▌. main '
	wait_screen 5 '^ ✓ #2 '
	click 10 "$(line_of '^ ✓ #1 ')"
	wait_screen 5 '^▌✓ #1 '
	no_screen '^▌. main '
	quit
}

# The Sentry overlay against the fake Sentry: a click below the column
# heading selects the issue clicked; a double click opens its details.
sentry_overlay_click() {
	local token=sntrys-swmouse-$$ log=$T_DIR/fake.log
	python3 "$SW_SRCDIR/tests/integration/sentry_fake.py" "$token" "$log" >"$T_DIR/fake.port" 2>"$T_DIR/fake.err" &
	local fake=$!
	wait_for 10 test -s "$T_DIR/fake.port" || { kill $fake; fail "the fake Sentry did not start"; }
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "build", "run": "true"}]}
EOF2
	cd r
	dashboard 80x24 SENTRY_URL=http://127.0.0.1:$(head -1 "$T_DIR/fake.port") SENTRY_ORG=acme \
		SENTRY_PROJECT=web-mouse SENTRY_AUTH_TOKEN=$token
	tmx send-keys -t dash E
	wait_screen 20 '^─ Sentry 250 acme/web-mouse'
	wait_screen 5 '^▌ E error .* WEB-MOUSE-1 '
	click 20 "$(line_of ' WEB-MOUSE-3 ')"
	wait_screen 5 '^▌ .* WEB-MOUSE-3 '
	no_screen '^▌ .* WEB-MOUSE-1 '
	double_click_opens 20 "$(line_of ' WEB-MOUSE-2 ')" 'Log · issue WEB-MOUSE-2'
	quit
	kill $fake 2>/dev/null
}

project() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "build", "run": "true"}, {"name": "test", "run": "true"}]}
EOF2
	cd r
	git checkout -q -b development
	commit_file CHANGES "one" "Start development"
	git checkout -q -b feature/two
	commit_file TWO "two" "Two"
	git checkout -q main
}

# The wheel over the Branches while the Pipeline has the focus: the
# branches move (the Pipeline follows the selection), the focus stays; a
# click on the status line does nothing.
wheel_scrolls_the_panel_under_it() {
	project
	dashboard 80x24
	wait_screen 20 'Pipeline · main'
	tmx send-keys -t dash Tab
	wait_screen 5 '^ l log · r run '	# the Pipeline's keys: it has the focus
	local hints
	hints=$(tmx capture-pane -p -t dash | tail -1)
	wheel_down 6 "$(line_of ' development ')"
	wait_screen 5 'Pipeline · feature/two'
	expect_eq "$(tmx capture-pane -p -t dash | tail -1)" "$hints"
	click 6 23
	sleep 0.3
	expect_eq "$(tmx capture-pane -p -t dash | tail -1)" "$hints"
	wait_screen 5 'Pipeline · feature/two'
	quit
}

# 140x40, four panels: History's tile (the selected branch's runs) takes
# the focus and the row on a click; Enter (a double click) shows that run.
history_tile_click() {
	project
	$SLIPWAY run main --follow >/dev/null
	$SLIPWAY run main --follow >/dev/null
	$SLIPWAY run main --follow >/dev/null
	dashboard 140x40
	wait_screen 20 '─ History of main · 3 runs'
	local y
	y=$(line_of '^ ✓ #2 ')
	click 10 "$y"
	wait_screen 5 '─ History of main · 3 runs · Enter shows one'
	wait_screen 5 '^▌.*#2 '
	double_click_opens 10 "$(line_of '^ ✓ #1 ')" 'showing run 1'
	quit
}

t_run deploys_overlay_click_and_double_click
t_run sentry_overlay_click
t_run wheel_scrolls_the_panel_under_it
t_run history_tile_click
t_done
