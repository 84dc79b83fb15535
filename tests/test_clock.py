import os
from datetime import date

import pytest
from django.utils import timezone


@pytest.mark.skipif(not os.environ.get("RIBAMBELLE_TEST_TODAY"), reason="RIBAMBELLE_TEST_TODAY is not set")
def test_the_suite_runs_on_the_day_asked_for():
    asked = date.fromisoformat(os.environ["RIBAMBELLE_TEST_TODAY"][:10])
    assert timezone.localdate() == asked
