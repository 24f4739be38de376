from django.contrib.auth.models import User
from django.urls import resolve, reverse

from profiles import views
from profiles.models import Profile


def test_profile_str(profile):
    assert str(profile) == "tester"


def test_urls_resolve():
    assert resolve(reverse("profiles:index")).func is views.index
    assert resolve(reverse("profiles:profile", args=["x"])).func is views.profile


def test_index_lists_profiles(client, profile):
    response = client.get(reverse("profiles:index"))
    assert response.status_code == 200
    assert b"tester" in response.content


def test_index_when_empty(client, db):
    Profile.objects.all().delete()
    response = client.get(reverse("profiles:index"))
    assert b"No profiles are available." in response.content


def test_detail_shows_city(client, profile):
    response = client.get(reverse("profiles:profile", args=["tester"]))
    assert response.status_code == 200
    assert b"Lisbon" in response.content
    assert b"tester@example.com" in response.content


def test_detail_unknown_is_404(client, db):
    response = client.get(reverse("profiles:profile", args=["nobody"]))
    assert response.status_code == 404


def test_deleting_user_deletes_profile(profile):
    User.objects.filter(username="tester").delete()
    assert not Profile.objects.filter(favorite_city="Lisbon").exists()
