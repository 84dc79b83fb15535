"""Page costs: database connections kept across requests, and exact query counts of the main
pages that do not grow with the data or the period shown (bench/pages.py measures their time)."""

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory


def _serve(path: str) -> int:
    """One request through the real WSGI handler, which (unlike the test client) closes or keeps
    the database connection at the end of the request as a server would."""
    handler = WSGIHandler()
    response = handler(RequestFactory().get(path).environ, lambda status, headers: None)
    response.close()  # sends request_finished
    return response.status_code


@pytest.mark.django_db(transaction=True)
def test_the_database_connection_stays_open_across_requests():
    assert _serve("/healthz") == 200
    first = connection.connection
    assert first is not None
    assert _serve("/healthz") == 200
    assert connection.connection is first
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
