"""Demo: "Réinscrire pour l'année prochaine" (issue 22). Quercy's school-year activities
(Wednesdays at Nègrepelisse, périscolaire at Saint-Étienne) are duplicated for next school
year, with their registration window open since yesterday, so the demo parent (Julie MARTIN)
sees the call on her dashboard and can re-enrol Léa and Hugo in one confirmation; the family's
CAF certificate, accepted and valid for a year, is carried over."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.core.files.base import ContentFile
from django.utils import timezone


def load_renewal(quercy) -> None:
    from ribambelle.activities.models import Activity
    from ribambelle.activities.services import duplicate_activity
    from ribambelle.demo import data
    from ribambelle.documents import samples
    from ribambelle.documents.models import DocumentType, SubmissionStatus, SubmittedDocument, SubmittedPage
    from ribambelle.renewals.selectors import next_school_year
    from ribambelle.tenancy.models import Membership

    now = timezone.now()
    next_year = next_school_year(timezone.localdate())
    admin = Membership.objects.filter(organisation=quercy, role="administrator").select_related("user").first()
    acting_user = admin.user if admin else None
    for prefix in ("Mercredis Nègrepelisse", "Périscolaire Saint-Étienne"):
        current = (
            Activity.objects.filter(organisation=quercy, name__startswith=prefix, start_date__lt=next_year)
            .order_by("-start_date")
            .first()
        )
        if current is None or Activity.objects.filter(previous_activity=current).exists():
            continue
        copy = duplicate_activity(
            activity=current,
            start_date=current.start_date + relativedelta(years=1),
            name=f"{prefix} {next_year.year}-{next_year.year + 1}",
            acting_user=acting_user,
        )
        # Open since yesterday, whatever today's date, so the demo shows the renewal.
        Activity.objects.filter(pk=copy.pk).update(registration_opens_at=now - timedelta(days=1))

    family = data._family(quercy, "MARTIN")
    caf = DocumentType.objects.filter(organisation=quercy, name="Attestation CAF (quotient familial)").first()
    if caf is None or SubmittedDocument.objects.filter(document_type=caf, family=family).exists():
        return
    submission = SubmittedDocument.objects.create(
        organisation=quercy,
        family=family,
        document_type=caf,
        status=SubmissionStatus.ACCEPTED,
        reviewed_at=now,
        expires_on=timezone.localdate() + relativedelta(months=12),
    )
    content = samples.png_bytes("Attestation de quotient familial")
    page = SubmittedPage(
        organisation=quercy,
        family=family,
        document=submission,
        number=1,
        content_type="image/png",
        file_extension="png",
        size=len(content),
    )
    page.file.save("page", ContentFile(content), save=False)
    page.save()
