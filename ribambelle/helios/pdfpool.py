"""Invoice PDFs of a PES export rendered on every core (issue 16: 10,000 invoices in under two
minutes; ReportLab is pure CPU, about nine tenths of the export).

Design:
- Worker processes are *spawned* (not forked): the export runs inside one database
  transaction holding the rôle lock, so a forked child would share the parent's open
  connection socket. Spawned workers start clean, call `django.setup()` and never touch the
  database: they receive plain data (field values of the invoice, its lines, the organisation
  and the billing settings, the logo's bytes read once per export) and rebuild *unsaved*
  model instances, then call the one renderer, `billing.pdf.invoice_pdf` — so the bytes are
  exactly those the rest of the application produces.
- ReportLab stamps each PDF with the clock (creation date, and the document ID is derived from
  `time.time()`): the parent reads the clock when it hands a batch over, and the worker renders
  the batch with that reading, so the PDF is the one the parent would have rendered then.
- The parent keeps one chunk in flight: while the workers render chunk n+1, it compresses and
  writes chunk n. Memory holds at most two chunks of PDFs (flat as the run grows).
- Small exports (under `HELIOS_PDF_POOL_MIN` invoices) and `HELIOS_PDF_WORKERS` ≤ 1 render in
  the process: starting workers costs a few seconds.
"""

import os
import time
from multiprocessing import get_context

from django.conf import settings as django_settings

BATCH = 25  # invoices per task handed to a worker


def workers_wanted(count: int) -> int:
    workers = getattr(django_settings, "HELIOS_PDF_WORKERS", None)
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    if workers <= 1 or count < getattr(django_settings, "HELIOS_PDF_POOL_MIN", 200):
        return 0
    return workers


def _values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def common_payload(organisation, billing) -> dict:
    """What every PDF of the export shares: read once (the logo's bytes included)."""
    logo = None
    if organisation.logo:
        try:
            with organisation.logo.open("rb") as handle:
                logo = (organisation.logo.name, handle.read())
        except (OSError, ValueError):
            logo = None
    return {"organisation": _values(organisation), "billing": _values(billing), "logo": logo}


def invoice_payload(invoice) -> dict:
    credited = invoice.credited_invoice if invoice.credited_invoice_id else None
    return {
        "invoice": _values(invoice),
        "credited": (credited.pk, credited.number) if credited is not None else None,
        "lines": [_values(line) for line in invoice.lines.all()],
    }


class _Clock:
    """The `time` module as ReportLab sees it in a worker, with the parent's clock reading."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def __getattr__(self, name):
        return getattr(time, name)


def _init_worker():
    import django

    django.setup()


def render_batch(task) -> list[bytes]:
    """In a worker: the PDFs of a batch, in order, from plain data."""
    from django.core.files.base import ContentFile
    from reportlab.lib import utils as rl_utils

    from ribambelle.billing.models import BillingSettings, Invoice, InvoiceLine
    from ribambelle.billing.pdf import invoice_pdf
    from ribambelle.tenancy.models import Organisation

    common, payloads, now = task
    organisation = Organisation(**common["organisation"])
    if common["logo"] is not None:
        name, content = common["logo"]
        organisation.logo = ContentFile(content, name=name)
    billing = BillingSettings(**common["billing"])
    billing.organisation = organisation
    pdfs = []
    rl_utils.time = _Clock(now)
    try:
        for payload in payloads:
            invoice = Invoice(**payload["invoice"])
            invoice.organisation = organisation
            if payload["credited"] is not None:
                pk, number = payload["credited"]
                invoice.credited_invoice = Invoice(pk=pk, number=number, organisation_id=organisation.pk)
            lines = [InvoiceLine(**values) for values in payload["lines"]]
            pdfs.append(invoice_pdf(invoice, lines=lines, settings=billing))
    finally:
        rl_utils.time = time
    return pdfs


class PdfPool:
    """Spawned workers for one export; use as a context manager."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool = None

    def __enter__(self):
        self._pool = get_context("spawn").Pool(self.workers, initializer=_init_worker)
        return self

    def __exit__(self, *exc):
        self._pool.terminate()
        self._pool.join()
        self._pool = None
        return False

    def submit(self, common: dict, payloads: list[dict]):
        """Start rendering a chunk; the result's `get()` gives its PDFs in order."""
        now = time.time()
        tasks = [(common, payloads[i : i + BATCH], now) for i in range(0, len(payloads), BATCH)]
        return _Chunk(self._pool.map_async(render_batch, tasks, chunksize=1))


class _Chunk:
    def __init__(self, async_result):
        self._result = async_result

    def get(self) -> list[bytes]:
        return [pdf for batch in self._result.get() for pdf in batch]
