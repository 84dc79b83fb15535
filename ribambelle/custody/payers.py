"""Who pays a day: the family's custody arrangement read for each charge (pure computation on
rows loaded once per batch of families, so an invoice run's query count does not grow)."""

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from ribambelle.core.formats import round_money

from .models import CustodyArrangement, CustodyMode, Household

HUNDRED = Decimal("100")


@dataclass
class Custody:
    """A family's households (by position) and arrangements (latest first)."""

    households: list[Household] = field(default_factory=list)
    arrangements: list[CustodyArrangement] = field(default_factory=list)

    @property
    def is_split(self) -> bool:
        return bool(self.households)

    @property
    def first(self) -> Household:
        return self.households[0]

    def other(self, household: Household) -> Household:
        others = [h for h in self.households if h.pk != household.pk]
        return others[0] if others else household

    def arrangement_on(self, day: date) -> CustodyArrangement | None:
        for arrangement in self.arrangements:  # latest first
            if arrangement.valid_from <= day:
                return arrangement
        return None

    def shares(self, day: date | None) -> list[tuple[Household, Decimal]]:
        """Each payer of `day` with its percentage (100 for a whole day). Days before any
        arrangement, and lines without a day, go to the first household."""
        arrangement = self.arrangement_on(day) if day is not None else None
        if arrangement is None or len(self.households) < 2:
            return [(self.first, HUNDRED)]
        second = self.households[1]
        if arrangement.mode == CustodyMode.ALTERNATE_WEEKS:
            even = arrangement.even_weeks or self.first
            payer = even if arrangement.is_even_week(day) else self.other(even)
            return [(payer, HUNDRED)]
        if arrangement.mode == CustodyMode.WEEKDAYS:
            return [(self.first if day.weekday() in arrangement.first_weekdays else second, HUNDRED)]
        first_percent = arrangement.first_percent if arrangement.first_percent is not None else HUNDRED
        return [(h, p) for h, p in ((self.first, first_percent), (second, HUNDRED - first_percent)) if p > 0]


def load_custody(organisation, family_ids) -> dict[int, Custody]:
    """Each family's custody in two queries; families without households are absent."""
    found: dict[int, Custody] = {}
    for household in Household.objects.filter(organisation=organisation, family_id__in=list(family_ids)):
        found.setdefault(household.family_id, Custody()).households.append(household)
    if found:
        for arrangement in CustodyArrangement.objects.filter(organisation=organisation, family_id__in=list(found)):
            found[arrangement.family_id].arrangements.append(arrangement)
    for custody in found.values():
        custody.households.sort(key=lambda h: h.position)
        custody.arrangements.sort(key=lambda a: (a.valid_from, a.pk), reverse=True)
    return found


def payer_for(child, day: date) -> list[tuple[Household, Decimal]]:
    """The payer(s) of `child`'s `day` with their percentages; empty when the family has no households."""
    custody = load_custody(child.organisation_id, [child.family_id]).get(child.family_id)
    return custody.shares(day) if custody else []


def _share_of(line, percent: Decimal):
    """A part of a charge line (the amount, unit price and reduction scaled alike)."""
    unit_price = round_money(line.unit_price * percent / HUNDRED)
    amount = round_money(line.amount * percent / HUNDRED)
    return unit_price, amount


def split_charges(lines, custody: Custody) -> dict[int, list]:
    """The family's priced lines by payer household id (in household order). A day's line goes
    to that day's payer; a percentage split cuts each line in parts whose sum is the line's
    amount to the cent, the rounding remainder on the first payer."""
    by_household: dict[int, list] = {h.pk: [] for h in custody.households}
    for line in lines:
        shares = custody.shares(line.date)
        if len(shares) == 1:
            by_household[shares[0][0].pk].append(line)
            continue
        (first, first_percent), rest = shares[0], shares[1:]
        given_price, given_amount = Decimal("0.00"), Decimal("0.00")
        parts = []
        for household, percent in rest:
            unit_price, amount = _share_of(line, percent)
            given_price += unit_price
            given_amount += amount
            parts.append((household, percent, unit_price, amount))
        parts.insert(0, (first, first_percent, line.unit_price - given_price, line.amount - given_amount))
        for household, percent, unit_price, amount in parts:
            note = f"Part {percent.normalize():f} %"
            by_household[household.pk].append(
                replace(
                    line, unit_price=unit_price, reduction=unit_price - amount, amount=amount, notes=[*line.notes, note]
                )
            )
    return {pk: found for pk, found in by_household.items() if found}
