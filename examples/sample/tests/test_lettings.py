import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve, reverse

from lettings import views
from lettings.models import Address, Letting


def test_address_str(address):
    assert str(address) == "12 Harbour Road"


def test_letting_str(letting):
    assert str(letting) == "Harbour Loft"


def test_address_validators_reject_short_state(db):
    bad = Address(number=1, street="S", city="C", state="C", zip_code=1, country_iso_code="USA")
    with pytest.raises(ValidationError):
        bad.full_clean()


def test_address_plural_name():
    assert Address._meta.verbose_name_plural == "addresses"


def test_urls_resolve():
    assert resolve(reverse("lettings:index")).func is views.index
    assert resolve(reverse("lettings:letting", args=[1])).func is views.letting


def test_index_lists_lettings(client, letting):
    response = client.get(reverse("lettings:index"))
    assert response.status_code == 200
    assert b"Harbour Loft" in response.content
    assert "lettings/index.html" in [t.name for t in response.templates]


def test_index_when_empty(client, db):
    Letting.objects.all().delete()
    response = client.get(reverse("lettings:index"))
    assert response.status_code == 200
    assert b"No lettings are available." in response.content


def test_detail_shows_address(client, letting):
    response = client.get(reverse("lettings:letting", args=[letting.id]))
    assert response.status_code == 200
    assert b"<title>Harbour Loft" in response.content
    assert b"Newport" in response.content


def test_detail_unknown_is_404(client, db):
    response = client.get(reverse("lettings:letting", args=[999999]))
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_seeded_sample_data(db):
    assert Letting.objects.filter(title="Oceanview Retreat").exists()
