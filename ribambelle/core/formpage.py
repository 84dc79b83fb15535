"""One pattern for every form page: form → one service call → message → redirect, or the refusal on the form.

A view builds its form, then hands it here with `save` (a function of the valid form that calls one service
and returns what it saved), the success message and where to go next. A `DomainError` or `ValidationError`
from the service is shown on the form, next to the field it concerns, and the page answers 400.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

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


@dataclass(frozen=True)
class EditPage:
    """A create-or-edit page, declared once; `views()` makes its two views (one call per pair).

    - `form(request, instance, **parent)`: the form, bound to `request.POST` (None on the create page);
    - `save(request, form, instance, **parent)`: one service call, returns what it saved;
    - `success`: the message (`%(name)s` is what was saved), or a function of what was saved;
    - `back`: (URL name, label) of the list the page belongs to: the breadcrumb, "Annuler", and where a save
      goes unless `redirect_to` says otherwise (`f(request, saved, **parent)` returning a response);
    - `template`: extends `backoffice/form_page.html`; `backoffice/edit_page.html` (the default) shows the
      object, or `new_title` on the create page, as title and heading;
    - `context(request, instance, **parent)`: more for the template; `nav`: the menu entry.

    `parent` is what the object belongs to (a group's activity): `views(parent=…)` reads it from the create
    page's URL (or refuses the page), `parent_of` from the edited object. The template sees `instance`, also
    under `name`, the parent, `new_title`, `back_url` and `back_label`."""

    form: Callable[..., Any]
    save: Callable[..., Any]
    success: Any
    back: tuple[str, Any]
    new_title: Any = ""
    nav: str = ""
    redirect_to: Callable[..., Any] | None = None
    template: str = "backoffice/edit_page.html"
    name: str = "instance"
    context: Callable[..., dict] | None = None

    def render(self, request, instance=None, **parent):
        back_url = reverse(self.back[0], kwargs={"org_slug": request.organisation.slug})
        extra = self.context(request, instance, **parent) if self.context else {}
        return form_page(
            request,
            self.form(request, instance, **parent),
            save=lambda form: self.save(request, form, instance, **parent),
            success=self.success if callable(self.success) else functools.partial(_say, self.success),
            redirect_to=functools.partial(self.redirect_to, request, **parent)
            if self.redirect_to
            else redirect(back_url),
            template=self.template,
            refresh=instance,
            context={
                "instance": instance,
                self.name: instance,
                "new_title": self.new_title,
                "back_url": back_url,
                "back_label": self.back[1],
                "nav": self.nav,
                **parent,
                **extra,
            },
        )

    def views(self, guard, *, for_staff=None, get=None, parent=None, parent_of=None):
        """(create, edit): `guard` decorates both (the role's check, e.g. `staff_required(perm)`). The edited
        object comes from its `<model>_id` in the URL, 404 out of reach: `for_staff(membership, id)` (a
        `get_<model>_for_staff` selector) or `get(request, **url_kwargs)`. `parent(request, **url_kwargs)` and
        `parent_of(instance)` give the parent as a dict of template names."""

        def read(request, kwargs):
            return for_staff(request.membership, *kwargs.values()) if for_staff else get(request, **kwargs)

        @guard
        def create(request, **kwargs):
            return self.render(request, None, **(parent(request, **kwargs) if parent else {}))

        @guard
        def edit(request, **kwargs):
            instance = read(request, kwargs)
            return self.render(request, instance, **(parent_of(instance) if parent_of else {}))

        create.edit_page = edit.edit_page = self  # tests/test_page_pattern.py recognises the helper's views
        return create, edit


def _say(message, saved) -> str:
    return str(message) % {"name": saved} if "%(name)s" in str(message) else str(message)
