"""The places held on each day, counted by the database as bookings are written.

Until now the database's guard (0004) counted a day's places on every booking that started
holding one, and the save counted them again under the day's lock: both counts grew with the
places taken (1.2 ms per booking inserted for a day of 200 places, in the opening rush). Now
triggers keep `bookings_placesheld.held` exact on every insert, update and delete of a booking
— a booking holds a place when booked (or marked at the roll call), or when a waiting-list
place is offered to it and not yet answered — and the guard compares that one number with the
capacity.

The guard holds what 0004 held: a booking that starts holding a place (inserted so, promoted from
the waiting list, offered a place) may not bring the day's places beyond its capacity, unless
staff gave it beyond capacity with a reason (`over_capacity`). Those places count, as they always
did for the save (services._places_taken): the day is full for families while they are there.
Moves between holding statuses (roll call, accepting an offer) and cancellations are not
checked: lowering a capacity takes no place from anyone.

Concurrency: the counter's row is updated in place, so two writers of one day queue on it and the
second adds to what the first committed (READ COMMITTED re-reads an updated row): even a writer
that forgot the day's lock cannot overbook. The save takes the lock first anyway (rule 4).
"""

import django.db.models.deletion
from django.db import migrations, models

HOLDS = "({r}.status IN ('booked', 'present', 'absent', 'excused') OR ({r}.status = 'waiting' AND {r}.offer_expires_at IS NOT NULL))"
# The same day before and after: nothing changes for the counter.
STAYS = "(NEW.opening_id = OLD.opening_id AND " + HOLDS.format(r="OLD") + " AND " + HOLDS.format(r="NEW") + ")"
MESSAGE = "booking_capacity: more places held than the capacity of the opening"

POSTGRES = f"""
CREATE FUNCTION booking_places_held() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  now_held integer;
BEGIN
  IF TG_OP = 'UPDATE' AND {STAYS} THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND {HOLDS.format(r="OLD")} THEN
    UPDATE bookings_placesheld SET held = bookings_placesheld.held - 1, updated_at = now()
      WHERE opening_id = OLD.opening_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND {HOLDS.format(r="NEW")} THEN
    INSERT INTO bookings_placesheld (opening_id, organisation_id, held, created_at, updated_at)
      VALUES (NEW.opening_id, NEW.organisation_id, 1, now(), now())
      ON CONFLICT (opening_id) DO UPDATE SET held = bookings_placesheld.held + 1, updated_at = now()
      RETURNING bookings_placesheld.held INTO now_held;
    IF NOT NEW.over_capacity AND now_held > (SELECT capacity FROM activities_opening WHERE id = NEW.opening_id) THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER booking_places_held AFTER INSERT OR DELETE OR UPDATE OF status, offer_expires_at, opening_id
  ON bookings_booking FOR EACH ROW EXECUTE FUNCTION booking_places_held();
"""
POSTGRES_REVERSE = "DROP TRIGGER booking_places_held ON bookings_booking; DROP FUNCTION booking_places_held();"

NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
TAKE = f"""
  INSERT INTO bookings_placesheld (opening_id, organisation_id, held, created_at, updated_at)
    VALUES (NEW.opening_id, NEW.organisation_id, 1, {NOW}, {NOW})
    ON CONFLICT (opening_id) DO UPDATE SET held = held + 1, updated_at = {NOW};
  SELECT RAISE(ABORT, '{MESSAGE}') WHERE NOT NEW.over_capacity
    AND (SELECT held FROM bookings_placesheld WHERE opening_id = NEW.opening_id)
      > (SELECT capacity FROM activities_opening WHERE id = NEW.opening_id);"""
LEAVE = f"""
  UPDATE bookings_placesheld SET held = held - 1, updated_at = {NOW} WHERE opening_id = OLD.opening_id;"""
SQLITE = [
    f"CREATE TRIGGER booking_places_insert AFTER INSERT ON bookings_booking WHEN {HOLDS.format(r='NEW')} BEGIN {TAKE} END;",
    f"CREATE TRIGGER booking_places_delete AFTER DELETE ON bookings_booking WHEN {HOLDS.format(r='OLD')} BEGIN {LEAVE} END;",
    # A change of day (none in the code today) leaves one day and takes the other.
    f"""CREATE TRIGGER booking_places_update_take AFTER UPDATE OF status, offer_expires_at, opening_id ON bookings_booking
  WHEN {HOLDS.format(r='NEW')} AND NOT {STAYS} BEGIN {TAKE} END;""",
    f"""CREATE TRIGGER booking_places_update_leave AFTER UPDATE OF status, offer_expires_at, opening_id ON bookings_booking
  WHEN {HOLDS.format(r='OLD')} AND NOT {STAYS} BEGIN {LEAVE} END;""",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER booking_places_{name};" for name in ("insert", "delete", "update_take", "update_leave")
]

# The places already held, counted once.
BACKFILL = f"""
INSERT INTO bookings_placesheld (opening_id, organisation_id, held, created_at, updated_at)
SELECT b.opening_id, b.organisation_id, COUNT(*), {{now}}, {{now}} FROM bookings_booking b
WHERE {HOLDS.format(r="b")} GROUP BY b.opening_id, b.organisation_id
"""


def forwards(apps, schema_editor):
    from importlib import import_module

    guard = import_module("ribambelle.bookings.migrations.0004_capacity_trigger")  # the guard it replaces
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [*guard.POSTGRES_REVERSE, BACKFILL.format(now="now()"), POSTGRES]
    elif vendor == "sqlite":
        statements = [*guard.SQLITE_REVERSE, BACKFILL.format(now=NOW), *SQLITE]
    else:
        statements = []
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    from importlib import import_module

    guard = import_module("ribambelle.bookings.migrations.0004_capacity_trigger")
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [POSTGRES_REVERSE, guard.POSTGRES, guard.POSTGRES_TRIGGER]
    elif vendor == "sqlite":
        statements = [*SQLITE_REVERSE, *guard.SQLITE]
    else:
        statements = []
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0002_activity_previous_activity'),
        ('bookings', '0007_places_guarded_index'),
        ('tenancy', '0005_organisation_waiting_rooms_span'),
    ]

    operations = [
        migrations.CreateModel(
            name='PlacesHeld',
            fields=[
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='créé le')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='modifié le')),
                ('opening', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='activities.opening', verbose_name='ouverture')),
                ('held', models.PositiveIntegerField(default=0, verbose_name='places prises')),
            ],
            options={
                'verbose_name': "places prises d'une ouverture",
            },
        ),
        migrations.RemoveIndex(
            model_name='booking',
            name='booking_places_guarded',
        ),
        migrations.AddField(
            model_name='placesheld',
            name='organisation',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.organisation', verbose_name='organisation'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
