"""Writes for documents: sending, reviewing, reminding, publishing."""

import calendar
import logging
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.core.actions import action, step_by_step
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit
from ribambelle.families.recipients import family_recipients
from ribambelle.outbox.services import queue_email

from .files import CleanFile, clean_file, clean_uploads, read_upload
from .models import (
    EXTENSIONS,
    DocumentScope,
    DocumentType,
    PublishedDocument,
    RefusalReason,
    SubmissionStatus,
    SubmittedDocument,
    SubmittedPage,
    Validity,
    school_year_start,
)

logger = logging.getLogger(__name__)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_expiry(submission: SubmittedDocument, *, today: date | None = None) -> date | None:
    """When an accepted document stops being valid, unless staff say otherwise."""
    today = today or timezone.localdate()
    document_type = submission.document_type
    if document_type.validity == Validity.SCHOOL_YEAR:
        start = submission.period_start or school_year_start(today)
        return date(start.year + 1, 8, 31)
    if document_type.validity == Validity.MONTHS and document_type.validity_months:
        return add_months(today, document_type.validity_months)
    return None


def _delete_quietly(names: list[str], storage) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - best effort
            logger.warning("Could not delete %s", name)


def _email_family(*, submission: SubmittedDocument, template: str, extra: dict | None = None) -> None:
    from django.urls import reverse

    organisation = submission.organisation
    url = reverse("portail:documents", kwargs={"org_slug": organisation.slug})
    context = {"submission": submission, "document_type": submission.document_type, "path": url, **(extra or {})}
    for recipient in family_recipients(submission.family):
        queue_email(
            organisation=organisation,
            to=recipient.email,
            user=recipient.user,
            template=template,
            context=context,
            family=submission.family,
        )


@action
def submit_document(
    *,
    organisation,
    family,
    person,
    document_type: DocumentType,
    uploads: list,
    acting_user,
    request=None,
    allow_health: bool = True,
) -> SubmittedDocument:
    """Store a document sent by the family (or by staff on its behalf), status "en cours de traitement".

    The type must belong to the organisation and match who it is for (the family or a
    child/adult of this family). Every file is checked by content before anything is
    stored: one bad file refuses the whole sending. An earlier sending still waiting
    for review for the same document is replaced by this one.
    """
    if document_type.organisation_id != organisation.pk or family.organisation_id != organisation.pk:
        raise DomainError(_("Ce type de document n'existe pas ici."))
    if not document_type.is_active:
        raise DomainError(_("Ce type de document n'est plus demandé."))
    if document_type.is_health and not allow_health:
        raise DomainError(
            _("Ce document contient des données de santé : donnez d'abord votre accord dans « Mon compte ».")
        )
    if person is not None and (person.family_id != family.pk or person.organisation_id != organisation.pk):
        raise DomainError(_("Ce membre n'appartient pas à cette famille."))
    if document_type.scope == DocumentScope.FAMILY and person is not None:
        raise DomainError(_("Ce document concerne toute la famille : ajoutez-le dans la rubrique « Famille »."))
    if document_type.scope != DocumentScope.FAMILY:
        wanted = "child" if document_type.scope == DocumentScope.CHILD else "adult"
        if person is None or person.role != wanted:
            if wanted == "child":
                message = _("Ce document concerne un enfant : ajoutez-le dans la rubrique de la personne concernée.")
            else:
                message = _(
                    "Ce document concerne un responsable légal : ajoutez-le dans la rubrique de la personne concernée."
                )
            raise DomainError(message)

    # Checked and re-encoded before the transaction opens: image work holds no lock.
    cleaned = clean_uploads(uploads)
    today = timezone.localdate()
    by_staff = acting_user is not None and not getattr(acting_user, "is_family", False)
    period = school_year_start(today) if document_type.validity == Validity.SCHOOL_YEAR else None
    storage = SubmittedPage._meta.get_field("file").storage
    stored: list[str] = []
    try:
        with transaction.atomic():
            previous = list(
                SubmittedDocument.objects.select_for_update()
                .filter(
                    organisation=organisation,
                    family=family,
                    person=person,
                    document_type=document_type,
                    status=SubmissionStatus.RECEIVED,
                )
                .values_list("pk", flat=True)
            )
            submission = SubmittedDocument(
                organisation=organisation,
                family=family,
                person=person,
                document_type=document_type,
                period_start=period,
                submitted_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
                by_staff=by_staff,
            )
            submission.full_clean()
            submission.save()
            for number, clean in enumerate(cleaned, start=1):
                page = SubmittedPage(
                    organisation=organisation,
                    document=submission,
                    family=family,
                    number=number,
                    content_type=clean.content_type,
                    file_extension=clean.extension,
                    size=len(clean.content),
                )
                page.file.save("page", ContentFile(clean.content), save=False)
                stored.append(page.file.name)
                page.save()
            if previous:
                SubmittedDocument.objects.filter(pk__in=previous).update(
                    status=SubmissionStatus.REPLACED, updated_at=timezone.now()
                )
            data = {"document": document_type.name, **({"person": person.first_name} if person else {})}
            if by_staff:
                action = "document_deposited_by_staff"
                record_audit(organisation=organisation, actor=acting_user, action="create", obj=submission)
            else:
                action, data["files"] = "document_sent", len(cleaned)
            log_family_action(
                family=family,
                action=f"{action}_for" if person else action,
                data=data,
                user=acting_user,
                request=request,
            )
    except Exception:
        # Nothing half-stored: the rows rolled back, so the files go too.
        _delete_quietly(stored, storage)
        raise
    return submission


@action
def accept_document(*, submission: SubmittedDocument, acting_user, expires_on: date | None = None) -> SubmittedDocument:
    """Accept a document waiting for review, valid until `expires_on` (by default the end
    of its school year, or N months from today, or for ever)."""
    today = timezone.localdate()
    with transaction.atomic():
        submission = (
            SubmittedDocument.objects.select_for_update()
            .select_related("document_type", "family")
            .get(pk=submission.pk, organisation_id=submission.organisation_id)
        )
        if submission.status != SubmissionStatus.RECEIVED:
            raise DomainError(_("Ce document a déjà été examiné : rechargez la page."))
        expiry = expires_on if expires_on is not None else default_expiry(submission, today=today)
        if expiry is not None and expiry < today:
            raise DomainError(
                _("La date de fin de validité est déjà passée : choisissez une date à venir."), field="expires_on"
            )
        save_with_audit(
            submission,
            fields={
                "status": SubmissionStatus.ACCEPTED,
                "expires_on": expiry,
                "reviewed_by": acting_user,
                "reviewed_at": timezone.now(),
                "refusal_reason": "",
                "refusal_note": "",
            },
            acting_user=acting_user,
            action="accept",
        )
        log_family_action(
            family=submission.family,
            action="document_accepted",
            data={"document": submission.document_type.name},
            user=acting_user,
        )
        _email_family(submission=submission, template="document_accepted")
    return submission


@action
def refuse_document(*, submission: SubmittedDocument, acting_user, reason: str, note: str = "") -> SubmittedDocument:
    """Refuse a document with a reason the family reads (and is e-mailed)."""
    note = (note or "").strip()
    if reason not in RefusalReason.values:
        raise DomainError(_("Choisissez le motif du refus."), field="reason")
    if reason == RefusalReason.OTHER and not note:
        raise DomainError(_("Précisez la raison du refus pour que la famille sache quoi renvoyer."), field="note")
    with transaction.atomic():
        submission = (
            SubmittedDocument.objects.select_for_update()
            .select_related("document_type", "family")
            .get(pk=submission.pk, organisation_id=submission.organisation_id)
        )
        if submission.status != SubmissionStatus.RECEIVED:
            raise DomainError(_("Ce document a déjà été examiné : rechargez la page."))
        save_with_audit(
            submission,
            fields={
                "status": SubmissionStatus.REFUSED,
                "refusal_reason": reason,
                "refusal_note": note[:500],
                "reviewed_by": acting_user,
                "reviewed_at": timezone.now(),
                "expires_on": None,
            },
            acting_user=acting_user,
            action="refuse",
        )
        log_family_action(
            family=submission.family,
            action="document_refused",
            data={
                "document": submission.document_type.name,
                "document_refusal": submission.refusal_reason,
                "note": submission.refusal_note,
            },
            user=acting_user,
        )
        _email_family(submission=submission, template="document_refused")
    return submission


@step_by_step
def send_expiry_reminders(*, today: date | None = None) -> int:
    """E-mail families whose accepted document ends within its type's reminder delay.

    Idempotent: a document is reminded once (reminder_sent_at), and not at all when a
    newer sending for the same document exists. Returns how many documents were reminded.
    """
    today = today or timezone.localdate()
    candidates = (
        SubmittedDocument.objects.filter(
            status=SubmissionStatus.ACCEPTED,
            reminder_sent_at__isnull=True,
            expires_on__isnull=False,
            expires_on__gte=today,
            document_type__reminder_days__gt=0,
            document_type__is_active=True,
        )
        .select_related("document_type", "family", "person", "organisation")
        .order_by("expires_on", "id")
    )
    sent = 0
    for candidate in candidates.iterator(chunk_size=200):
        if candidate.expires_on > today + timedelta(days=candidate.document_type.reminder_days):
            continue
        newer = SubmittedDocument.objects.filter(
            organisation_id=candidate.organisation_id,
            family_id=candidate.family_id,
            person_id=candidate.person_id,
            document_type_id=candidate.document_type_id,
            created_at__gt=candidate.created_at,
        ).exclude(status=SubmissionStatus.REFUSED)
        with transaction.atomic():
            claimed = SubmittedDocument.objects.filter(pk=candidate.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=timezone.now()
            )
            if not claimed or newer.exists():
                continue
            _email_family(
                submission=candidate,
                template="document_expiring",
                extra={"days_left": (candidate.expires_on - today).days},
            )
            sent += 1
    return sent


# --- Document types and published documents (staff) ---------------------------------
def _clean_single(upload) -> CleanFile:
    return clean_file(read_upload(upload))


@action
def save_document_type(
    *, organisation, acting_user, fields: dict, instance: DocumentType | None = None, blank_form=None
) -> DocumentType:
    """Create or change a document type; a blank form is checked like any upload."""
    instance = instance or DocumentType(organisation=organisation)
    if instance.organisation_id != organisation.pk:
        raise DomainError(_("Ce type de document n'existe pas ici."))
    kinds = fields.get("activity_kinds")
    if kinds is not None:
        from .models import ACTIVITY_KINDS

        known = {value for value, _label in ACTIVITY_KINDS}
        fields["activity_kinds"] = sorted(set(kinds) & known)
    if fields.get("validity") and fields["validity"] != Validity.MONTHS:
        fields["validity_months"] = None
    storage = DocumentType._meta.get_field("blank_form").storage
    stored = None
    if blank_form:
        clean = _clean_single(blank_form)
        instance.file_extension = clean.extension
        fields["file_extension"] = clean.extension
    try:
        with transaction.atomic():
            if blank_form:
                instance.blank_form.save("formulaire", ContentFile(clean.content), save=False)
                stored = instance.blank_form.name
                fields["blank_form"] = instance.blank_form
            save_with_audit(instance, fields=fields, acting_user=acting_user)
    except Exception:
        if stored:
            _delete_quietly([stored], storage)
        raise
    return instance


@action
def save_published_document(
    *, organisation, acting_user, fields: dict, instance: PublishedDocument | None = None, upload=None
) -> PublishedDocument:
    """Publish (or change) a file of the "Documentation structure"."""
    instance = instance or PublishedDocument(organisation=organisation)
    if instance.organisation_id != organisation.pk:
        raise DomainError(_("Ce document n'existe pas ici."))
    structure = fields.get("structure")
    if structure is not None and structure.organisation_id != organisation.pk:
        raise DomainError(_("Cette structure n'existe pas ici."), field="structure")
    to_return = fields.get("to_return")
    if to_return is not None and to_return.organisation_id != organisation.pk:
        raise DomainError(_("Ce type de document n'existe pas ici."), field="to_return")
    if upload is None and not instance.file:
        raise DomainError(_("Ajoutez le fichier à publier (PDF, JPEG ou PNG)."), field="file")
    storage = PublishedDocument._meta.get_field("file").storage
    stored = None
    if upload is not None:
        clean = _clean_single(upload)
    try:
        with transaction.atomic():
            if upload is not None:
                old = instance.file.name if instance.file else None
                instance.file.save("document", ContentFile(clean.content), save=False)
                stored = instance.file.name
                fields.update(
                    file=instance.file,
                    content_type=clean.content_type,
                    file_extension=clean.extension,
                    size=len(clean.content),
                )
                if old:
                    transaction.on_commit(lambda: _delete_quietly([old], storage))
            save_with_audit(instance, fields=fields, acting_user=acting_user)
    except Exception:
        if stored:
            _delete_quietly([stored], storage)
        raise
    return instance


@action
def delete_published_document(*, document: PublishedDocument, acting_user) -> None:
    storage = PublishedDocument._meta.get_field("file").storage
    name = document.file.name
    with transaction.atomic():
        record_audit(organisation=document.organisation, actor=acting_user, action="delete", obj=document)
        document.delete()
        transaction.on_commit(lambda: _delete_quietly([name], storage))


def content_type_for(extension: str) -> str:
    return {value: key for key, value in EXTENSIONS.items()}.get(extension, "application/octet-stream")
