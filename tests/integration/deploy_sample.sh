# The sample site (Django + gunicorn behind nginx, SQLite) deployed by
# `slipway deploy` with its own slipway.json "deploy" section, on the real
# engines through docker-compose: a first deploy answering over HTTP, rows
# that outlive a second deploy, a release whose validation fails rolled
# back by itself with the data and its backup intact, and a release whose
# app container exits caught by the containers check.  Only the deploy
# path, the compose project and the ports differ from the sample's own
# section: the hooks are the sample's.  An engine or docker-compose that
# cannot start fails the test; nothing here is skipped.
# slow
# timeout: 1800
. "$SW_SRCDIR/tests/lib.sh"

declare -A HOSTS

free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# engine_for NAME: both engines up, DOCKER_HOST set to NAME's (podman or
# docker; slipway hands it to the hooks and checks the containers there),
# and the sample's base image in that engine.
engine_for() {
	command -v docker-compose >/dev/null || fail "docker-compose not found: scripts/install-deps.sh test"
	engines_up || fail "the container engines could not start"
	export DOCKER_HOST=${HOSTS[$1]}
	timeout 900 "$SW_SRCDIR/scripts/base-image.sh" --engine "$1" >/dev/null ||
		fail "the sample's base image is not in $1"
	docker-compose version >/dev/null || fail "docker-compose does not run"
	reap_stale
}

# Containers of a run of this test that was killed before its cleanup
# (podman's outlive its API service, so .ci/run's engine stop leaves them):
# the project names the test's pid, gone now.
reap_stale() {
	local project pid
	for project in $(docker ps -a --format '{{.Label "com.docker.compose.project"}}' | grep -E '^swds-[a-z]+-[0-9]+$' | sort -u); do
		pid=${project##*-}
		kill -0 "$pid" 2>/dev/null && continue
		docker ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r docker rm -f >/dev/null 2>&1
		docker volume ls -q --filter "label=com.docker.compose.project=$project" | xargs -r docker volume rm -f >/dev/null 2>&1
	done
	return 0
}

# site ENGINE: the sample as a repository r on main, deployed to $PWD/srv
# as compose project $PROJECT on free ports (shared/.env, written before
# the first deploy as an operator would), with main green; ends inside r.
site() {
	engine_for "$1"
	SRV=$PWD/srv
	PROJECT=swds-$1-$$
	APP_PORT=$(free_port)
	PROXY_PORT=$(free_port)
	[ "$APP_PORT" != "$PROXY_PORT" ] || PROXY_PORT=$(free_port)
	trap stop_site EXIT
	mkdir r
	cp -a "$SLIPWAY_SAMPLE/." r/
	cd r
	rm -rf .venv staticfiles data .env
	/usr/bin/python3 - "$SRV" "$PROJECT" "$PROXY_PORT" <<'EOF'
import json, sys
j = json.load(open("slipway.json"))
d = j["deploy"]
d["path"], d["project"] = sys.argv[1], sys.argv[2]
d["health"]["url"] = "http://127.0.0.1:%s/" % sys.argv[3]
# Long enough for a cold start of the app on dockerd's vfs storage, short
# enough that a failing release is given up on soon.
d["health"]["timeout"] = 40
json.dump(j, open("slipway.json", "w"), indent=2)
EOF
	git init -q -b main
	git add -A
	git commit -q -m "The sample site"
	mkdir -p "$SRV/shared"
	printf 'APP_PORT=%s\nPROXY_PORT=%s\n' "$APP_PORT" "$PROXY_PORT" >"$SRV/shared/.env"
	green
}

green() {
	timeout 600 $SLIPWAY run main --follow >run.out 2>&1 || { tail -30 run.out >&2; fail "main's pipeline failed"; }
}

# deploy_ok N: deploy #N of main's head succeeds.
deploy_ok() {
	timeout 900 $SLIPWAY deploy --follow >out 2>&1 || {
		tail -40 out >&2
		$SLIPWAY log "deploy:$1" health 2>&1 | tail -20 >&2
		fail "deploy #$1 failed"
	}
	grep -q "^deploy #$1 succeeded" out || { cat out >&2; fail "no success line for deploy #$1"; }
}

page() { curl -fsS -m 5 "http://127.0.0.1:$PROXY_PORT/${1:-}"; }
# page_has PATH TEXT: the body is read whole first (grep -q would close the pipe).
page_has() {
	local body
	body=$(page "$1") || return 1
	grep -qF -- "$2" <<<"$body"
}
current() { readlink "$SRV/current"; }
db() { sqlite3 "$SRV/shared/data/db.sqlite3" "$@"; }

add_letting() {
	db "insert into lettings_address (number, street, city, state, zip_code, country_iso_code)
	    values (42, 'Survivor Lane', 'Irvine', 'CA', 92618, 'USA');
	    insert into lettings_letting (title, address_id) values ('$1', last_insert_rowid());"
}

# Whatever state a failure left: no deploy still running, no container,
# network or volume of the project.
stop_site() {
	set +e
	local pid
	for pid in $($SLIPWAY deploys --json 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; print(" ".join(str(d["pid"]) for d in json.load(sys.stdin) if d["status"] == "running" and d.get("pid")))' 2>/dev/null); do
		kill "$pid" 2>/dev/null
	done
	local dir
	for dir in "$SRV/current" "$SRV"/releases/*/; do
		[ -f "$dir/docker-compose.yml" ] || continue
		(cd "$dir" && COMPOSE_PROJECT_NAME=$PROJECT timeout 120 docker-compose down -v --remove-orphans) >/dev/null 2>&1
		break
	done
	docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" | xargs -r docker rm -f >/dev/null 2>&1
	docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | xargs -r docker volume rm -f >/dev/null 2>&1
	return 0
}

# a), b) and c) on podman.
deploys_keep_the_data_and_roll_back() {
	site podman
	local r1 r2
	r1=$(git rev-parse HEAD)
	deploy_ok 1
	# a) the site through nginx, the database in shared/data on the host,
	# written by the app's uid (the after_install hook), not root
	page_has "" "<title>Home · Orange County Lettings</title>" || fail "no home page: $(page)"
	page_has "static/css/styles.css" "font-family" || fail "nginx serves no static files"
	expect_eq "$(current)" "releases/$r1"
	test -L "$SRV/current/data"
	expect_eq "$(stat -c %u "$SRV/shared/data")" 10001
	expect_eq "$(db 'select count(*) from lettings_letting')" 3
	local app
	app=$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=app")
	[ "$(docker exec "$app" id -u)" = 10001 ] || fail "the app does not run as uid 10001"
	$SLIPWAY log deploy:1 backup | grep -q "not there yet"

	# b) a row written before the second deploy is there after it
	add_letting "Survivor Cabin"
	page_has lettings/ "Survivor Cabin" || fail "the new row is not served"
	sed -i 's|<h1>Welcome to Holiday Homes</h1>|&\n<p class="release">Spring listings are in.</p>|' templates/index.html
	git commit -q -am "Announce the spring listings"
	r2=$(git rev-parse HEAD)
	green
	deploy_ok 2
	page_has "" "Spring listings are in." || fail "release 2 is not served"
	page_has lettings/ "Survivor Cabin" || fail "the row did not survive the second deploy"
	expect_eq "$(readlink "$SRV/previous")" "releases/$r1"
	expect_eq "$(sqlite3 "$SRV/backups/2/data/db.sqlite3" "select count(*) from lettings_letting where title = 'Survivor Cabin'")" 1

	# c) a release whose proxy answers 503 (a maintenance switch left on:
	# the pipeline cannot see it) rolls back by itself
	add_letting "Harbour View"
	sed -i 's|^        location / {$|&\n            return 503;|' nginx/nginx.conf.template
	grep -q 'return 503' nginx/nginx.conf.template
	git commit -q -am "Maintenance page"
	green
	exits 1 timeout 900 $SLIPWAY deploy --follow >out 2>&1
	grep -q "^deploy #3 rolled_back" out || { cat out >&2; fail "deploy #3 was not rolled back"; }
	grep -q "health failed: http://127.0.0.1:$PROXY_PORT/ answered 503" out || { cat out >&2; fail "no reason"; }
	expect_eq "$(current)" "releases/$r2"
	page_has "" "Spring listings are in." || fail "release 2 does not serve again"
	page_has lettings/ "Harbour View" || fail "the data is not served after the rollback"
	expect_eq "$(db 'select count(*) from lettings_letting')" 5
	expect_eq "$(db 'pragma integrity_check')" ok
	expect_eq "$(sqlite3 "$SRV/backups/3/data/db.sqlite3" "select group_concat(title, '|') from lettings_letting where id > 3")" \
		"Survivor Cabin|Harbour View"
	$SLIPWAY deploys --json >dj.json
	expect_eq "$(json dj.json '" ".join(s["name"] + "=" + s["status"] for s in j[0]["steps"] if s["name"].startswith("rollback"))')" \
		"rollback-stop=passed rollback-switch=passed rollback-start=passed rollback-validate=skipped rollback-health=passed"
	stop_site
	expect_eq "$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")" ""
}

# a) and d) on dockerd: gunicorn cannot find the renamed WSGI entry
# point and exits; the containers check names the app container.  Docker
# restarts it with a growing back-off (restart: unless-stopped), so the
# check sees it exited, restarting, or restarted since validation began;
# podman restarts it at once, so its state reads "running" nearly always,
# and its growing restart count is what the check sees there.
exited_container_fails_the_deploy() {
	site docker
	local r1
	r1=$(git rev-parse HEAD)
	deploy_ok 1
	page_has "" "<title>Home · Orange County Lettings</title>" || fail "no home page: $(page)"
	add_letting "Survivor Cabin"
	sed -i 's|oc_lettings_site.wsgi:application|oc_lettings_site.wsgi:app|' docker/start.sh
	grep -q 'wsgi:app$' docker/start.sh
	git commit -q -am "Shorter WSGI entry point"
	green
	exits 1 timeout 900 $SLIPWAY deploy --follow >out 2>&1
	grep -q "^deploy #2 rolled_back" out || { cat out >&2; fail "deploy #2 was not rolled back"; }
	grep -q "health failed: " out || { cat out >&2; fail "no reason"; }
	$SLIPWAY log deploy:2 health >health.log
	grep -Eq "container ${PROJECT}_app_1 (exited \(code [0-9]+\)|is restarting|restarted [0-9]+ times? during validation)" health.log ||
		{ cat health.log >&2; fail "the containers check did not name the app container"; }
	# and why, in the app's own words
	grep -q "^slipway: the last 15 lines of ${PROJECT}_app_1's log:" health.log
	grep -Eq "^slipway: ${PROJECT}_app_1| .*(Failed to find attribute 'app'|App failed to load)" health.log ||
		{ cat health.log >&2; fail "the app's output is not in the health log"; }
	expect_eq "$(current)" "releases/$r1"
	page_has "" "<title>Home · Orange County Lettings</title>" || fail "release 1 does not serve again"
	page_has lettings/ "Survivor Cabin" || fail "the data is not served after the rollback"
	expect_eq "$(sqlite3 "$SRV/backups/2/data/db.sqlite3" "select count(*) from lettings_letting")" 4
	stop_site
	expect_eq "$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")" ""
}

t_run deploys_keep_the_data_and_roll_back
t_run exited_container_fails_the_deploy
t_done
