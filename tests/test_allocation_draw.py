"""The draw's pure function: properties that must hold for any wishes and any seed."""

import random
import secrets

from hypothesis import given, settings
from hypothesis import strategies as st

from ribambelle.allocation.draw import allocate, canonical, rank_key, seed_commitment, sha256_hex, verify

SLOTS = [f"2027-02-{day:02d} Journée / Tous" for day in range(8, 13)]


@st.composite
def draws(draw):
    capacities = {slot: draw(st.integers(0, 4)) for slot in SLOTS}
    cap = draw(st.one_of(st.none(), st.integers(1, 6)))
    families = []
    for index in range(draw(st.integers(1, 14))):
        fid = f"F{index:03d}"
        children = [f"{fid}.{k}" for k in range(draw(st.integers(1, 3)))]
        slots = draw(st.lists(st.sampled_from(SLOTS), unique=True, max_size=5))
        # Siblings together: the children wishing the same day form one wish.
        wishes = [[[child, slot] for child in children] for slot in slots]
        families.append({"id": fid, "class": draw(st.integers(0, 2)), "wishes": wishes})
    inputs = {
        "classes": ["A", "B", "C"],
        "family_cap": cap,
        "siblings_together": True,
        "capacities": capacities,
        "families": families,
    }
    return inputs, draw(st.text("0123456789abcdef", min_size=64, max_size=64))


def _granted_pairs(inputs, result):
    by_id = {f["id"]: f for f in inputs["families"]}
    for fid, outcome in result["families"].items():
        for preference in outcome["granted"]:
            for child, slot in by_id[fid]["wishes"][preference]:
                yield fid, child, slot


@settings(max_examples=300, deadline=None)
@given(draws())
def test_never_over_capacity_nor_cap_and_siblings_never_split(case):
    inputs, seed = case
    result = allocate(inputs, seed)
    per_slot, per_family = {}, {}
    granted_by_family_slot = {}
    for fid, child, slot in _granted_pairs(inputs, result):
        per_slot[slot] = per_slot.get(slot, 0) + 1
        per_family[fid] = per_family.get(fid, 0) + 1
        granted_by_family_slot.setdefault((fid, slot), set()).add(child)
    for slot, n in per_slot.items():
        assert n <= inputs["capacities"][slot]
        assert result["remaining"][slot] == inputs["capacities"][slot] - n
    if inputs["family_cap"] is not None:
        assert all(n <= inputs["family_cap"] for n in per_family.values())
    by_id = {f["id"]: f for f in inputs["families"]}
    for (fid, slot), children in granted_by_family_slot.items():
        wanted = {c for wish in by_id[fid]["wishes"] for c, s in wish if s == slot}
        assert children == wanted  # all the siblings who asked for the day, or none


@settings(max_examples=300, deadline=None)
@given(draws())
def test_a_higher_class_is_refused_only_a_day_full_of_equal_or_higher_classes(case):
    inputs, seed = case
    result = allocate(inputs, seed)
    by_id = {f["id"]: f for f in inputs["families"]}
    taken_by = {}  # slot -> classes of the children granted it
    for fid, _child, slot in _granted_pairs(inputs, result):
        taken_by.setdefault(slot, []).append(by_id[fid]["class"])
    for fid, outcome in result["families"].items():
        klass = by_id[fid]["class"]
        for preference in outcome["waiting"]:
            slots = {s for _c, s in by_id[fid]["wishes"][preference]}
            need = {s: sum(1 for _c, x in by_id[fid]["wishes"][preference] if x == s) for s in slots}
            # Some day of the wish lacked room for it (all its siblings) once the equal-or-higher
            # classes had been served: lower classes never took it first.
            assert any(
                inputs["capacities"][s] - sum(1 for c in taken_by.get(s, []) if c <= klass) < need[s] for s in slots
            )


@settings(max_examples=100, deadline=None)
@given(draws())
def test_waiting_lists_follow_the_draw_order_and_verify_agrees(case):
    inputs, seed = case
    result = allocate(inputs, seed)
    order = {r["family"]: r["order"] for r in result["ranks"]}
    for entries in result["waiting_lists"].values():
        positions = [order[fid] for fid, _child in entries]
        assert positions == sorted(positions)
    published = {
        "inputs": inputs,
        "seed": seed,
        "seed_commitment": seed_commitment(seed),
        "wishes_hash": sha256_hex(canonical(inputs)),
        "result": result,
        "result_hash": sha256_hex(canonical(result)),
    }
    assert verify(published) == (True, [])
    tampered = dict(published, seed=seed[::-1] if seed[::-1] != seed else "0" * 63 + "1")
    assert verify(tampered)[0] is False


def test_the_rank_is_the_hmac_of_the_public_id_and_the_order_of_entry_does_not_matter():
    families = [{"id": f"F{i}", "class": 0, "wishes": [[[f"F{i}.0", SLOTS[0]]]]} for i in range(30)]
    inputs = {"classes": ["A"], "family_cap": None, "siblings_together": True, "capacities": {SLOTS[0]: 10}}
    seed = "ab" * 32
    first = allocate(dict(inputs, families=families), seed)
    shuffled = families[:]
    random.Random(4).shuffle(shuffled)
    assert canonical(allocate(dict(inputs, families=shuffled), seed)) == canonical(first)
    assert [r["family"] for r in first["ranks"]] == sorted(
        (f["id"] for f in families), key=lambda fid: rank_key(seed, fid)
    )


def test_round_robin_gives_each_family_its_first_wish_before_anyone_a_second():
    families = [{"id": f"F{i}", "class": 0, "wishes": [[[f"F{i}.0", slot]] for slot in SLOTS]} for i in range(4)]
    inputs = {
        "classes": ["A"],
        "family_cap": None,
        "siblings_together": True,
        "capacities": dict.fromkeys(SLOTS, 2),
        "families": families,
    }
    result = allocate(inputs, "cd" * 32)
    # 10 places, 4 families: serial dictatorship would give the first two families every day.
    granted = sorted(len(o["granted"]) for o in result["families"].values())
    assert granted == [2, 2, 3, 3]


def test_fairness_over_2000_seeds_300_equal_families_100_places():
    slot = SLOTS[0]
    families = [{"id": f"P{i:04d}", "class": 0, "wishes": [[[f"P{i:04d}.0", slot]]]} for i in range(300)]
    inputs = {
        "classes": ["Tous"],
        "family_cap": None,
        "siblings_together": True,
        "capacities": {slot: 100},
        "families": families,
    }
    wins = dict.fromkeys((f["id"] for f in families), 0)
    rng = random.Random(2026)
    for _ in range(2000):
        seed = f"{rng.getrandbits(256):064x}"
        for fid, outcome in allocate(inputs, seed)["families"].items():
            wins[fid] += bool(outcome["granted"])
    rates = [n / 2000 for n in wins.values()]
    mean = sum(rates) / len(rates)
    assert abs(mean - 1 / 3) < 1e-9
    assert max(abs(rate - mean) for rate in rates) < 0.05


def test_seed_commitment_is_sha256_of_the_seed():
    seed = secrets.token_hex(32)
    assert seed_commitment(seed) == sha256_hex(seed.encode())
