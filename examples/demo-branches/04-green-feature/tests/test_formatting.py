from lettings.formatting import format_rent


def test_format_rent():
    assert format_rent(1200) == "1200 €"
