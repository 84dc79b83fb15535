"""Back office: how an activity's places are given out ("Attribution des places": first come,
fair waiting room, or wishes then a draw), and the draw itself — the wishes gathered, the
seed's commitment, and the button that runs the draw once the window has closed."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.activities import selectors as activity_selectors
from ribambelle.allocation import selectors
from ribambelle.allocation.models import AllocationMode
from ribambelle.allocation.services import configure_allocation, run_draw
from ribambelle.backoffice.allocation_forms import AllocationForm, PriorityClassFormSet
from ribambelle.core.exceptions import DomainError
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm
from ribambelle.waitingroom import selectors as room_selectors


@staff_required(Perm.MANAGE_ACTIVITIES)
def activity_draw(request, activity_id: int):
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    status = 200
    if request.method == "POST":
        try:
            draw = run_draw(activity=activity, acting_user=request.user)
        except DomainError as error:
            messages.error(request, str(error))
            status = 400
        else:
            messages.success(
                request,
                _("Tirage effectué : %(n)s familles classées ; chaque famille reçoit sa décision par e-mail.")
                % {"n": len(draw.result["ranks"])},
            )
            return redirect(request.path)
    allocation = selectors.allocation_settings(activity)
    draw = selectors.draw_for_activity(activity)
    return render(
        request,
        "backoffice/draw.html",
        {
            "activity": activity,
            "allocation": allocation,
            "classes": allocation.classes.all() if allocation else [],
            "counts": selectors.wish_counts(activity),
            "draw": draw,
            "ranks": selectors.public_ranks(draw) if draw else [],
            "closed": bool(allocation and allocation.wishes_close_at and allocation.wishes_close_at <= timezone.now()),
        },
        status=status,
    )


def _allocation_initial(allocation, room) -> tuple[dict, list[dict]]:
    initial = {"mode": allocation.mode if allocation else AllocationMode.FIRST_COME}
    if allocation:
        initial |= {
            "wishes_open_at": allocation.wishes_open_at,
            "wishes_close_at": allocation.wishes_close_at,
            "family_cap": allocation.family_cap,
            "siblings_together": allocation.siblings_together,
        }
    if room:
        initial |= {name: getattr(room, name) for name in AllocationForm.ROOM_FIELDS}
        initial["mode"] = AllocationMode.FAIR_QUEUE
    classes = [
        {
            "label": c.label,
            "requires_resident": c.requires_resident,
            "requires_working_parents": c.requires_working_parents,
        }
        for c in (allocation.classes.all() if allocation else [])
    ]
    return initial, classes


@staff_required(Perm.MANAGE_ACTIVITIES)
def activity_allocation(request, activity_id: int):
    """How the activity's places are given out: first come, behind a fair waiting room, or
    wishes then a draw. The service refuses what would break a promise made to families
    (a draw already run, wishes already made, families already waiting)."""
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    allocation = selectors.allocation_settings(activity)
    room = room_selectors.room_for_activity(activity)
    initial, class_rows = _allocation_initial(allocation, room)
    form = AllocationForm(request.POST or None, initial=initial)
    classes = PriorityClassFormSet(
        request.POST or None, initial=class_rows + [{}] * (5 - len(class_rows)), prefix="classe"
    )
    if request.method == "POST" and form.is_valid() and classes.is_valid():
        data = form.cleaned_data
        try:
            configure_allocation(
                activity=activity,
                mode=data["mode"],
                wishes_open_at=data["wishes_open_at"],
                wishes_close_at=data["wishes_close_at"],
                family_cap=data["family_cap"],
                siblings_together=data["siblings_together"],
                classes=[row for row in classes.cleaned_data if row.get("label")],
                room=form.room(),
                acting_user=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Attribution des places enregistrée."))
            return redirect(request.path)
    return render(
        request,
        "backoffice/allocation.html",
        {"activity": activity, "form": form, "classes": classes, "allocation": allocation, "room": room},
        status=400 if request.method == "POST" else 200,
    )
