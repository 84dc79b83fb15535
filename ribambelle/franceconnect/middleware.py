"""CSP for the FranceConnect logout: a parent who came with FranceConnect logs out through the
provider's `/session/end`, and the logout form's redirection there must be allowed by the page's
`form-action` (which is 'self' everywhere else). The provider's origin is kept in the session at
login: no query on any page."""

SESSION_ORIGIN = "franceconnect_origin"


class FranceConnectFormActionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Only a session the request already read (every portal page reads it for its login): never a query.
        loaded = getattr(getattr(request, "session", None), "_session_cache", None)
        origin = loaded.get(SESSION_ORIGIN) if loaded else None
        if origin and response.get("Content-Type", "").startswith("text/html"):
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), origin]
            response._csp_update = update
        return response
