# The site the deploy tests deploy (sourced after tests/lib.sh): python's
# http.server serving a release's www/ on 127.0.0.1, started and stopped by
# the hooks as docker-compose would be, and helpers to look at it.

# A free port on 127.0.0.1, as the kernel gives one.
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# site [EXTRA-DEPLOY-KEYS]: a repository r on main whose pipeline passes
# (SITE_STAGES, a JSON list, replaces its one stage), serving www/
# (index.html says "release 1", ok.html is the health URL), deployed to
# $PWD/srv on DEPLOY_TARGET (default local); ends inside r with PORT set.
site() {
	PORT=$(free_port)
	local srv=$PWD/srv extra=${1:-} stages='[{"name": "test", "run": "test ! -e broken"}]'
	[ -z "${SITE_STAGES:-}" ] || stages=$SITE_STAGES
	make_repo r <<EOF
{"version": 1, "stages": $stages,
 "deploy": {
   "target": "${DEPLOY_TARGET:-local}",
   "path": "$srv",
   "shared": ["data"],
   "backup": ["data/db.sqlite3"],
   "hooks": {"stop": "sh serve.sh stop", "start": "sh serve.sh start $PORT", "validate": ""},
   "health": {"url": "http://127.0.0.1:$PORT/ok.html", "timeout": 5}$extra
 }}
EOF
	cd r
	mkdir -p www
	# The server leaves the hook's process group (setsid), as a daemon
	# that docker-compose starts does; its pid lives in shared/.
	cat >serve.sh <<'EOF'
pidfile=$SLIPWAY_DEPLOY_PATH/shared/data/server.pid
case $1 in
start)
	test ! -e fail-start || { echo "start refused"; exit 3; }
	# --directory puts the test's path on its command line: t_run ends it
	# with the test's other processes when a test fails midway.
	setsid /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$PWD/www" "$2" >/dev/null 2>&1 </dev/null &
	echo $! >"$pidfile"
	# Up before the hook returns, as docker-compose up -d returns once
	# its containers started.
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$2/"; do
		i=$((i + 1)); test $i -lt 100 || exit 4; sleep 0.05
	done
	echo "serving $SLIPWAY_COMMIT from $SLIPWAY_RELEASE" ;;
stop)
	test -e "$pidfile" && kill "$(cat "$pidfile")" 2>/dev/null
	rm -f "$pidfile"
	echo stopped ;;
esac
EOF
	echo "release 1" >www/index.html
	echo ok >www/ok.html
	git add -A
	git commit -q -m "Release 1"
}

green() { $SLIPWAY run main --follow >/dev/null; }
page() { curl -sf "http://127.0.0.1:$PORT/${1:-}"; }
deploy_json() { $SLIPWAY deploys --json >dj.json && json dj.json "$1"; }
current() { readlink ../srv/current; }

# Stops what the deploys started, whatever state a failure left.
stop_site() {
	local pid
	pid=$(cat ../srv/shared/data/server.pid 2>/dev/null) && kill "$pid" 2>/dev/null
	return 0
}

release() {
	echo "release $1" >www/index.html
	git commit -q -am "Release $1"
}

