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
