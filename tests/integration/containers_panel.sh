# The dashboard's Containers panel in tmux against the real engine (the
# suite's podman, scripts/engine.sh): rows under their compose project's
# heading, a stop asked and done with the state changing on screen by the
# engine's events alone, a container's log in the Log view, and text from
# the containers (a project label, a log line) shown neutralised.
# Containers run with --network none.  A component that cannot start is a
# failure, never a skip.
# slow
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"

export TERM=xterm-256color
ENGINE=$SW_SRCDIR/scripts/engine.sh
IMAGE=slipway-panel-busybox:1
P=swp$$
LOCK=
STARTED_ENGINE=0

# The lock of tests/integration/containers.sh: one test at a time per engine.
take_lock() {
	local lock=$SW_ENGINE_DIR/test.lock owner deadline=$((SECONDS + 300))
	mkdir -p "$SW_ENGINE_DIR"
	[ -d "$lock" ] || rm -f "$lock"
	until mkdir "$lock" 2>/dev/null; do
		owner=$(cat "$lock/pid" 2>/dev/null)
		if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
			rm -rf "$lock"
			continue
		fi
		[ $SECONDS -lt $deadline ] || { echo "FAIL: engine: another test (pid $owner) holds $lock"; exit 1; }
		sleep 1
	done
	echo $$ >"$lock/pid"
	LOCK=$lock
}

cleanup() {
	local rc=$?
	set +e
	docker ps -aq --filter "name=^$P-" 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1
	[ "$STARTED_ENGINE" = 1 ] && "$ENGINE" stop >/dev/null 2>&1
	[ -n "$LOCK" ] && rm -rf "$LOCK"
	exit $rc
}

start_engine() {
	local install=()
	[ "$(id -u)" -eq 0 ] && install=(--install)
	"$ENGINE" status >/dev/null 2>&1 || STARTED_ENGINE=1
	timeout 300 "$ENGINE" "${install[@]}" start >/dev/null || { echo "FAIL: engine: it did not start"; exit 1; }
	eval "$("$ENGINE" env)"
	echo "PASS: engine answers at $DOCKER_HOST"
}

# Nothing can be pulled: an image from scratch with the static busybox.
build_busybox() {
	docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
	local ctx
	ctx=$(mktemp -d "$T_DIR/bb.XXXX")
	cp /bin/busybox "$ctx/busybox" || { echo "FAIL: busybox: /bin/busybox (busybox-static) is missing"; exit 1; }
	printf '%s\n' 'FROM scratch' 'COPY busybox /bin/busybox' 'RUN ["/bin/busybox","--install","-s","/bin"]' \
		'CMD ["/bin/sh"]' >"$ctx/Dockerfile"
	DOCKER_BUILDKIT=0 timeout 300 docker build -q -t "$IMAGE" "$ctx" >/dev/null \
		|| { echo "FAIL: busybox: the image did not build"; exit 1; }
}

# run_box NAME [docker run options]: a box that says hello (with an escape
# sequence in its log) and stops promptly on SIGTERM.
run_box() {
	local name=$1
	shift
	docker run -d --network none --stop-timeout 2 --name "$name" "$@" "$IMAGE" \
		sh -c 'trap "exit 0" TERM; printf "hello from %s \033]0;pwned\007 end\n" "$HOSTNAME"; while true; do sleep 0.2; done' \
		>/dev/null
}




# wait_screen SECONDS PATTERN: the pane shows PATTERN within SECONDS; if
# not, the pane is shown and the test fails.

panel_shows_lists_stops_and_logs() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "build", "run": "true"}]}
EOF2
	cd r
	run_box "$P-web" --label com.docker.compose.project="$P" --label com.docker.compose.service=web
	run_box "$P-worker" --label com.docker.compose.project="$P" --label com.docker.compose.service=worker
	run_box "$P-solo"
	run_box "$P-evil" --label com.docker.compose.project="$(printf 'evil\033[31mred')"
	tmx new-session -d -x 160 -y 45 -s dash "$SLIPWAY; echo DASHBOARD-EXITED; sleep 60"
	wait_screen 20 'Branches 1'
	tmx send-keys -t dash C
	wait_screen 20 '^─ Containers [0-9]'
	# the shared engine may hold other tests' containers: only ours
	tmx send-keys -t dash / "$P" Enter
	wait_screen 20 "$P-solo"
	local pane
	pane=$(tmx capture-pane -p -t dash)
	# tiled at 160x45: Containers where History was, beside Quality
	grep -q '^─ Containers [0-9]* · Podman Engine .*─ Quality ─' <<<"$pane" || { show_screen; fail "not tiled"; }
	# headings: the compose project, then those outside compose; rows under them
	awk -v p="$P" '$1 == p && /running/ { h = NR } h && NR > h && index($0, p "-") && !/solo/ { n++ } END { exit !(n >= 2) }' <<<"$pane" \
		|| { show_screen; fail "the project's rows are not under its heading"; }
	awk -v p="$P" '$1 == "other" { h = NR } h && NR > h && index($0, p "-solo") { ok = 1 } END { exit !ok }' <<<"$pane" \
		|| { show_screen; fail "the container outside compose is not under \"other\""; }
	grep -q 'evil^\[\[31mred' <<<"$pane" || { show_screen; fail "the project label's escape is not neutralised"; }
	grep -q "✓ running *$P-web" <<<"$pane" || { show_screen; fail "web is not shown running"; }
	# CPU and memory arrive from the stats thread while the panel is shown
	wait_for 20 sh -c "tmux -L $T_TMUX capture-pane -p -t dash | grep '$P-web' | grep -Eq '[0-9]+\.[0-9]%'" \
		|| { show_screen; fail "no CPU % for web"; }

	# select the web row: the filter, then down onto it
	tmx send-keys -t dash / "$P-web" Enter
	wait_screen 10 "filter: $P-web"
	tmx send-keys -t dash j
	tmx send-keys -t dash d
	wait_screen 10 "Stop container $P-web? \[y/N\]"
	tmx send-keys -t dash n
	wait_screen 10 "nothing done: $P-web left as it is"
	tmx send-keys -t dash d
	wait_screen 10 "Stop container $P-web?"
	tmx send-keys -t dash y
	# no R pressed: the engine's events bring the new state
	wait_screen 30 "exited 0 *$P-web"
	wait_screen 10 "stopped $P-web"
	[ "$(docker inspect -f '{{.State.Status}}' "$P-web")" = exited ] || fail "the engine does not say web exited"

	# Enter: its log in the Log view, the escape sequence neutralised
	tmx send-keys -t dash Enter
	wait_screen 20 "Log · container $P-web"
	wait_screen 10 'hello from .* \^\[\]0;pwned\^G end'
	tmx send-keys -t dash Escape
	wait_screen 10 "^─ Containers .*filter: $P-web"
	tmx send-keys -t dash q
	tmx send-keys -t dash Q
	wait_screen 20 DASHBOARD-EXITED
}

# At 80x24 the panel opens over the main screen; Esc gives it back; the
# start key brings a stopped container back.
panel_over_the_main_screen() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "build", "run": "true"}]}
EOF2
	cd r
	docker stop -t 2 "$P-solo" >/dev/null
	tmx new-session -d -x 80 -y 24 -s dash "$SLIPWAY; echo DASHBOARD-EXITED; sleep 60"
	wait_screen 20 'Branches 1'
	tmx send-keys -t dash C
	wait_screen 20 '^─ Containers .* Esc returns'
	tmx send-keys -t dash / "$P-solo" Enter
	wait_screen 20 "exited 0 *$P-solo"
	tmx send-keys -t dash j u
	wait_screen 10 "Start container $P-solo?"
	tmx send-keys -t dash y
	wait_screen 30 "✓ running *$P-solo"
	tmx send-keys -t dash Escape
	wait_screen 10 '^─ Branches 1'
	tmx send-keys -t dash Q
	wait_screen 20 DASHBOARD-EXITED
}

command -v tmux >/dev/null || { echo "FAIL: tmux is missing"; exit 1; }
trap cleanup EXIT
trap "exit 143" TERM INT
take_lock
start_engine
build_busybox
t_run panel_shows_lists_stops_and_logs
t_run panel_over_the_main_screen
t_done
