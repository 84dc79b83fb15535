from django.db import migrations


def fill(apps, schema_editor):
    from ribambelle.families.search import build_search_text

    Family = apps.get_model("families", "Family")
    Person = apps.get_model("families", "Person")
    for family in Family.objects.all().iterator():
        members = Person.objects.filter(family_id=family.pk)
        Family.objects.filter(pk=family.pk).update(search_text=build_search_text(family, members))


class Migration(migrations.Migration):
    dependencies = [("families", "0002_family_file")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
