# The dashboard's Sentry panel in tmux and in scripted mode against the
# fake Sentry (tests/integration/sentry_fake.py): the first page on screen
# while the fake holds back the rest, the rest arriving by themselves, a
# title's escape sequences neutralised, the sort toggle, an issue's details
# and its latest event's stack frames (held back without holding a key),
# its permalink copied, resolve and ignore asked and done, the title
# filter, the regressions' mark; quitting abandons a held request; a
# Sentry that is down is said in the panel while the other keys work.
# timeout: 300
. "$SW_SRCDIR/tests/lib.sh"

export TERM=xterm-256color
TOKEN=sntrys-swpanel-$$
fake_sentry "$TOKEN"

# deployed_repo: a repository on main whose release was deployed on
# 2026-11-25, after the fake's "rel" issues 6-250 and before 1-5 were
# first seen; ends inside r.
deployed_repo() {
	make_repo r <<EOF2
{"version": 1, "stages": [{"name": "build", "run": "true"}],
 "deploy": {"path": "$PWD/srv", "hooks": {"start": "true"}}}
EOF2
	cd r
	$SLIPWAY run main --follow >/dev/null
	SLIPWAY_NOW=1795564800 $SLIPWAY deploy --follow >/dev/null
}

# scripted PROJECT LINE...: the dashboard in scripted mode (SIZE, default
# 100x24; the clock pinned three hours after the fake's last seen) on the
# fake's PROJECT; the screen into the file screen.
scripted() {
	local project=$1
	shift
	printf '%s\n' "$@" >script
	env SENTRY_URL="$URL" SENTRY_ORG=acme SENTRY_PROJECT="$project" SENTRY_AUTH_TOKEN="$TOKEN" SLIPWAY_NOW=1796050800 \
		$SLIPWAY --script script --size "${SIZE:-100x24}" --dump screen
}

# dashboard PROJECT: the dashboard at 80x24 in tmux, on the fake's PROJECT.
dashboard() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "build", "run": "true"}]}
EOF2
	cd r
	tmx new-session -d -x 80 -y 24 -s dash \
		"env SENTRY_URL=$URL SENTRY_ORG=acme SENTRY_PROJECT=$1 SENTRY_AUTH_TOKEN=$TOKEN $SLIPWAY; echo DASHBOARD-EXITED; sleep 60"
	wait_screen 20 'Branches 1'
}

quit() {
	tmx send-keys -t dash Q
	wait_screen 20 DASHBOARD-EXITED
}

# The fake holds every page after the first until the gate file exists:
# what is on screen before then came from the first page alone.
first_page_before_the_rest() {
	dashboard gated-first
	tmx send-keys -t dash E
	wait_screen 20 '^─ Sentry 100… acme/gated-first · by last seen · Esc returns'
	wait_screen 5 ' GATED-FIRST-1 '
	# the second page is asked (the fake logs it as it arrives) and held
	wait_for 10 sh -c "[ \$(grep -c 'GET /api/0/projects/acme/gated-first/issues/' '$FAKE_LOG') = 2 ]" ||
		fail "the second page was not asked"
	grep 'gated-first/issues/' "$FAKE_LOG" | tail -1 | grep -q 'cursor=0%3A100%3A0' || fail "the second page was not asked"
	# keys work while the second page is held back
	tmx send-keys -t dash j
	wait_screen 5 '^▌ E error .* GATED-FIRST-2 '
	touch "$FAKE_LOG.gated-first.gate"
	wait_screen 20 '^─ Sentry 250 acme/gated-first · by last seen'
	quit
}

# Quitting while a page is held back: the request is abandoned at once, not
# waited out (the fake would hold it 30 s).
quit_does_not_wait_for_sentry() {
	dashboard gated-quit
	tmx send-keys -t dash E
	wait_screen 20 '^─ Sentry 100… acme/gated-quit'
	wait_for 10 sh -c "[ \$(grep -c 'GET /api/0/projects/acme/gated-quit/issues/' '$FAKE_LOG') = 2 ]" ||
		fail "the second page was not asked"
	tmx send-keys -t dash Q
	wait_screen 5 DASHBOARD-EXITED
}

# y: the selected issue's permalink reaches the clipboard (OSC 52).
copy_gives_the_permalink() {
	dashboard web-copy
	tmx set-option -g set-clipboard on
	tmx send-keys -t dash E
	wait_screen 20 '^─ Sentry 250 acme/web-copy'
	tmx send-keys -t dash j y
	wait_screen 10 'copied permalink'
	wait_for 10 sh -c "tmux -L $T_TMUX show-buffer 2>/dev/null | grep -q 'organizations/acme/issues/1002/'" ||
		fail "the permalink is not in the clipboard"
	quit
}

rows_sort_details_and_escapes() {
	dashboard web-rows
	tmx send-keys -t dash E
	wait_screen 20 '^─ Sentry 250 acme/web-rows'
	wait_screen 5 'LEVEL *COUNT USERS LAST ISSUE *TITLE'
	wait_screen 5 '^▌ E error *11 *1 .* WEB-ROWS-1 *ZeroDivisionError'
	# a title with escape sequences: shown, neutralised
	wait_screen 5 ' WEB-ROWS-2 *Bad ^\[\[31mred^\[\[0m title ^\[\]0;'
	# by count: the most events first; and back
	tmx send-keys -t dash s
	wait_screen 5 '^─ Sentry 250 acme/web-rows · by count'
	wait_screen 5 '^▌ E error *2501 .* WEB-ROWS-250 '
	tmx send-keys -t dash s
	wait_screen 5 '^─ Sentry 250 acme/web-rows · by last seen'
	wait_screen 5 '^▌ E error *11 .* WEB-ROWS-1 '
	# Enter: the details, permalink and all; Esc comes back to the panel
	tmx send-keys -t dash j Enter
	wait_screen 10 'Log · issue WEB-ROWS-2'
	wait_screen 5 '^permalink   http://127.0.0.1/organizations/acme/issues/1002/'
	wait_screen 5 '^culprit     app.views in index'
	wait_screen 5 '^status      unresolved'
	wait_screen 5 '^first seen  2026-11-20T10:00:00Z'
	wait_screen 5 '^Bad ^\[\[31mred'
	tmx send-keys -t dash Escape
	wait_screen 10 '^─ Sentry 250 acme/web-rows'
	# the title filter
	tmx send-keys -t dash / Long Enter
	wait_screen 5 'filter: Long'
	wait_screen 5 '^▌ W warning .* WEB-ROWS-3 *Long xxx'
	no_screen '^. E error .* WEB-ROWS-1 '
	# Esc gives the main screen back
	tmx send-keys -t dash Escape
	wait_screen 10 '^─ Branches 1'
	quit
}

resolve_and_ignore_ask_first() {
	dashboard web-triage
	tmx send-keys -t dash E
	wait_screen 20 '^─ Sentry 250 acme/web-triage'
	tmx send-keys -t dash v
	wait_screen 5 'Mark Sentry issue WEB-TRIAGE-1 resolved? \[y/N\]'
	tmx send-keys -t dash n
	wait_screen 5 'nothing done: WEB-TRIAGE-1 left as it is'
	! grep -q '^PUT' "$FAKE_LOG" || fail "a triage was sent without a yes"
	tmx send-keys -t dash v
	wait_screen 5 'Mark Sentry issue WEB-TRIAGE-1 resolved?'
	tmx send-keys -t dash y
	wait_screen 10 'WEB-TRIAGE-1 resolved'
	wait_screen 5 '^─ Sentry 249 '
	no_screen '^. E error .* WEB-TRIAGE-1 '
	grep -q '^PUT /api/0/organizations/acme/issues/1001/ token=good' "$FAKE_LOG" || fail "no PUT for issue 1001"
	# the selection is on the next issue: ignore it
	tmx send-keys -t dash i
	wait_screen 5 'Mark Sentry issue WEB-TRIAGE-2 ignored? \[y/N\]'
	tmx send-keys -t dash y
	wait_screen 10 'WEB-TRIAGE-2 ignored'
	wait_screen 5 '^─ Sentry 248 '
	# R reads the list again: Sentry no longer has them unresolved
	tmx send-keys -t dash R
	wait_for 10 sh -c "[ \$(grep -c 'GET /api/0/projects/acme/web-triage/' '$FAKE_LOG') -ge 6 ]" || fail "R did not list again"
	wait_screen 10 '^─ Sentry 248 acme/web-triage · by last seen'
	no_screen '^. E error .* WEB-TRIAGE-2 '
	quit
}

# A Sentry that answers 500 always: the panel says so and the rest works.
down_sentry_is_said_and_keys_work() {
	dashboard down-panel
	tmx send-keys -t dash E
	wait_screen 30 'Tried again every few seconds; R tries now'
	wait_screen 5 '500'
	tmx send-keys -t dash Escape j
	wait_screen 5 '^─ Branches 1'
	quit
}

# Not configured: said plainly.
not_configured_is_said() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "build", "run": "true"}]}
EOF2
	cd r
	tmx new-session -d -x 80 -y 24 -s dash \
		"env -u SENTRY_URL -u SENTRY_ORG -u SENTRY_PROJECT -u SENTRY_AUTH_TOKEN $SLIPWAY; echo DASHBOARD-EXITED; sleep 60"
	wait_screen 20 'Branches 1'
	tmx send-keys -t dash E
	wait_screen 10 'Sentry is not configured: set SENTRY_ORG'
	tmx send-keys -t dash v
	wait_screen 5 'no issue selected'
	quit
}

# Issues first seen since the serving release's deploy wear a mark (a
# glyph: ASCII and colourless screens show it too), the title counts them
# and the details say so; the rule is the core's.
regressions_are_marked() {
	deployed_repo
	scripted rel-mark E :wait-sentry
	grep -q '^─ Sentry 246 acme/rel-mark · by last seen · ✦ 5 new since deploy · Esc returns ─' screen ||
		fail "title: $(head -1 screen)"
	grep -q '^▌ E error .* REL-MARK-1  *✦ ZeroDivisionError: division by zero in view 1$' screen || fail "$(cat screen)"
	grep -q '^  W warning .* REL-MARK-9  *ZeroDivisionError' screen || fail "$(cat screen)"
	expect_eq "$(grep -c 'REL-MARK-[0-9]*  *✦ ' screen)" 5
	NO_COLOR=1 LANG=C LC_ALL=C scripted rel-mark E :wait-sentry
	grep -q '^- Sentry 246 acme/rel-mark | by last seen | \* 5 new since deploy | Esc returns -' screen ||
		fail "title: $(head -1 screen)"
	expect_eq "$(grep -c 'REL-MARK-[0-9]*  *\* ' screen)" 5
	scripted rel-mark E :wait-sentry '<Enter>'
	grep -q '^regression  yes: first seen since the deploy at 2026-11-25T00:00:00Z$' screen || fail "$(cat screen)"
	scripted rel-mark E :wait-sentry 'j j j j j' '<Enter>'
	grep -q '^short id    REL-MARK-9$' screen
	grep -q '^regression  no: first seen before the deploy at 2026-11-25T00:00:00Z$' screen || fail "$(cat screen)"
	# Nothing deployed: no mark, no count, the titles where they were.
	cd ..
	make_repo plain <<'EOF2'
{"version": 1, "stages": [{"name": "build", "run": "true"}]}
EOF2
	cd plain
	scripted rel-mark E :wait-sentry
	grep -q '^─ Sentry 246 acme/rel-mark · by last seen · Esc returns ─' screen || fail "title: $(head -1 screen)"
	grep -q '^▌ E error .* REL-MARK-1  *ZeroDivisionError' screen
	! grep -q '✦' screen
}

# Enter: the latest event's stack frames under the details, read off the
# event loop (scripted mode's :wait-sentry waits for them), innermost
# last, bounded and neutralised; what went wrong said there instead.
details_show_the_latest_events_frames() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "build", "run": "true"}]}
EOF2
	cd r
	scripted ev-frames E :wait-sentry '<Enter>' :wait-sentry
	expect_eq "$(sed -n '/^latest event: asking Sentry\.\.\.$/,/^$/p' screen | sed -n 1,9p)" "latest event: asking Sentry...
latest event e0000000000000000000000000000001, 2026-11-30T12:00:00Z
  KeyError: 'user'
    app/auth.py:12 in current_user (in app)
  ZeroDivisionError: division by zero
    django/core/handlers/base.py:113 in _get_response
    app/views.py:42 in index (in app)
    app/calc.py:7 in divide (in app)"
	grep -q '^GET /api/0/organizations/acme/issues/3001/events/latest/ token=good$' "$FAKE_LOG"
	scripted ev-frames E :wait-sentry j '<Enter>' :wait-sentry
	grep -qF '    app/^[[31mviews.py:42 in index^[]0;pwned^G (in app)' screen || fail "$(cat screen)"
	# 60 frames: the innermost 40, the last at the bottom as the view follows
	scripted ev-frames E :wait-sentry 'j j' '<Enter>' :wait-sentry g
	grep -q '^    (20 outer frames not shown)$' screen || fail "$(cat screen)"
	grep -q '^    app/deep.py:21 in level21$' screen
	scripted ev-frames E :wait-sentry 'j j' '<Enter>' :wait-sentry
	expect_eq "$(grep -v '^ / search' screen | grep . | tail -1)" "    app/deep.py:60 in level60 (in app)"
	scripted ev-frames E :wait-sentry 'j j j' '<Enter>' :wait-sentry
	grep -q '^  no stack frames: the event holds no exception$' screen || fail "$(cat screen)"
	SIZE=200x24 scripted ev-frames E :wait-sentry 'j j j j' '<Enter>' :wait-sentry
	grep -q "^latest event: Sentry at $URL has no latest event of issue 3005 (404 on GET $URL/api/0/organizations/acme/issues/3005/events/latest/)" screen ||
		fail "$(cat screen)"
	SIZE=200x24 scripted ev-frames E :wait-sentry 'j j j j j' '<Enter>' :wait-sentry
	grep -q "^latest event: Sentry answered GET $URL/api/0/organizations/acme/issues/3006/events/latest/ with something that is not JSON" screen ||
		fail "$(cat screen)"
	! grep -rqF -- "$TOKEN" . || fail "the token was written out"
}

# A latest event Sentry holds back: the details say it is asked, the keys
# work meanwhile, closing the details gives it up, and once Sentry answers
# the frames come into the open details by themselves.
held_event_blocks_no_key() {
	dashboard ev-held
	tmx send-keys -t dash E
	wait_screen 20 '^─ Sentry 250 acme/ev-held'
	tmx send-keys -t dash j j j j j j j j Enter
	wait_screen 10 'Log · issue EV-HELD-9'
	wait_screen 5 '^latest event: asking Sentry\.\.\.$'
	tmx send-keys -t dash Escape
	wait_screen 5 '^─ Sentry 250 acme/ev-held'
	tmx send-keys -t dash k
	wait_screen 5 '^▌ E error .* EV-HELD-8 '
	tmx send-keys -t dash j Enter
	wait_screen 10 'Log · issue EV-HELD-9'
	touch "$FAKE_LOG.event-3009.gate"
	wait_screen 15 '^    app/views.py:42 in index (in app)$'
	expect_eq "$(grep -c 'issues/3009/events/latest/' "$FAKE_LOG")" 2
	rm "$FAKE_LOG.event-3009.gate"
	tmx send-keys -t dash Escape j Enter
	wait_screen 10 'Log · issue EV-HELD-10'
	wait_screen 10 '^    app/calc.py:7 in divide (in app)$'
	quit
}

# Quitting while an event is held back: it is abandoned, not waited out.
quit_does_not_wait_for_an_event() {
	dashboard ev-heldq
	tmx send-keys -t dash E
	wait_screen 20 '^─ Sentry 250 acme/ev-heldq'
	tmx send-keys -t dash j j j j j j j j Enter
	wait_screen 10 '^latest event: asking Sentry\.\.\.$'
	tmx send-keys -t dash Q
	wait_screen 5 DASHBOARD-EXITED
}

command -v tmux >/dev/null || { echo "FAIL: tmux is missing"; exit 1; }
t_run first_page_before_the_rest
t_run quit_does_not_wait_for_sentry
t_run copy_gives_the_permalink
t_run rows_sort_details_and_escapes
t_run resolve_and_ignore_ask_first
t_run down_sentry_is_said_and_keys_work
t_run not_configured_is_said
t_run regressions_are_marked
t_run details_show_the_latest_events_frames
t_run held_event_blocks_no_key
t_run quit_does_not_wait_for_an_event
t_done
