"""Reading ids from query strings and forms: anything that is not a plausible database id is
ignored (never a 500 from "abc" or a 40-digit number)."""

MAX_ID = 2**63 - 1  # the largest primary key PostgreSQL and SQLite accept


def parse_id(value) -> int | None:
    text = str(value or "").strip()
    if not text.isdigit() or not text.isascii():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values) -> list[int]:
    return [number for number in (parse_id(v) for v in values) if number is not None]
