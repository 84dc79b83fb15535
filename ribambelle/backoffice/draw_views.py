"""Back office: an activity's draw ("vœux puis tirage") — its settings, the wishes gathered,
the seed's commitment, and the button that runs the draw once the window has closed."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.activities import selectors as activity_selectors
from ribambelle.allocation import selectors
from ribambelle.allocation.services import run_draw
from ribambelle.core.exceptions import DomainError
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm


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
