"""Site-wide views: home page, health check, error pages."""
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render


def index(request):
    return render(request, "index.html")


def health(request):
    """Answer 200 when the app can reach its database, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


def trigger_error(request):
    """Raise on purpose, so error tracking (Sentry) can be checked end to end."""
    raise RuntimeError("sample error raised on purpose from /sentry-debug/")


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
