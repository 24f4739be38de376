"""Seed a few profiles (users without a usable password)."""
from django.contrib.auth.hashers import make_password
from django.db import migrations

SAMPLE = [
    ("HeadlinesGazer", "Jamie", "Lal", "Buenos Aires"),
    ("DavWin", "Davin", "Winters", "Budapest"),
    ("AirWow", "Aileen", "Wow", "Barcelona"),
]


def seed(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Profile = apps.get_model("profiles", "Profile")
    for username, first, last, city in SAMPLE:
        user = User.objects.create(
            username=username, first_name=first, last_name=last,
            email=f"{username.lower()}@example.com", password=make_password(None),
        )
        Profile.objects.create(user=user, favorite_city=city)


def unseed(apps, schema_editor):
    User = apps.get_model("auth", "User")
    User.objects.filter(username__in=[name for name, *_ in SAMPLE]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("profiles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
