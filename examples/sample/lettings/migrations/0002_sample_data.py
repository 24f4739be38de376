"""Seed a few lettings so a fresh deployment shows something."""
from django.db import migrations

SAMPLE = [
    ("Joshua Tree Green Haus /w Hot Tub", (7217, "Bedford Street", "Brunswick", "GA", 31525)),
    ("Oceanview Retreat", (4, "Military Street", "Willoughby", "OH", 44094)),
    ("Pirates of the Caribbean Getaway", (1234, "Main Street", "Anaheim", "CA", 92802)),
]


def seed(apps, schema_editor):
    Address = apps.get_model("lettings", "Address")
    Letting = apps.get_model("lettings", "Letting")
    for title, (number, street, city, state, zip_code) in SAMPLE:
        address = Address.objects.create(
            number=number, street=street, city=city, state=state,
            zip_code=zip_code, country_iso_code="USA",
        )
        Letting.objects.create(title=title, address=address)


def unseed(apps, schema_editor):
    Letting = apps.get_model("lettings", "Letting")
    titles = [title for title, _ in SAMPLE]
    for letting in Letting.objects.filter(title__in=titles):
        letting.address.delete()


class Migration(migrations.Migration):

    dependencies = [("lettings", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
