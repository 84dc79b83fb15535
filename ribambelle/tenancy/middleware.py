from contextlib import ExitStack

from django.contrib.auth.models import AnonymousUser
from django.http import FileResponse, Http404
from django_scopes import scope

from .models import Organisation


class OrganisationMiddleware:
    """Resolves the organisation from the URL's `org_slug` and puts it on the request.

    A login belongs to one organisation: on another organisation's pages the same
    browser is simply anonymous, so nothing of one tenant can leak into another.

    It also enters the organisation's scope (django-scopes) for the rest of the request,
    response rendering included, and leaves it once the response is built: every query on
    a tenant model is then filtered by this organisation, and a page without an
    organisation in its URL cannot query tenant rows at all (`ScopeError`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organisation = None
        request.membership = None
        # process_view runs inside get_response, once the URL (hence the organisation) is
        # known: it enters the scope on this stack, which closes when the response is ready.
        with ExitStack() as request._organisation_scope:
            response = self.get_response(request)
        if response.streaming and request.organisation is not None and not isinstance(response, FileResponse):
            response.streaming_content = _in_scope(response.streaming_content, request.organisation)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.pop("org_slug", None)
        if slug is None:
            return None
        if getattr(view_func, "reads_no_login", False):
            # The view answers from a ticket we signed and checks the slug in its one read
            # (the waiting room's poll): no login, no organisation read, no tenant scope.
            request.organisation_slug = slug
            return None
        user = request.user
        if user.is_authenticated and user.organisation.slug == slug and user.organisation.is_active:
            organisation = user.organisation  # loaded with the user: no second query on every page
        else:
            organisation = Organisation.objects.filter(slug=slug, is_active=True).first()
        if organisation is None:
            raise Http404("Organisation inconnue")
        request.organisation = organisation
        request._organisation_scope.enter_context(scope(organisation=organisation))
        if user.is_authenticated and user.organisation_id != organisation.id:
            request.user = AnonymousUser()
        elif user.is_authenticated and not user.is_family:
            from .selectors import membership_for_user

            request.membership = membership_for_user(user)
            if request.membership is not None:
                request.membership.organisation = organisation  # the same row: not loaded a second time
        return None


_END = object()


def _in_scope(chunks, organisation):
    """A streamed body (a long export) is produced by the server after this middleware has
    returned: each chunk is made inside the organisation's scope again, and the scope is left
    between chunks so it never leaks into what the server does next."""
    chunks = iter(chunks)
    while True:
        with scope(organisation=organisation):
            chunk = next(chunks, _END)
        if chunk is _END:
            return
        yield chunk
