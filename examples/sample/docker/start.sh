#!/bin/sh
# Container entry point: bring the database schema up to date, publish the
# static files (to the shared volume when STATIC_ROOT points at one), then
# hand the process over to gunicorn on 127.0.0.1:$APP_PORT.
set -eu
cd /app
python3 manage.py migrate --noinput
python3 manage.py collectstatic --noinput --verbosity 0
exec gunicorn \
    --bind "127.0.0.1:${APP_PORT:-8000}" \
    --workers "${GUNICORN_WORKERS:-2}" \
    --access-logfile - \
    --error-logfile - \
    oc_lettings_site.wsgi:application
