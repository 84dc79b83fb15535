"""The statistics (issue 23) count a school year of bookings per activity and month: the index on
(organisation, activity, date) is widened with the columns they group and count, so those
aggregates read the index alone. Same number of indexes on the table: it replaces the narrower one
(its leading columns serve the same queries)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0005_attendance_taps"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(
                fields=[
                    "organisation",
                    "activity",
                    "date",
                    "status",
                    "child",
                    "family",
                    "opening",
                    "late_cancellation",
                ],
                name="booking_stats_covering",
            ),
        ),
        migrations.RemoveIndex(
            model_name="booking",
            name="bookings_bo_organis_14b479_idx",
        ),
    ]
