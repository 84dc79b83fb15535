"""What the demo loader created, by stable key.

`load_demo` runs at every `make run` on a database that staff and parents have since used: it must
never find "the MARTIN family" by name (a second MARTIN may exist) nor re-create what a user
changed or removed. Each demo section and each demo row the loader refers to later is recorded
here once, with the row's primary key; the loader trusts only this registry.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models


class DemoRecord(models.Model):
    key = models.CharField(max_length=200, unique=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
