"""One pattern for every form page: form → one service call → message → redirect, or the refusal on the form.

A view builds its form, then hands it here with `save` (a function of the valid form that calls one service
and returns what it saved), the success message and where to go next. A `DomainError` or `ValidationError`
from the service is shown on the form, next to the field it concerns, and the page answers 400.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render

from .exceptions import DomainError
from .versioning import EditConflict


def apply_errors(form, error: Exception) -> None:
    """Show a service's refusal on the form, next to the field it concerns when known."""
    if isinstance(error, EditConflict) and hasattr(form, "show_conflict"):
        form.show_conflict(error)  # someone else saved meanwhile: their values shown, nothing lost
    elif isinstance(error, DomainError):
        form.add_error(error.field if error.field in form.fields else None, error.message)
    elif hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, getattr(error, "messages", [str(error)]))


def status_for(*forms) -> int:
    """400 when a form on the page carries errors, so tests and tools see the refusal."""
    return 400 if any(form is not None and form.errors for form in forms) else 200


def _resolve(value, saved):
    return value(saved) if callable(value) else value


def submit(request, form, save: Callable[[Any], Any], *, refresh=None) -> tuple[bool, Any]:
    """On POST with a valid form, run `save(form)`; a refusal goes onto the form. Returns (saved?, result).

    `refresh`, the object being edited, is re-read first: a ModelForm's validation wrote the new values
    onto it, and the service must see the stored ones to audit old -> new."""
    if request.method != "POST" or not form.is_valid():
        return False, None
    if refresh is not None:
        refresh.refresh_from_db()
    try:
        return True, save(form)
    except (DomainError, ValidationError) as error:
        apply_errors(form, error)
        return False, None


def form_page(request, form, *, save, success, redirect_to, template: str, context: dict | None = None, refresh=None):
    """Render `template` with the form, or on a successful save show `success` and answer `redirect_to`.

    `success` and `redirect_to` may be functions of what `save` returned (a name in the message, the new
    object's page)."""
    saved, result = submit(request, form, save, refresh=refresh)
    if saved:
        if success:
            messages.success(request, _resolve(success, result))
        return _resolve(redirect_to, result)
    return render(request, template, {"form": form, **(context or {})}, status=status_for(form))
