"""What the race tests share."""

import time

import pytest

from ribambelle.bookings import services


@pytest.fixture
def slow_count(monkeypatch):
    """Counting the places held takes 50 ms, as on a loaded server: without the lock, savers
    would all count before any of them inserts. (A save that only books counts in the lock's
    round trip: the delay then follows the lock and its count.)"""
    count, lock = services._places_taken, services._lock_openings

    def slow_count(*args, **kwargs):
        taken = count(*args, **kwargs)
        time.sleep(0.05)
        return taken

    def slow_lock(ids, *, organisation_id, then_count=False):
        taken = lock(ids, organisation_id=organisation_id, then_count=then_count)
        if then_count:
            time.sleep(0.05)
        return taken

    monkeypatch.setattr(services, "_places_taken", slow_count)
    monkeypatch.setattr(services, "_lock_openings", slow_lock)
