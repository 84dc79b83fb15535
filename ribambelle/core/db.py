"""Long-running processes (the task worker, `periodic --loop`) and a lost database connection.

PostgreSQL may drop a connection at any time: a restart, a failover, an idle timeout, an
administrator's pg_terminate_backend. A web request gets a fresh connection next time; a
process that runs for days must close the broken one itself and carry on.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connections

# What Django raises when the server has gone away (psycopg's errors, wrapped by Django).
LOST_CONNECTION_ERRORS = (OperationalError, InterfaceError)

T = TypeVar("T")


def connection_lost() -> bool:
    """After a database error: is it a connection that has gone (not a query that failed,
    such as a missing table, which retrying would not cure)?"""
    return any(conn.connection is None or not conn.is_usable() for conn in connections.all(initialized_only=True))


def close_all_connections() -> None:
    """Drop every connection of this process; the next query opens a new one."""
    for conn in connections.all(initialized_only=True):
        conn.close()


def retry_on_lost_connection(action: Callable[[], T], *, attempts: int = 3, pause: float = 1.0) -> T:
    """Run `action`; when the connection is lost, close it, wait, and run it again.

    Only for idempotent actions outside a transaction (a lost connection has rolled the
    transaction back: retrying inside it would run on a closed connection)."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except LOST_CONNECTION_ERRORS:
            in_transaction = any(c.in_atomic_block for c in connections.all(initialized_only=True))
            if attempt == attempts or in_transaction or not connection_lost():
                raise
            close_all_connections()
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")
