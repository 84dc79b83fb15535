"""Every public writer is one atomic unit, by construction.

- `@action` marks an entry point — the function a view, a task or a command calls. It runs in
  its own `transaction.atomic(durable=True)`: when it returns, its writes are committed, all of
  them or none. Called inside another transaction it raises, because its caller would then
  decide the commit and `on_commit` side effects (e-mails) could go out for a rolled-back write.
- An action that needs another one calls `other.inner(...)`: the same code joining the running
  transaction, checked to run inside one (an `@action_helper`).
- `@action_helper` marks a write that is only ever part of a caller's transaction (it asserts one
  is open; a test's own wrapping transaction does not count).
- `@one_statement` marks a write of a single row (an audit entry, a history line, an e-mail in
  the outbox): atomic by itself, and inside an action it commits or rolls back with it.
- `@step_by_step` marks a job that commits item by item, or step by step, on purpose (a periodic
  job where one failure must not undo the others; sending an e-mail between its claim and its
  result). It refuses to run inside a transaction, where its commits would silently not be ones
  (except in a `batch()`, which asks for all or nothing on purpose).
- `batch()` makes several actions one all-or-nothing unit (the demo loader, bulk operations):
  inside it, actions nest as savepoints of its durable transaction.

tests/test_actions.py checks that every public function of every `services.py` (and of the other
modules that write, listed there) is marked, or is
a declared read.
"""

import functools
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection, transaction

_in_batch: ContextVar[bool] = ContextVar("in_batch", default=False)


def in_transaction() -> bool:
    """True inside a real transaction; the one pytest-django wraps each test in does not count."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def action_helper(func):
    @functools.wraps(func)
    def helper(*args, **kwargs):
        if not in_transaction():
            raise RuntimeError(f"{func.__qualname__} writes as part of an action: call it inside one")
        return func(*args, **kwargs)

    helper.writer_kind = "helper"
    return helper


def action(func):
    @functools.wraps(func)
    def entry(*args, **kwargs):
        with transaction.atomic(durable=not _in_batch.get()):
            return func(*args, **kwargs)

    entry.writer_kind = "action"
    entry.inner = action_helper(func)
    return entry


def step_by_step(func):
    @functools.wraps(func)
    def job(*args, **kwargs):
        if in_transaction() and not _in_batch.get():
            raise RuntimeError(f"{func.__qualname__} commits step by step: call it outside a transaction")
        return func(*args, **kwargs)

    job.writer_kind = "step_by_step"
    return job


def one_statement(func):
    func.writer_kind = "one_statement"
    return func


@contextmanager
def batch():
    with transaction.atomic(durable=True):
        token = _in_batch.set(True)
        try:
            yield
        finally:
            _in_batch.reset(token)
