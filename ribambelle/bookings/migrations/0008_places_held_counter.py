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

Concurrency: every writer of a day updates that day's counter row, so two writers of one day
queue on it and the second adds to what the first committed (READ COMMITTED re-reads an updated
row): even a writer that forgot the day's lock cannot overbook. The services take the days' lock
first anyway, in id order (rule 4), so writers never deadlock on the counters; two writers without
it that cross each other's days may, and PostgreSQL then refuses one of them.
"""

import django.db.models.deletion
from django.db import migrations, models

HOLDS = "({r}.status IN ('booked', 'present', 'absent', 'excused') OR ({r}.status = 'waiting' AND {r}.offer_expires_at IS NOT NULL))"
# The same day before and after: nothing changes for the counter.
STAYS = "(NEW.opening_id = OLD.opening_id AND " + HOLDS.format(r="OLD") + " AND " + HOLDS.format(r="NEW") + ")"
MESSAGE = "booking_capacity: more places held than the capacity of the opening"

# PostgreSQL: once per statement, with the rows it wrote (transition tables). Row by row, the
# counter of a day was updated once per booking, and every update of a row adds a version of it
# that the next update walks past until the transaction ends: a draw writing its 200 places of a
# day in one statement took 2.6–2.8 s row by row, 2.4 s per statement (bench/opening_day.py).
# Per statement, each day's counter moves once, by the statement's net change.
CHANGES = {
    "INSERT": f"""
      SELECT opening_id, organisation_id, 1 AS delta, NOT over_capacity AS guarded
      FROM new_rows r WHERE {HOLDS.format(r="r")}""",
    "DELETE": f"""
      SELECT opening_id, organisation_id, -1 AS delta, false AS guarded
      FROM old_rows r WHERE {HOLDS.format(r="r")}""",
    # A row that keeps its place on the same day (the roll call, accepting an offer) changes nothing.
    "UPDATE": f"""
      SELECT o.opening_id, o.organisation_id, -1 AS delta, false AS guarded
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE {HOLDS.format(r="o")} AND NOT ({HOLDS.format(r="n")} AND n.opening_id = o.opening_id)
      UNION ALL
      SELECT n.opening_id, n.organisation_id, 1 AS delta, NOT n.over_capacity AS guarded
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE {HOLDS.format(r="n")} AND NOT ({HOLDS.format(r="o")} AND n.opening_id = o.opening_id)""",
}
# The statement's change per day, applied (the days that gain places may get their counter's
# first row); then a day where a place that counts against the capacity was taken may not be
# beyond it.
APPLY = """
    WITH per_day AS (
      SELECT opening_id, MIN(organisation_id) AS organisation_id, SUM(delta) AS delta, BOOL_OR(guarded) AS guarded
      FROM ({changes}) AS changes GROUP BY opening_id
    ), lowered AS (
      UPDATE bookings_placesheld p SET held = p.held + d.delta, updated_at = now()
      FROM per_day d WHERE p.opening_id = d.opening_id AND d.delta < 0
    ), counted AS (
      INSERT INTO bookings_placesheld AS p (opening_id, organisation_id, held, created_at, updated_at)
      SELECT opening_id, organisation_id, delta, now(), now() FROM per_day WHERE delta > 0 ORDER BY opening_id
      ON CONFLICT (opening_id) DO UPDATE SET held = p.held + EXCLUDED.held, updated_at = now()
      RETURNING p.opening_id, p.held
    )
    SELECT c.opening_id INTO beyond FROM counted c
      JOIN per_day d ON d.opening_id = c.opening_id JOIN activities_opening o ON o.id = c.opening_id
    WHERE d.guarded AND c.held > o.capacity LIMIT 1;"""
POSTGRES = f"""
CREATE FUNCTION booking_places_held() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  beyond bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN {APPLY.format(changes=CHANGES["INSERT"])}
  ELSIF TG_OP = 'UPDATE' THEN {APPLY.format(changes=CHANGES["UPDATE"])}
  ELSE {APPLY.format(changes=CHANGES["DELETE"])}
  END IF;
  IF beyond IS NOT NULL THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER booking_places_held_insert AFTER INSERT ON bookings_booking
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION booking_places_held();
CREATE TRIGGER booking_places_held_update AFTER UPDATE ON bookings_booking
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION booking_places_held();
CREATE TRIGGER booking_places_held_delete AFTER DELETE ON bookings_booking
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION booking_places_held();
"""
POSTGRES_REVERSE = (
    "DROP TRIGGER booking_places_held_insert ON bookings_booking; "
    "DROP TRIGGER booking_places_held_update ON bookings_booking; "
    "DROP TRIGGER booking_places_held_delete ON bookings_booking; "
    "DROP FUNCTION booking_places_held();"
)

# SQLite updates a row in place: row by row costs nothing more there.
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
