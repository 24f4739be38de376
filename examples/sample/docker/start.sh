#!/bin/sh
# Container entry point: bring the database schema up to date, then hand
# the process over to gunicorn on 127.0.0.1:$APP_PORT.  The static files
# were collected when the image was built; the proxy's image has a copy.
set -eu
cd /app
python3 manage.py migrate --noinput
exec gunicorn \
    --bind "127.0.0.1:${APP_PORT:-8000}" \
    --workers "${GUNICORN_WORKERS:-2}" \
    --access-logfile - \
    --error-logfile - \
    oc_lettings_site.wsgi:application
