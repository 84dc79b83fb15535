"""The draw ("vœux puis tirage"), as a pure function: published inputs → allocation.

Nothing here reads the database or the clock: `manage.py verify_draw`, the tests and the run
all call `allocate()` on the same published JSON, so anyone can recompute a draw from the
public page alone (CRPA L311-3-1; RFC 3797's idea of a draw that anyone can replay).

Inputs (the "sealed" document, canonical JSON, hashed with SHA-256 and published at close):
    {"classes": ["Résidents, parents qui travaillent", "Résidents", "Autres"],
     "family_cap": 6 or null,            # places (child-days) a family may get at most
     "siblings_together": true,
     "capacities": {"<slot>": places, ...},
     "families": [{"id": "<public id>", "class": 0,
                   "wishes": [[["<child ref>", "<slot>"], ...], ...]}, ...]}
Each wish is a list of (child, slot) pairs granted together or not at all ("siblings
together": the children wishing the same day at the same preference form one wish).

The seed is fixed by commit-reveal: SHA-256(seed) is published when the window opens, the
seed when the draw runs. Rank inside a class = HMAC-SHA256(seed, family public id), smallest
first. Classes are served strictly in order (a higher class is refused a day only when the
day is full of equal-or-higher classes); inside a class, round by round in rank order, each
family gets its next wish that still fits (capacity and cap). A wish that does not fit when
its turn comes never will (places only go), so it joins the waiting lists of its days, in the
order of the draw (class, then rank, then preference).
"""

from __future__ import annotations

import hashlib
import hmac
import json

FORMAT = "ribambelle-draw-1"


def canonical(document) -> bytes:
    """The exact bytes that are hashed and published: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seed_commitment(seed: str) -> str:
    """Published when the wish window opens; the seed itself only at the draw."""
    return sha256_hex(seed.encode("ascii"))


def rank_key(seed: str, public_id: str) -> str:
    return hmac.new(seed.encode("ascii"), public_id.encode("utf-8"), hashlib.sha256).hexdigest()


def allocate(inputs: dict, seed: str) -> dict:
    """Run the draw. Returns a JSON-ready document; `canonical(result)` is byte-stable."""
    capacities = {slot: int(n) for slot, n in inputs["capacities"].items()}
    cap = inputs.get("family_cap")
    families = sorted(inputs["families"], key=lambda f: (int(f["class"]), rank_key(seed, f["id"]), f["id"]))
    ranks = []
    position_in_class: dict[int, int] = {}
    for order, family in enumerate(families, start=1):
        klass = int(family["class"])
        position_in_class[klass] = position_in_class.get(klass, 0) + 1
        ranks.append(
            {
                "family": family["id"],
                "class": klass,
                "rank_in_class": position_in_class[klass],
                "order": order,
                "hmac": rank_key(seed, family["id"]),
            }
        )
    granted: dict[str, list] = {f["id"]: [] for f in families}
    unmet: dict[str, list] = {f["id"]: [] for f in families}
    over_cap: dict[str, list] = {f["id"]: [] for f in families}
    used: dict[str, int] = {f["id"]: 0 for f in families}
    classes = sorted({int(f["class"]) for f in families})
    for klass in classes:
        pending = [[f["id"], list(enumerate(f["wishes"]))] for f in families if int(f["class"]) == klass]
        while pending:
            still = []
            for fid, wishes in pending:
                while wishes:
                    preference, wish = wishes.pop(0)
                    need: dict[str, int] = {}
                    for _child, slot in wish:
                        need[slot] = need.get(slot, 0) + 1
                    if cap is not None and used[fid] + len(wish) > cap:
                        over_cap[fid].append(preference)
                        continue
                    if all(capacities.get(slot, 0) >= n for slot, n in need.items()):
                        for slot, n in need.items():
                            capacities[slot] -= n
                        used[fid] += len(wish)
                        granted[fid].append(preference)
                        break
                    unmet[fid].append(preference)
                if wishes:
                    still.append([fid, wishes])
            pending = still
    waiting: dict[str, list] = {}
    by_id = {f["id"]: f for f in families}
    for family in families:  # draw order: class, then rank
        fid = family["id"]
        for preference in unmet[fid]:
            for child, slot in by_id[fid]["wishes"][preference]:
                waiting.setdefault(slot, []).append([fid, child])
    return {
        "format": FORMAT,
        "ranks": ranks,
        "families": {
            fid: {"granted": sorted(granted[fid]), "waiting": sorted(unmet[fid]), "over_cap": sorted(over_cap[fid])}
            for fid in granted
        },
        "waiting_lists": waiting,
        "remaining": capacities,
    }


def verify(published: dict) -> tuple[bool, list[str]]:
    """Recompute a published draw (the public page's JSON) and say what disagrees."""
    problems = []
    inputs, seed, result = published["inputs"], published["seed"], published["result"]
    if seed_commitment(seed) != published["seed_commitment"]:
        problems.append("la graine révélée ne correspond pas à l'engagement publié à l'ouverture")
    if sha256_hex(canonical(inputs)) != published["wishes_hash"]:
        problems.append("l'empreinte des vœux scellés ne correspond pas aux vœux publiés")
    recomputed = allocate(inputs, seed)
    if canonical(recomputed) != canonical(result):
        problems.append("l'attribution recalculée diffère de l'attribution publiée")
    if sha256_hex(canonical(recomputed)) != published.get("result_hash"):
        problems.append("l'empreinte de l'attribution ne correspond pas")
    return (not problems, problems)
