"""What a family owes for a period: bookings and attendance turned into priced lines.

Pure computation on rows loaded in bulk (no query per booking), so an invoice run on
10,000 families costs a few queries per batch. The rules, each tested on its own:
- a tariff is per activity and unit (or for all the activity's units);
- by family quotient: the bracket whose upper bound is above the QF; a missing or
  expired quotient gets the highest bracket, and the line says why;
- a family whose postal code is outside the territory pays the outside rate if any;
- the 2nd child (by birth order among the family's children charged in the run) and
  the following get the sibling reduction when the tariff allows it;
- booked and present days are charged; unexcused absences, excused absences and late
  cancellations follow the organisation's settings; waiting and in-time cancellations never.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from ribambelle.bookings.models import BookingStatus
from ribambelle.core.formats import round_money

from .models import ZERO, BillingSettings, QuotientBracket, Tariff, TariffMode

HUNDRED = Decimal("100")


@dataclass
class PricingContext:
    settings: BillingSettings
    brackets: list[QuotientBracket]
    # (activity_id, unit_id or None) -> Tariff with prices prefetched
    tariffs: dict[tuple[int, int | None], Tariff]
    on: date

    @classmethod
    def load(cls, organisation, *, on: date) -> "PricingContext":
        settings = BillingSettings.objects.filter(organisation=organisation).first() or BillingSettings(
            organisation=organisation
        )
        tariffs = {
            (t.activity_id, t.unit_id): t
            for t in Tariff.objects.filter(organisation=organisation).prefetch_related("prices")
        }
        return cls(
            settings=settings,
            brackets=list(QuotientBracket.objects.filter(organisation=organisation)),
            tariffs=tariffs,
            on=on,
        )

    def tariff_for(self, activity_id: int, unit_id: int) -> Tariff | None:
        return self.tariffs.get((activity_id, unit_id)) or self.tariffs.get((activity_id, None))


@dataclass
class BracketChoice:
    bracket: QuotientBracket | None
    reason: str = ""


def choose_bracket(family, ctx: PricingContext) -> BracketChoice:
    """The family's QF bracket; the highest one, with the reason, when the QF cannot be used."""
    if not ctx.brackets:
        return BracketChoice(None)
    top = ctx.brackets[-1]
    qf = family.family_quotient
    if qf is None:
        return BracketChoice(top, "Quotient familial non renseigné : tarif de la tranche la plus haute.")
    limit = ctx.on - relativedelta(months=ctx.settings.quotient_validity_months)
    if family.family_quotient_date is None or family.family_quotient_date < limit:
        return BracketChoice(top, "Quotient familial à mettre à jour : tarif de la tranche la plus haute.")
    for bracket in ctx.brackets:
        if bracket.upper_bound is None or qf < bracket.upper_bound:
            return BracketChoice(bracket)
    return BracketChoice(top)


def is_outside_territory(family, ctx: PricingContext) -> bool:
    codes = ctx.settings.territory_codes
    return bool(codes) and family.postal_code.strip() not in codes


def base_price(tariff: Tariff, choice: BracketChoice, *, outside: bool) -> tuple[Decimal, str]:
    if outside and tariff.outside_price is not None:
        return tariff.outside_price, "Tarif hors territoire"
    if tariff.mode == TariffMode.QUOTIENT and choice.bracket is not None:
        for price in tariff.prices.all():
            if price.bracket_id == choice.bracket.pk:
                return price.price, choice.reason or f"Tranche {choice.bracket.label}"
    return tariff.flat_price, ""


def is_chargeable(booking, settings: BillingSettings) -> tuple[bool, str]:
    status = booking.status
    # A late cancellation or an absence reported after the deadline (absences.charging): its
    # rule decides, and the note names the rule and the missed cut-off. A child who came after
    # all is charged as present.
    facts = getattr(booking, "absence_facts", None)
    if facts is not None and status != BookingStatus.PRESENT:
        return facts.decide(settings)
    if status in (BookingStatus.BOOKED, BookingStatus.PRESENT):
        return True, ""
    if status == BookingStatus.ABSENT:
        return settings.charge_unexcused_absences, "Absence non justifiée"
    if status == BookingStatus.EXCUSED:
        return settings.charge_excused_absences, "Absence justifiée"
    if status == BookingStatus.CANCELLED and booking.late_cancellation:
        return settings.charge_late_cancellations, "Annulation hors délai"
    return False, ""


@dataclass
class ChargeLine:
    booking: object
    child: object
    activity: object
    date: date
    label: str
    unit_price: Decimal
    reduction: Decimal
    amount: Decimal
    notes: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        return " · ".join(n for n in self.notes if n)


def family_charges(family, bookings, ctx: PricingContext) -> list[ChargeLine]:
    """Priced lines for one family's bookings of the period (already loaded with
    child, activity and opening.unit)."""
    settings = ctx.settings
    choice = choose_bracket(family, ctx)
    outside = is_outside_territory(family, ctx)
    kept = []
    for booking in bookings:
        tariff = ctx.tariff_for(booking.activity_id, booking.opening.unit_id)
        if tariff is None:
            continue
        chargeable, why = is_chargeable(booking, settings)
        if chargeable:
            kept.append((booking, tariff, why))
    # Sibling rank: birth order among the children charged in this run (oldest first).
    children = sorted({b.child for b, _, _ in kept}, key=lambda c: (c.birth_date or date.max, c.pk))
    rank = {child.pk: i + 1 for i, child in enumerate(children)}
    percent = settings.sibling_reduction_percent or ZERO
    lines = []
    for booking, tariff, why in kept:
        price, price_note = base_price(tariff, choice, outside=outside)
        price = round_money(price)
        reduction = ZERO
        notes = [why, price_note]
        if tariff.sibling_reduction and percent and rank[booking.child_id] >= settings.sibling_reduction_from_rank:
            reduction = round_money(price * percent / HUNDRED)
            notes.append(f"Réduction fratrie {percent.normalize():f} %")
        lines.append(
            ChargeLine(
                booking=booking,
                child=booking.child,
                activity=booking.activity,
                date=booking.date,
                label=f"{booking.activity.name} – {booking.opening.unit.name}",
                unit_price=price,
                reduction=reduction,
                amount=price - reduction,
                notes=notes,
            )
        )
    lines.sort(key=lambda line: (rank[line.child.pk], line.activity.name, line.date))
    return lines
