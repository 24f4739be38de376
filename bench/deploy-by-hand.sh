#!/usr/bin/env bash
# deploy-by-hand.sh — the peer of `slipway deploy` in bench/deploy.sh: the
# same steps for the sample site, as a team would script them without
# slipway.  The same layout (releases/<commit>, shared/, backups/, current
# and previous links), the same hooks as the sample's slipway.json, the same
# health check (the URL 2xx and every container of the project running and
# not unhealthy, polled every 0.5 s), and a rollback when it fails.
#
#   bench/deploy-by-hand.sh REPO COMMIT PATH PROJECT URL [TIMEOUT]
#
# The hooks' output goes to stderr.  When validation fails, prints
# "validation-failed NS" (nanoseconds since the epoch) on stdout, rolls
# back, and exits 1 once the previous release passes the health check.
set -euo pipefail
[ $# -ge 5 ] || { echo "usage: $0 REPO COMMIT PATH PROJECT URL [TIMEOUT]" >&2; exit 2; }
repo=$1 sha=$2 path=$3 project=$4 url=$5 timeout=${6:-60}
export COMPOSE_PROJECT_NAME=$project
shared=(data .env)
keep=5

cd "$path"
mkdir -p releases shared backups
prev=$(readlink current 2>/dev/null || true)
prev=${prev#releases/}

# install: the commit's tree aside, shared paths linked in, renamed into place
new=releases/.$sha.new
rm -rf "$new"
mkdir "$new"
git -C "$repo" archive "$sha" | tar -x -C "$new"
for p in "${shared[@]}"; do
	[ -e "shared/$p" ] || mkdir -p "shared/$p"
	rm -rf "${new:?}/$p"
	ln -s "$path/shared/$p" "$new/$p"
done
rm -rf "releases/$sha"
mv "$new" "releases/$sha"

# backup, while the old release still serves
id=$(date +%s%N)
if [ -f shared/data/db.sqlite3 ]; then
	mkdir -p "backups/$id/data"
	sqlite3 shared/data/db.sqlite3 ".timeout 10000" ".backup backups/$id/data/db.sqlite3"
fi

# stop the outgoing release, make data writable for the app (after_install)
[ -z "$prev" ] || (cd "releases/$prev" && docker-compose down) >&2
(cd "releases/$sha" && { test "$(stat -c %u data/)" = 10001 || chown 10001:10001 data/; })

link() { ln -sfn "releases/$2" ".$1.tmp" && mv -T ".$1.tmp" "$1"; }
[ -z "$prev" ] || link previous "$prev"
link current "$sha"

start() { (cd current && docker-compose up -d --build) >&2; }

healthy() {
	local states
	states=$(docker ps -a --filter "label=com.docker.compose.project=$project" --format '{{.State}} {{.Status}}')
	[ -n "$states" ] || return 1
	! grep -v '^running ' <<<"$states" | grep -q . || return 1
	! grep -Eq '\((unhealthy|health: starting)\)' <<<"$states" || return 1
	curl -fsS -o /dev/null -m 2 --noproxy '*' "$url" 2>/dev/null
}

wait_healthy() {
	local deadline=$((SECONDS + timeout))
	until healthy; do
		[ $SECONDS -lt "$deadline" ] || return 1
		sleep 0.5
	done
}

start
if wait_healthy; then
	# keep the newest releases (current and previous among them) and backups
	{ ls -t releases | grep -vx -e "$sha" -e "${prev:-$sha}" || true; } | tail -n +$((keep - 1)) |
		while read -r r; do rm -rf "releases/$r"; done
	ls -t backups | tail -n +$((keep + 1)) | while read -r b; do rm -rf "backups/$b"; done
	exit 0
fi

echo "validation-failed $(date +%s%N)"
[ -n "$prev" ] || exit 1
(cd current && docker-compose down) >&2
link current "$prev"
start
wait_healthy
exit 1
