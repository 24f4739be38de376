import pytest
from django.contrib.auth.models import User

from lettings.models import Address, Letting
from profiles.models import Profile


@pytest.fixture
def address(db):
    return Address.objects.create(
        number=12, street="Harbour Road", city="Newport", state="CA",
        zip_code=92660, country_iso_code="USA",
    )


@pytest.fixture
def letting(address):
    return Letting.objects.create(title="Harbour Loft", address=address)


@pytest.fixture
def profile(db):
    user = User.objects.create_user(
        username="tester", first_name="Test", last_name="Er",
        email="tester@example.com", password="not-a-real-password-123",
    )
    return Profile.objects.create(user=user, favorite_city="Lisbon")
