#!/bin/sh
# Smoke stage: start the image just built, on the host network on a free
# 127.0.0.1 port, and wait (bounded) until it answers its health check.
# The container is named after the run so the cleanup stage can remove it.
set -eu
: "${IMAGE:?}" "${SLIPWAY_COMMIT:?}" "${SLIPWAY_RUN:?}"
. "$(dirname "$0")/docker-env.sh"
name="slipway-smoke-$SLIPWAY_RUN"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
docker rm -f "$name" >/dev/null 2>&1 || true
docker run -d --name "$name" --network host \
    -e APP_PORT="$port" -e DATABASE_PATH=/tmp/smoke.sqlite3 \
    "$IMAGE:$SLIPWAY_COMMIT" >/dev/null
echo "smoke: $name on 127.0.0.1:$port"
tries=0
until curl -fsS -m 2 "http://127.0.0.1:$port/health/" 2>/dev/null | grep -q '"ok"'; do
    tries=$((tries + 1))
    if [ "$tries" -ge "${SMOKE_TRIES:-60}" ]; then
        echo "smoke: no healthy answer after $tries tries; container log:" >&2
        docker logs --tail 30 "$name" >&2 || true
        exit 1
    fi
    sleep 0.5
done
curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$port/lettings/"
echo "smoke: healthy after $tries retries"
