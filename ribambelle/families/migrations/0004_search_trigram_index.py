"""On PostgreSQL, a trigram index makes the family search (LIKE '%…%' on search_text) use an
index at 100,000 families. It is optional: where the pg_trgm extension cannot be created
(no rights, managed service without it) the search still works, by sequential scan.
SQLite needs nothing."""

from django.db import migrations, transaction

INDEX = "families_family_search_trgm"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no rights or extension not available: keep the plain scan
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON families_family USING gin (search_text gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("families", "0003_fill_search_text")]

    operations = [migrations.RunPython(create, drop)]
