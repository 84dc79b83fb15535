"""The database refuses a place taken beyond the day's capacity.

A CHECK constraint cannot count other rows, so a trigger does it, on PostgreSQL and on SQLite:
when a booking starts holding a place (inserted booked, or moved from not holding to holding:
promoted from the waiting list, offered a place), the places held on that opening — bookings
booked or marked, and waiting-list places offered — may not exceed its capacity. Places given by
staff beyond capacity carry `over_capacity` and their reason (constraint
booking_over_capacity_has_reason): they are neither checked nor counted. Moves between holding
statuses (roll call, accepting an offer) and cancellations are not checked, so lowering a day's
capacity below the places already held takes no place from anyone and never blocks the roll call.

This is the backstop: the rule is applied first under the openings' row lock
(services.save_bookings), where a full day becomes a waiting-list place. On PostgreSQL the
trigger takes that row lock too, so even a writer that forgot it cannot overbook: concurrent
extra places are refused (IntegrityError). On SQLite writers are serialised anyway.
"""

from django.db import migrations

HOLDS = "({r}.status IN ('booked', 'present', 'absent', 'excused') OR ({r}.status = 'waiting' AND {r}.offer_expires_at IS NOT NULL))"
COUNT = f"""(SELECT COUNT(*) FROM bookings_booking b WHERE b.opening_id = NEW.opening_id AND NOT b.over_capacity
     AND {HOLDS.format(r="b")})
   > (SELECT capacity FROM activities_opening o WHERE o.id = NEW.opening_id)"""
MESSAGE = "booking_capacity: more places held than the capacity of the opening"

POSTGRES = f"""
CREATE FUNCTION booking_capacity_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT NEW.over_capacity AND {HOLDS.format(r="NEW")} AND (TG_OP = 'INSERT' OR NOT {HOLDS.format(r="OLD")}) THEN
    -- The opening's row lock (already held when services.save_bookings took it) serialises the
    -- writers of one day, and the count below, a new statement, sees what they committed.
    PERFORM 1 FROM activities_opening WHERE id = NEW.opening_id FOR UPDATE;
    IF {COUNT} THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NULL;
END $$;
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER booking_capacity AFTER INSERT OR UPDATE OF status, offer_expires_at ON bookings_booking
  FOR EACH ROW EXECUTE FUNCTION booking_capacity_check();
"""
POSTGRES_REVERSE = ["DROP TRIGGER booking_capacity ON bookings_booking;", "DROP FUNCTION booking_capacity_check();"]

SQLITE = [
    f"""CREATE TRIGGER booking_capacity_insert AFTER INSERT ON bookings_booking
  WHEN NOT NEW.over_capacity AND {HOLDS.format(r="NEW")} AND {COUNT}
  BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER booking_capacity_update AFTER UPDATE OF status, offer_expires_at ON bookings_booking
  WHEN NOT NEW.over_capacity AND {HOLDS.format(r="NEW")} AND NOT {HOLDS.format(r="OLD")} AND {COUNT}
  BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER booking_capacity_insert;", "DROP TRIGGER booking_capacity_update;"]


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    statements = {"postgresql": [POSTGRES, POSTGRES_TRIGGER], "sqlite": SQLITE}.get(connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    statements = {"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}.get(connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_initial"),
        ("bookings", "0003_over_capacity_has_reason"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
