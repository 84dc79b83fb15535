"""Hélios writes: settings validated on entry, the export of an issued run as one PES ORMC
rôle (numbered under a lock, stored immutably with its SHA-256), and its explicit cancellation."""

import hashlib
import re
import string
import tempfile
from datetime import date

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.billing.models import Invoice, InvoiceRun, RunStatus
from ribambelle.billing.pdf import invoice_pdf
from ribambelle.billing.services import settings_for as billing_settings_for
from ribambelle.core.actions import action, action_helper
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit

from . import pdfpool, pes
from .models import Edition, HeliosProductCode, HeliosSettings, PesPiece, PesRoll, RollCounter
from .selectors import CHUNK, articles, export_plan

_CODE = re.compile(r"^[A-Z0-9]+$")
TEMPLATE_KEYS = {
    "roll_subject": {"debut", "fin", "numero", "exercice"},
    "article_subject": {"facture", "famille", "debut", "fin"},
    "debit_label": {"facture"},
}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _clean_settings_values(values: dict) -> dict:
    """Hélios rejects a whole file for one wrong header value: refuse them on entry."""
    values = {**values}
    for name in ("id_post", "siret", "cod_col", "cod_bud", "default_product_code", "nature"):
        values[name] = re.sub(r"\s", "", str(values.get(name, ""))).upper()
    if not re.fullmatch(r"[0-9]{6,7}", values["id_post"]):
        raise DomainError(_("Le codique du poste comptable compte 6 ou 7 chiffres."), field="id_post")
    if not re.fullmatch(r"[0-9]{14}", values["siret"]) or not _luhn_ok(values["siret"]):
        raise DomainError(
            _("Ce SIRET n'est pas valide : 14 chiffres dont le dernier est une clé de contrôle."), field="siret"
        )
    if len(values["cod_col"]) != 3 or not _CODE.match(values["cod_col"]):
        raise DomainError(_("Le code collectivité compte 3 lettres ou chiffres."), field="cod_col")
    if len(values["cod_bud"]) != 2 or not _CODE.match(values["cod_bud"]):
        raise DomainError(_("Le code budget compte 2 lettres ou chiffres."), field="cod_bud")
    if not pes.pes_text(values.get("budget_label", ""), 38):
        raise DomainError(_("Indiquez le libellé du budget."), field="budget_label")
    if not re.fullmatch(r"[A-Z0-9]{1,4}", values["default_product_code"]):
        raise DomainError(_("Le code produit local compte 1 à 4 lettres ou chiffres."), field="default_product_code")
    if values.get("edition", "") not in Edition.values:
        raise DomainError(_("Choisissez qui édite les factures."), field="edition")
    for name, keys in TEMPLATE_KEYS.items():
        template = values.get(name, "")
        try:
            used = {part[1] for part in string.Formatter().parse(template) if part[1] is not None}
        except ValueError:
            used = {"?"}
        if used - keys or not pes.pes_text(template, 160):
            raise DomainError(
                _("Variables possibles : %(keys)s, entre accolades.") % {"keys": ", ".join(sorted(keys))}, field=name
            )
    return values


@action
def save_helios_settings(
    *, organisation, instance: HeliosSettings | None, values: dict, codes: dict, acting_user
) -> HeliosSettings:
    """Save a budget's settings and its product codes per activity (empty: the default)."""
    values = _clean_settings_values(values)
    for activity_id, code in codes.items():
        code = re.sub(r"\s", "", code or "").upper()
        if code and not re.fullmatch(r"[A-Z0-9]{1,4}", code):
            raise DomainError(_("Un code produit local compte 1 à 4 lettres ou chiffres : « %s ».") % code)
        codes[activity_id] = code
    instance = instance or HeliosSettings(organisation=organisation)
    if (
        HeliosSettings.objects.filter(organisation=organisation, cod_col=values["cod_col"], cod_bud=values["cod_bud"])
        .exclude(pk=instance.pk)
        .exists()
    ):
        raise DomainError(_("Ce budget a déjà ses réglages."), field="cod_bud")
    save_with_audit(instance, fields=values, acting_user=acting_user)
    HeliosProductCode.objects.filter(organisation=organisation, settings=instance).delete()
    HeliosProductCode.objects.bulk_create(
        HeliosProductCode(organisation=organisation, settings=instance, activity_id=activity_id, code=code)
        for activity_id, code in codes.items()
        if code
    )
    return instance


@action_helper
def _locked_counter(*, settings: HeliosSettings, exercice: int) -> RollCounter:
    """The rôle counter of the budget and exercice, created if needed and locked until the
    exporting transaction ends: concurrent exports wait, a failed one gives its number back."""
    RollCounter.objects.bulk_create(
        [RollCounter(organisation_id=settings.organisation_id, settings=settings, exercice=exercice)],
        ignore_conflicts=True,
    )
    return RollCounter.objects.select_for_update().get(
        organisation_id=settings.organisation_id, settings=settings, exercice=exercice
    )


def _problems_message(problems) -> str:
    shown = [
        _("%(family)s : %(field)s – %(message)s") % {"family": p.family_name, "field": p.field, "message": p.message}
        for p in problems[:5]
    ]
    more = len(problems) - len(shown)
    text = _("Le fichier PES n'est pas généré. À corriger : ") + " ; ".join(shown)
    return text + (_(" (et %(count)s autres)") % {"count": more} if more else "")


@action
def export_pes(*, run: InvoiceRun, settings: HeliosSettings, acting_user, today: date | None = None) -> PesRoll:
    """Generate the run's rôle for the budget: refused while a previous rôle of the run is not
    cancelled, or while any family lacks a field the Trésor needs (then no number is taken)."""
    if settings.organisation_id != run.organisation_id:
        raise DomainError(_("Ces réglages Hélios sont ceux d'une autre collectivité."))
    today = today or timezone.localdate()
    # Exports of one run wait for each other, so the "already exported" check below holds.
    run = InvoiceRun.objects.select_for_update().get(organisation_id=run.organisation_id, pk=run.pk)
    if run.status != RunStatus.DONE:
        raise DomainError(_("Seule une facturation émise peut être transmise au Trésor public."))
    if PesRoll.objects.filter(
        organisation_id=run.organisation_id, run=run, settings=settings, cancelled_at__isnull=True
    ).exists():
        raise DomainError(_("Cette facturation a déjà son rôle Hélios. Annulez-le d'abord pour en générer un nouveau."))
    plan = export_plan(run, settings, issued_on=today, shown=0)
    if plan.problems:
        raise DomainError(_problems_message(plan.problems))
    if not plan.invoice_ids:
        raise DomainError(_("Aucune facture à transmettre : toutes sont soldées ou annulées."))
    counter = _locked_counter(settings=settings, exercice=today.year)
    number = counter.last_number + 1
    if number > 9_999_999:
        raise DomainError(_("Plus de numéro de rôle disponible pour cet exercice."))
    roll_key = f"RB{settings.pk}E{today.year}R{number}"
    file_name = f"PESORMC_{settings.siret}_{today.year}_{number:07d}.xml"
    header = pes.Header(
        file_name=file_name,
        issued_on=today,
        id_post=settings.id_post,
        siret=settings.siret,
        cod_col=settings.cod_col,
        cod_bud=settings.cod_bud,
        budget_label=settings.budget_label,
        exercice=today.year,
        roll_number=number,
        piece_count=plan.count,
        total=plan.total,
        subject=_fill_roll(settings, run, number, today.year),
        nature=settings.nature,
        edition=settings.edition,
        attachment_type="010" if settings.edition == Edition.DGFIP else "011",
    )
    # The rôle row first (same transaction: all or nothing), so its pieces are written by
    # chunks while the file is, and memory does not grow with the run.
    counter.last_number = number
    counter.save(update_fields=["last_number", "updated_at"])
    roll = PesRoll.objects.create(
        organisation_id=run.organisation_id,
        run=run,
        settings=settings,
        exercice=today.year,
        number=number,
        issued_on=today,
        file_name=file_name,
        total=plan.total,
        piece_count=plan.count,
        created_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
    )
    pending = []
    sepa_count = 0

    def collect():
        nonlocal sepa_count
        for article in articles(run, settings, roll_key=roll_key, issued_on=today, ids=plan.invoice_ids):
            pending.append(
                PesPiece(
                    organisation_id=run.organisation_id,
                    roll=roll,
                    invoice_id=article.invoice_id,
                    piece_number=article.piece_number,
                    amount=article.amount,
                    attachment_id=article.attachment_id,
                    debited_by_tresor=article.debit is not None,
                )
            )
            sepa_count += article.debit is not None
            if len(pending) >= CHUNK:
                PesPiece.objects.bulk_create(pending)
                pending.clear()
            yield article
        PesPiece.objects.bulk_create(pending)
        pending.clear()

    with tempfile.NamedTemporaryFile(suffix=".xml") as out:
        pes.write_pes(out, header, collect(), _attachments(run, settings, roll_key, today, plan.invoice_ids))
        out.flush()
        try:
            pes.validate(out.name, expected_total=plan.total, expected_pieces=plan.count)
        except pes.PesInvalid as exc:
            raise DomainError(
                _("Le fichier PES produit ne respecte pas la structure attendue (%(error)s) : il n'est pas proposé.")
                % {"error": str(exc)[:300]}
            ) from exc
        out.seek(0)
        digest = hashlib.sha256()
        for block in iter(lambda: out.read(1 << 20), b""):
            digest.update(block)
        size = out.tell()
        out.seek(0)
        # Under the organisation's id like every stored file (backups, sharding by organisation).
        stored = default_storage.save(
            f"helios/{run.organisation_id}/{today.year}/{file_name}", File(out, name=file_name)
        )
    try:
        roll.file = stored
        roll.sha256 = digest.hexdigest()
        roll.size = size
        roll.sepa_count = sepa_count
        roll.save(update_fields=["file", "sha256", "size", "sepa_count", "updated_at"])
        record_audit(
            organisation=run.organisation,
            actor=acting_user,
            action="pes_export",
            obj=roll,
            changes={"run": run.pk, "number": number, "total": str(plan.total), "sha256": roll.sha256},
        )
    except Exception:
        default_storage.delete(stored)  # the rolled-back rôle leaves no file behind
        raise
    return roll


def _fill_roll(settings, run, number, exercice) -> str:
    values = {
        "debut": f"{run.period_start:%d/%m/%Y}",
        "fin": f"{run.period_end:%d/%m/%Y}",
        "numero": number,
        "exercice": exercice,
    }
    try:
        return settings.roll_subject.format(**values)
    except (KeyError, IndexError, ValueError):
        return settings.roll_subject


def _attachments(run, settings, roll_key, today, ids):
    """(article, PDF renderer) pairs, read by chunks with their lines: each PDF is rendered
    when written, then dropped. A large run renders its PDFs on every core (pdfpool), one
    chunk ahead of the writer."""
    billing = billing_settings_for(run.organisation)
    workers = pdfpool.workers_wanted(len(ids))
    if not workers:
        for invoices, chunk_articles in _invoice_chunks(run, settings, roll_key, today, ids):
            for article in chunk_articles:
                yield article, _renderer(invoices.pop(article.invoice_id), billing)
        return
    common = pdfpool.common_payload(run.organisation, billing)
    with pdfpool.PdfPool(workers) as pool:
        ahead = None
        for invoices, chunk_articles in _invoice_chunks(run, settings, roll_key, today, ids):
            payloads = [pdfpool.invoice_payload(invoices.pop(article.invoice_id)) for article in chunk_articles]
            rendering = pool.submit(common, payloads)
            if ahead is not None:
                yield from _rendered(*ahead)
            ahead = (chunk_articles, rendering)
        if ahead is not None:
            yield from _rendered(*ahead)


def _invoice_chunks(run, settings, roll_key, today, ids):
    """(invoices by id with their lines, articles in order) for each chunk of the run."""
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        invoices = {
            invoice.pk: invoice
            for invoice in Invoice.objects.filter(organisation_id=run.organisation_id, pk__in=chunk)
            .select_related("organisation", "credited_invoice")
            .prefetch_related("lines")
        }
        chunk_articles = list(
            articles(run, settings, roll_key=roll_key, issued_on=today, ids=chunk, first_piece=offset + 1)
        )
        yield invoices, chunk_articles


def _rendered(chunk_articles, rendering):
    for article, pdf in zip(chunk_articles, rendering.get(), strict=True):
        yield article, _ready(pdf)


def _ready(pdf: bytes):
    return lambda: pdf


def _renderer(invoice, billing):
    def render() -> bytes:
        return invoice_pdf(invoice, lines=list(invoice.lines.all()), settings=billing)

    return render


@action
def cancel_pes_roll(*, roll: PesRoll, reason: str, acting_user) -> PesRoll:
    """Cancel a rôle (refused by Hélios, or to be redone): the file stays as it was, its
    number and attachment identifiers are never given again, and the run may be exported anew."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Indiquez le motif de l'annulation."), field="reason")
    roll = PesRoll.objects.select_for_update().get(organisation_id=roll.organisation_id, pk=roll.pk)
    if roll.cancelled_at is not None:
        raise DomainError(_("Ce rôle est déjà annulé."))
    roll.cancelled_at = timezone.now()
    roll.cancelled_by = acting_user if acting_user is not None and acting_user.is_authenticated else None
    roll.cancel_reason = reason[:200]
    roll.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason", "updated_at"])
    record_audit(
        organisation=roll.organisation,
        actor=acting_user,
        action="pes_cancel",
        obj=roll,
        changes={"number": roll.number, "exercice": roll.exercice, "reason": roll.cancel_reason},
    )
    return roll
