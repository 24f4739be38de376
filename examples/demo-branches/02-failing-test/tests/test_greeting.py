import pytest


@pytest.mark.django_db
def test_home_page_greets_by_name(client):
    response = client.get("/")
    # Fails on purpose: the demo shows what a red test looks like.
    assert b"Welcome back, Ann" in response.content
