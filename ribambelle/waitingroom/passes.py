"""The signed pass of an admitted family: what the booking and registration views ask
for while the room is active. Its expiry comes from the family's admission time, so every
tab and device of the family gets the same pass, and asking again never extends it."""

from datetime import datetime

from django.core import signing

SALT = "ribambelle.waitingroom.pass"
SESSION_KEY = "waitingroom_passes"


def make_pass(*, room_id: int, family_id: int, expires_at: datetime) -> str:
    return signing.dumps({"r": room_id, "f": family_id, "e": int(expires_at.timestamp())}, salt=SALT, compress=True)


def pass_is_valid(token: str | None, *, room_id: int, family_id: int, now: datetime) -> bool:
    if not token:
        return False
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return False
    return data.get("r") == room_id and data.get("f") == family_id and now.timestamp() < data.get("e", 0)


def store_pass(session, room_id: int, token: str) -> None:
    passes = dict(session.get(SESSION_KEY, {}))
    if passes.get(str(room_id)) != token:
        passes[str(room_id)] = token
        session[SESSION_KEY] = passes


def session_pass(session, room_id: int) -> str | None:
    return session.get(SESSION_KEY, {}).get(str(room_id))


# The position ticket: what the position page polls with. Every waiting family asks for its
# position every few seconds, and a login is two reads (session, user) for an answer that is one
# (bench/opening_day_room.py): the room page, which needs the login, hands the family a signed
# ticket naming its place, and the poll reads that place and nothing else. It reveals a position
# in a queue, no personal data; it is never a pass (admission still goes through the login).
POSITION_SALT = "ribambelle.waitingroom.position"


def make_position_ticket(*, room_id: int, entry_id: int) -> str:
    return signing.dumps([room_id, entry_id], salt=POSITION_SALT)


def read_position_ticket(token: str | None) -> tuple[int, int] | None:
    """(room id, entry id), or None for a ticket we did not sign."""
    try:
        room_id, entry_id = signing.loads(token or "", salt=POSITION_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return (room_id, entry_id) if isinstance(room_id, int) and isinstance(entry_id, int) else None
