"""Reads of the crèche: the scale in force, contracts and their versions, within the caller's reach."""

from datetime import date

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404

from ribambelle.activities.models import Activity, ActivityKind
from ribambelle.tenancy.access import in_reach, structure_limit

from .models import AbsenceStatus, Contract, ContractVersion, CrecheDay, CrecheSettings, DeductibleAbsence, PsuScale


def get_psuscale_for_staff(membership, psuscale_id: int) -> PsuScale:
    return get_object_or_404(PsuScale, organisation_id=membership.organisation_id, pk=psuscale_id)


def scale_on(scales, day: date) -> PsuScale | None:
    """The scale in force on `day` among `scales` (any order)."""
    valid = [s for s in scales if s.valid_from <= day]
    return max(valid, key=lambda s: s.valid_from) if valid else None


def version_on(versions, day: date) -> ContractVersion | None:
    valid = [v for v in versions if v.valid_from <= day]
    return max(valid, key=lambda v: v.valid_from) if valid else None


def _structures(membership, field: str) -> Q:
    structure_ids = structure_limit(membership)
    return Q() if structure_ids is None else Q(**{f"{field}__in": structure_ids})


def creche_activities_for_staff(membership):
    return (
        Activity.objects.filter(
            _structures(membership, "structure_id"),
            organisation_id=membership.organisation_id,
            kind=ActivityKind.MULTI_ACCUEIL,
        )
        .select_related("structure")
        .order_by("name", "pk")
    )


def _contracts(membership):
    return Contract.objects.filter(
        in_reach(membership),
        _structures(membership, "activity__structure_id"),
        organisation_id=membership.organisation_id,
    )


def contracts_for_staff(membership):
    return (
        _contracts(membership)
        .select_related("child", "family", "activity")
        .prefetch_related(Prefetch("versions", queryset=ContractVersion.objects.order_by("valid_from")))
        .order_by("child__last_name", "child__first_name", "-start_date", "pk")
    )


def get_contract_for_staff(membership, contract_id: int) -> Contract:
    return get_object_or_404(
        _contracts(membership)
        .select_related("child", "family", "activity__structure")
        .prefetch_related(Prefetch("versions", queryset=ContractVersion.objects.select_related("scale"))),
        pk=contract_id,
    )


def contracts_for_family(family):
    return (
        Contract.objects.filter(organisation_id=family.organisation_id, family=family)
        .select_related("child", "activity__structure")
        .prefetch_related(Prefetch("versions", queryset=ContractVersion.objects.select_related("scale")))
        .order_by("-start_date", "pk")
    )


def get_contract_for_family(family, contract_id: int) -> Contract:
    return get_object_or_404(contracts_for_family(family), pk=contract_id)


def absences_of(contract):
    return DeductibleAbsence.objects.filter(organisation_id=contract.organisation_id, contract=contract).order_by(
        "-date"
    )


def absences_to_review_for_staff(membership):
    return (
        DeductibleAbsence.objects.filter(
            organisation_id=membership.organisation_id,
            status=AbsenceStatus.REQUESTED,
            contract__in=_contracts(membership).values("pk"),
        )
        .select_related("child", "contract")
        .order_by("date", "pk")
    )


def get_absence_for_staff(membership, absence_id: int) -> DeductibleAbsence:
    return get_object_or_404(
        DeductibleAbsence.objects.filter(contract__in=_contracts(membership).values("pk")).select_related(
            "child", "contract"
        ),
        organisation_id=membership.organisation_id,
        pk=absence_id,
    )


def rounding_for(structure) -> int:
    settings = CrecheSettings.objects.filter(organisation_id=structure.organisation_id, structure=structure).first()
    return settings.rounding_minutes if settings else 30


def get_creche_activity_for_staff(membership, activity_id: int):
    """An activity of the member's structures (any kind: a sheet without contracts is empty)."""
    return get_object_or_404(
        Activity.objects.filter(
            _structures(membership, "structure_id"), organisation_id=membership.organisation_id
        ).select_related("structure"),
        pk=activity_id,
    )


class SheetRow:
    def __init__(self, contract, slot, day_row, absence):
        self.contract, self.slot, self.day, self.absence = contract, slot, day_row, absence
        self.error = ""


def day_sheet(activity, day: date, membership) -> list[SheetRow]:
    """The children under contract on `day` in the multi-accueil: their contracted slot, the times
    recorded, a deductible absence. Four queries whatever the number of children."""
    contracts = list(
        _contracts(membership)
        .filter(activity=activity, start_date__lte=day, end_date__gte=day)
        .select_related("child")
        .prefetch_related("versions")
        .order_by("child__last_name", "child__first_name", "pk")
    )
    days = {
        d.contract_id: d
        for d in CrecheDay.objects.filter(organisation_id=activity.organisation_id, contract__in=contracts, date=day)
    }
    absences = {
        a.contract_id: a
        for a in DeductibleAbsence.objects.filter(
            organisation_id=activity.organisation_id, contract__in=contracts, date=day
        )
    }
    rows = []
    for contract in contracts:
        version = version_on(list(contract.versions.all()), day)
        slot = version.schedule.get(str(day.weekday())) if version else None
        rows.append(SheetRow(contract, slot, days.get(contract.pk), absences.get(contract.pk)))
    return rows


def scale_list_for_staff(membership, params):
    from .filters import ScaleFilter

    return ScaleFilter(params, queryset=PsuScale.objects.filter(organisation_id=membership.organisation_id))


def contract_list_for_staff(membership, params):
    from .filters import ContractFilter

    return ContractFilter(params, queryset=contracts_for_staff(membership))


def absence_list_for_staff(membership, params):
    from .filters import AbsenceFilter

    return AbsenceFilter(params, queryset=absences_to_review_for_staff(membership))


def get_structure_for_staff(membership, structure_id: int):
    from ribambelle.tenancy.models import Structure

    return get_object_or_404(
        Structure.objects.filter(_structures(membership, "pk"), organisation_id=membership.organisation_id),
        pk=structure_id,
    )
