"""PES export of a large run (issue 16): the invoice PDFs are rendered by spawned worker
processes (helios/pdfpool.py) from plain data; the attached PDFs stay byte for byte those of
`billing.pdf.invoice_pdf`, with the organisation's logo as it is at the time of the export."""

import base64
import gzip
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from ribambelle.billing.pdf import invoice_pdf
from ribambelle.billing.services import settings_for
from ribambelle.helios import pdfpool, services

from . import test_helios_pes
from .test_helios_pes import _export, _tree

# The fixtures of the PES tests: the run of three families, the clock frozen.
world = test_helios_pes.world
_frozen = test_helios_pes._frozen


@pytest.fixture
def pooled(settings):
    settings.HELIOS_PDF_WORKERS = 2
    settings.HELIOS_PDF_POOL_MIN = 1


def _png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _attached(roll) -> list[bytes]:
    root = _tree(roll).getroot()
    return [gzip.decompress(base64.b64decode(pj.find("Contenu/Fichier").text)) for pj in root.findall("PES_PJ/PJ")]


def _expected(world) -> list[bytes]:
    billing = settings_for(world["organisation"])
    pdfs = []
    for invoice in world["invoices"]:
        invoice.refresh_from_db()
        pdfs.append(invoice_pdf(invoice, lines=list(invoice.lines.all()), settings=billing))
    return pdfs


def test_the_pool_is_used_only_for_large_runs(settings):
    settings.HELIOS_PDF_WORKERS = 2
    settings.HELIOS_PDF_POOL_MIN = 200
    assert pdfpool.workers_wanted(199) == 0
    assert pdfpool.workers_wanted(200) == 2
    settings.HELIOS_PDF_WORKERS = 1
    assert pdfpool.workers_wanted(10_000) == 0


def test_pdfs_rendered_by_the_workers_are_exactly_the_invoice_pdfs(world, pooled):
    roll = _export(world)
    assert _attached(roll) == _expected(world)


def test_the_logo_of_the_moment_is_in_the_workers_pdfs(world, pooled):
    organisation = world["organisation"]
    organisation.logo.save("logo.png", ContentFile(_png("red")), save=True)
    first = _export(world)
    assert _attached(first) == _expected(world)
    # A new logo: the next export's PDFs carry it (nothing kept from the previous export).
    services.cancel_pes_roll(roll=first, reason="Logo changé", acting_user=world["tenant"].admin)
    organisation.logo.save("logo.png", ContentFile(_png("blue")), save=True)
    second = _export(world)
    assert _attached(second) == _expected(world)
    assert _attached(second) != _attached(first)


def test_the_plan_reads_invoices_by_chunks_whatever_their_number(world):
    """The preview/plan reads what it needs in bulk: no query per invoice (the credited
    amount used to be fetched one invoice at a time)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ribambelle.helios.selectors import export_plan

    from .test_helios_pes import TODAY, _family, _invoice

    def count():
        with CaptureQueriesContext(connection) as queries:
            export_plan(world["run"], world["settings"], issued_on=TODAY)
        return len(queries)

    before = count()
    for sequence in range(200, 206):
        family = _family(world["organisation"], f"Famille {sequence}")
        _invoice(world["run"], family, sequence, [Decimal("4.00")])
    assert count() == before
