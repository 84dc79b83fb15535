"""Writes of the crèche: the PSU scale, contracts and amendments, days attended, deductible absences."""

from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit

from . import pricing
from .models import (
    AbsenceReason,
    AbsenceStatus,
    CareType,
    Contract,
    ContractKind,
    ContractVersion,
    CrecheDay,
    DeductibleAbsence,
    PsuScale,
)
from .selectors import rounding_for, scale_on, version_on

SCALE_FIELDS = (
    "valid_from",
    "floor",
    "ceiling",
    "collective_1",
    "collective_2",
    "collective_3",
    "collective_4_7",
    "collective_8",
    "family_1",
    "family_2",
    "family_3",
    "family_4_7",
    "family_8",
    "to_check",
    "note",
)

D = Decimal
COLLECTIVE_2022 = (D("0.0619"), D("0.0516"), D("0.0413"), D("0.0310"), D("0.0206"))
FAMILY_2022 = (D("0.0516"), D("0.0413"), D("0.0310"), D("0.0310"), D("0.0206"))
# The national values we seed (docs/creche-psu.md gives each one's source). A row marked
# to_check holds at least one value not confirmed by a CAF publication: shown "à vérifier".
NATIONAL_SCALES = [
    (
        date(2022, 1, 1),
        D("712.33"),
        D("6000.00"),
        True,
        "Plafond 6 000 € : circulaire Cnaf 2019-005. Plancher 2022 à vérifier.",
    ),
    (date(2023, 1, 1), D("754.16"), D("6000.00"), True, "Plancher 2023 à vérifier."),
    (date(2024, 1, 1), D("765.77"), D("6000.00"), True, "Plancher 2024 à vérifier."),
    (
        date(2024, 9, 1),
        D("765.77"),
        D("7000.00"),
        True,
        "Plafond 7 000 € au 1er septembre 2024 (caf45-partenaires.fr). Plancher 2024 à vérifier.",
    ),
    (date(2025, 1, 1), D("801.00"), D("7000.00"), True, "Plancher 2025 (801,00 €) à vérifier."),
    (
        date(2025, 9, 1),
        D("801.00"),
        D("8500.00"),
        True,
        "Plafond 8 500 € au 1er septembre 2025, contrats en cours compris (caf.fr). "
        "Plancher 2025/2026 non confirmé : à vérifier.",
    ),
]


@action
def seed_national_scales(*, organisation, acting_user) -> int:
    """Adds the national scales the organisation does not have yet (by start date); never
    overwrites one an administrator changed. Rates: 2022 onwards (taux d'effort, B3)."""
    existing = set(PsuScale.objects.filter(organisation=organisation).values_list("valid_from", flat=True))
    added = 0
    for valid_from, floor, ceiling, to_check, note in NATIONAL_SCALES:
        if valid_from in existing:
            continue
        scale = PsuScale(
            organisation=organisation,
            valid_from=valid_from,
            floor=floor,
            ceiling=ceiling,
            to_check=to_check,
            note=note + " Taux familial/parental à vérifier.",
            **dict(
                zip(
                    ("collective_1", "collective_2", "collective_3", "collective_4_7", "collective_8"),
                    COLLECTIVE_2022,
                    strict=True,
                )
            ),
            **dict(zip(("family_1", "family_2", "family_3", "family_4_7", "family_8"), FAMILY_2022, strict=True)),
        )
        scale.full_clean()
        scale.save()
        record_audit(organisation=organisation, actor=acting_user, action="create", obj=scale)
        added += 1
    return added


@action
def save_scale(*, organisation, instance: PsuScale | None, values: dict, acting_user) -> PsuScale:
    """A scale's floor is below its ceiling; one scale per start date."""
    if values["floor"] > values["ceiling"]:
        raise DomainError(_("Le plancher doit être inférieur au plafond."), field="floor")
    clash = PsuScale.objects.filter(organisation=organisation, valid_from=values["valid_from"])
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise DomainError(_("Un barème commence déjà à cette date."), field="valid_from")
    scale = instance or PsuScale(organisation=organisation)
    return save_with_audit(scale, fields={name: values[name] for name in SCALE_FIELDS}, acting_user=acting_user)


def _clean_schedule(schedule: dict) -> dict:
    cleaned = {}
    for weekday, slot in schedule.items():
        if not slot:
            continue
        start, end = pricing.parse_time(slot[0]), pricing.parse_time(slot[1])
        if end <= start:
            raise DomainError(_("Un créneau du planning finit avant de commencer : corrigez ses heures."))
        cleaned[str(int(weekday))] = [start.strftime("%H:%M"), end.strftime("%H:%M")]
    return cleaned


def _version(*, contract: Contract, valid_from: date, values: dict, acting_user) -> ContractVersion:
    scales = list(PsuScale.objects.filter(organisation=contract.organisation))
    scale = scale_on(scales, valid_from)
    if scale is None:
        raise DomainError(_("Aucun barème PSU n'est en vigueur à cette date : ajoutez-le d'abord."), field="valid_from")
    schedule = _clean_schedule(values.get("schedule") or {})
    if contract.kind == ContractKind.REGULAR:
        if not schedule:
            raise DomainError(_("Un accueil régulier a besoin d'au moins un créneau dans son planning."))
        if not values.get("weeks_per_year"):
            raise DomainError(_("Indiquez le nombre de semaines d'accueil par an."), field="weeks_per_year")
    rate = pricing.hourly_rate(
        scale=scale,
        care_type=contract.care_type,
        annual_resources=values["annual_resources"],
        dependent_children=values["dependent_children"],
        aeeh=values["aeeh"],
    )
    version = ContractVersion(
        organisation=contract.organisation,
        contract=contract,
        valid_from=valid_from,
        schedule=schedule,
        weekly_hours=pricing.weekly_hours(schedule),
        weeks_per_year=values.get("weeks_per_year") or Decimal("0"),
        months_billed=values.get("months_billed") or 12,
        annual_resources=values["annual_resources"],
        resources_source=values["resources_source"],
        resources_reference=values.get("resources_reference", ""),
        resources_date=values.get("resources_date"),
        dependent_children=values["dependent_children"],
        aeeh=values["aeeh"],
        scale=scale,
        monthly_resources=rate.monthly_resources,
        rate_percent=rate.rate_percent,
        hourly_rate=rate.hourly,
        created_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
    )
    version.full_clean()
    version.save()
    return version


@action
def create_contract(
    *,
    family,
    child,
    activity,
    kind: str,
    care_type: str,
    start_date: date,
    end_date: date,
    values: dict,
    acting_user,
    allocataire_number: str = "",
    filoue_consent: bool = False,
) -> Contract:
    """A child of the family, a multi-accueil of the same organisation, the end after the start;
    the first version (rate frozen with the scale in force on the start date) starts with it."""
    from ribambelle.activities.models import ActivityKind

    if child.family_id != family.pk or child.organisation_id != family.organisation_id:
        raise DomainError(_("Cet enfant n'appartient pas à cette famille."), field="child")
    if activity.organisation_id != family.organisation_id or activity.kind != ActivityKind.MULTI_ACCUEIL:
        raise DomainError(_("Choisissez un multi-accueil de l'organisation."), field="activity")
    if end_date < start_date:
        raise DomainError(_("La fin du contrat doit suivre son début."), field="end_date")
    contract = Contract(
        organisation=family.organisation,
        family=family,
        child=child,
        activity=activity,
        kind=kind,
        care_type=care_type or CareType.COLLECTIVE,
        start_date=start_date,
        end_date=end_date,
        allocataire_number=allocataire_number.strip(),
        filoue_consent=filoue_consent,
    )
    contract.full_clean()
    contract.save()
    _version(contract=contract, valid_from=start_date, values=values, acting_user=acting_user)
    record_audit(organisation=family.organisation, actor=acting_user, action="create", obj=contract)
    return contract


@action
def amend_contract(*, contract: Contract, valid_from: date, values: dict, acting_user) -> ContractVersion:
    """An amendment starts on the first day of a month, inside the contract, after its last
    version: the months already billed keep their version (the invoices before do not move)."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk, organisation=contract.organisation)
    if valid_from.day != 1:
        raise DomainError(_("Un avenant prend effet le premier jour d'un mois."), field="valid_from")
    if not contract.start_date < valid_from <= contract.end_date:
        raise DomainError(_("L'avenant doit prendre effet pendant le contrat."), field="valid_from")
    last = contract.versions.order_by("-valid_from").first()
    if last is not None and valid_from <= last.valid_from:
        raise DomainError(_("L'avenant doit prendre effet après la dernière version du contrat."), field="valid_from")
    version = _version(contract=contract, valid_from=valid_from, values=values, acting_user=acting_user)
    record_audit(
        organisation=contract.organisation,
        actor=acting_user,
        action="amend",
        obj=contract,
        changes={"valid_from": valid_from.isoformat(), "hourly_rate": str(version.hourly_rate)},
    )
    return version


def _contract_slot(contract: Contract, day: date):
    version = version_on(list(contract.versions.all()), day)
    if version is None:
        return None, None
    return version, version.schedule.get(str(day.weekday()))


@action
def record_day(*, contract: Contract, day: date, arrival, departure, acting_user) -> CrecheDay:
    """A day's arrival and departure: the hours counted are rounded by the structure's rule, the
    extra hours are those outside the contracted slot (all of them for occasional care)."""
    if not contract.start_date <= day <= contract.end_date:
        raise DomainError(_("Ce jour est en dehors du contrat de l'enfant."))
    if departure <= arrival:
        raise DomainError(_("L'heure de départ doit suivre l'heure d'arrivée."))
    _version_, slot = _contract_slot(contract, day)
    step = rounding_for(contract.activity.structure)
    attended, extra = pricing.day_hours(
        arrival=arrival, departure=departure, slot=slot if contract.kind == ContractKind.REGULAR else None, step=step
    )
    if contract.kind == ContractKind.OCCASIONAL:
        extra = Decimal("0")  # occasional care is billed on the hours attended themselves
    row = CrecheDay.objects.filter(organisation=contract.organisation, contract=contract, date=day).first()
    row = row or CrecheDay(organisation=contract.organisation, contract=contract, child_id=contract.child_id, date=day)
    return save_with_audit(
        row,
        fields={"arrival": arrival, "departure": departure, "attended_hours": attended, "extra_hours": extra},
        acting_user=acting_user,
    )


def _absence(*, contract: Contract, day: date, reason: str, proof=None) -> DeductibleAbsence:
    if contract.kind != ContractKind.REGULAR:
        raise DomainError(_("Seul un accueil régulier a des absences déductibles."))
    if reason not in AbsenceReason.values:
        raise DomainError(_("Choisissez le motif de l'absence."), field="reason")
    if not contract.start_date <= day <= contract.end_date:
        raise DomainError(_("Ce jour est en dehors du contrat de l'enfant."), field="date")
    _version_, slot = _contract_slot(contract, day)
    if not slot:
        raise DomainError(_("L'enfant n'est pas attendu ce jour-là : rien à déduire."), field="date")
    if DeductibleAbsence.objects.filter(organisation=contract.organisation, contract=contract, date=day).exists():
        raise DomainError(_("Une absence est déjà signalée pour ce jour."), field="date")
    absence = DeductibleAbsence(
        organisation=contract.organisation,
        contract=contract,
        child_id=contract.child_id,
        date=day,
        hours=pricing.slot_hours(slot),
        reason=reason,
    )
    if proof is not None:
        absence.proof.save(f"justificatif-{day.isoformat()}.{proof.extension}", ContentFile(proof.content), save=False)
        absence.proof_type = proof.content_type
    return absence


@action
def report_absence(*, contract: Contract, day: date, reason: str, upload, acting_user) -> DeductibleAbsence:
    """A parent reports a contracted day's absence with its proof (a certificate): checked like
    every document (content, size), it waits for staff to accept or refuse it."""
    from ribambelle.documents.files import clean_uploads

    if upload is None:
        raise DomainError(
            _("Joignez le justificatif (certificat médical, bulletin d'hospitalisation…)."), field="proof"
        )
    if day < timezone.localdate():
        raise DomainError(_("Signalez une absence passée à la crèche directement."), field="date")
    proof = clean_uploads([upload])[0]
    absence = _absence(contract=contract, day=day, reason=reason, proof=proof)
    absence.reported_by_family = True
    absence.full_clean()
    absence.save()
    record_audit(organisation=contract.organisation, actor=acting_user, action="report", obj=absence)
    return absence


@action
def record_absence(*, contract: Contract, day: date, reason: str, acting_user) -> DeductibleAbsence:
    """Staff record a deductible absence they know of (a closure, an exclusion): accepted at once."""
    absence = _absence(contract=contract, day=day, reason=reason)
    absence.status = AbsenceStatus.ACCEPTED
    absence.decided_by = acting_user if acting_user is not None and acting_user.is_authenticated else None
    absence.full_clean()
    absence.save()
    record_audit(organisation=contract.organisation, actor=acting_user, action="create", obj=absence)
    return absence


@action
def decide_absence(*, absence: DeductibleAbsence, accept: bool, reason: str = "", acting_user) -> DeductibleAbsence:
    absence = DeductibleAbsence.objects.select_for_update().get(pk=absence.pk, organisation=absence.organisation)
    if absence.status != AbsenceStatus.REQUESTED:
        raise DomainError(_("Cette absence a déjà été examinée."))
    if not accept and not reason.strip():
        raise DomainError(_("Indiquez le motif du refus."), field="refusal_reason")
    fields = {
        "status": AbsenceStatus.ACCEPTED if accept else AbsenceStatus.REFUSED,
        "refusal_reason": "" if accept else reason.strip(),
        "decided_by": acting_user if acting_user is not None and acting_user.is_authenticated else None,
    }
    with transaction.atomic():
        return save_with_audit(absence, fields=fields, acting_user=acting_user, action="decide")
