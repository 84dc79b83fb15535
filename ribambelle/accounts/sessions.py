"""Sessions in the database, as Django keeps them, read by a query compiled once per process
(core.compiled): the session is read on every request of a logged-in user."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from ribambelle.core.compiled import CompiledQuery

_SESSION = CompiledQuery(lambda key: Session.objects.filter(session_key=key)[:1], "key")


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session = _SESSION.first(key=self.session_key)
        if session is None or session.expire_date <= timezone.now():  # an expired session is no session
            self._session_key = None
            return None
        return session
