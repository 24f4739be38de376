#!/bin/sh
# Write nginx.conf from the template with the ports from the environment,
# then run nginx in the foreground. Everything nginx writes goes to /tmp, so
# it runs as a non-root user.
set -eu
: "${PROXY_PORT:=8080}" "${APP_PORT:=8000}"
case "$PROXY_PORT$APP_PORT" in
*[!0-9]*) echo "start.sh: PROXY_PORT and APP_PORT must be numbers" >&2; exit 2 ;;
esac
mkdir -p /tmp/nginx
sed -e "s/@PROXY_PORT@/$PROXY_PORT/g" -e "s/@APP_PORT@/$APP_PORT/g" \
    /etc/slipway-proxy/nginx.conf.template >/tmp/nginx/nginx.conf
exec nginx -e stderr -c /tmp/nginx/nginx.conf -g 'daemon off;'
