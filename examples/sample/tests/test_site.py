import sys
import types
from unittest import mock

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from oc_lettings_site import settings as site_settings
from oc_lettings_site import views


def test_home_page(client, db):
    response = client.get(reverse("index"))
    assert response.status_code == 200
    assert b"Welcome to Holiday Homes" in response.content
    assert b"/static/css/styles.css" in response.content


def test_health_ok(client, db):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_reports_database_failure(db):
    request = RequestFactory().get("/health/")
    with mock.patch.object(connection, "cursor", side_effect=RuntimeError("down")):
        response = views.health(request)
    assert response.status_code == 503


def test_trigger_error_raises():
    with pytest.raises(RuntimeError):
        views.trigger_error(RequestFactory().get("/sentry-debug/"))


def test_error_views_render(db):
    request = RequestFactory().get("/nowhere/")
    assert views.page_not_found(request, Exception()).status_code == 404
    response = views.server_error(request)
    assert response.status_code == 500
    assert b"Server error" in response.content


def test_unknown_url_uses_custom_404(client, db, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_admin_requires_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_lists_models(admin_client):
    for url in ("/admin/lettings/letting/", "/admin/lettings/address/",
                "/admin/profiles/profile/"):
        assert admin_client.get(url).status_code == 200


def test_env_bool(monkeypatch):
    monkeypatch.delenv("SW_FLAG", raising=False)
    assert site_settings.env_bool("SW_FLAG", default=True) is True
    monkeypatch.setenv("SW_FLAG", "yes")
    assert site_settings.env_bool("SW_FLAG") is True
    monkeypatch.setenv("SW_FLAG", "0")
    assert site_settings.env_bool("SW_FLAG", default=True) is False


def test_env_list(monkeypatch):
    monkeypatch.delenv("SW_LIST", raising=False)
    assert site_settings.env_list("SW_LIST", ["a"]) == ["a"]
    monkeypatch.setenv("SW_LIST", " x.example , ,y.example ")
    assert site_settings.env_list("SW_LIST", []) == ["x.example", "y.example"]


def test_sentry_disabled_without_dsn():
    assert site_settings.init_sentry("", "test") is False


def test_sentry_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)
    assert site_settings.init_sentry("https://key@sentry.example/1", "test") is False


def test_sentry_initialised_with_dsn(monkeypatch):
    fake = types.ModuleType("sentry_sdk")
    fake.init = mock.Mock()
    integrations = types.ModuleType("sentry_sdk.integrations")
    django_mod = types.ModuleType("sentry_sdk.integrations.django")
    django_mod.DjangoIntegration = mock.Mock(return_value="django-integration")
    monkeypatch.setitem(sys.modules, "sentry_sdk", fake)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations", integrations)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations.django", django_mod)
    assert site_settings.init_sentry("https://key@sentry.example/1", "staging") is True
    kwargs = fake.init.call_args.kwargs
    assert kwargs["dsn"] == "https://key@sentry.example/1"
    assert kwargs["environment"] == "staging"
    assert kwargs["integrations"] == ["django-integration"]


def test_settings_defaults_are_safe():
    assert site_settings.DEBUG is False
    assert "*" not in site_settings.ALLOWED_HOSTS
