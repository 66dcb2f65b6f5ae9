"""How many recipients have no lawful sending window at all: before and after issue 11 part 3.

Cases: every NANP area code the pinned phonenumbers knows (one valid number each: US, Canada, territories,
Caribbean, toll-free, 5xx, 900, Canada's 600/622/633), nine foreign numbers (mobiles, +800), each with no
address, one address (every US state and DC, US territories written either way, a US address without a state,
every Canadian province, Canada without one, France, the UK, Australia) or one of a few address pairs, for a
shop whose default country is the US and one in Canada. Not weighted by population: a grid.

A case has no window when no quarter-hour of a winter week (from Mon 2026-01-12) or of a summer week (from
Mon 2026-07-13) is allowed by `quiet_hours.is_allowed` for every candidate. BEFORE: the candidate logic of
commit BASELINE (locations.py and area_codes.py read with `git show`, today's quiet_hours), which has no
shop country. AFTER: today's `candidate_locations`. For each case still without a window, "law" says
whether the law alone (federal 08:00-21:00 and the state rules for US candidates; nothing elsewhere, as
RULES.md lists no other quiet-hours law) would leave a window, i.e. whether it is our house default
(09:00-20:00 everywhere, the strictest state for an unknown one) that closes it.

Figures, never pass/fail. Run: .venv/bin/python bench/bench_quiet_hours_windows.py
"""

from __future__ import annotations

import subprocess
import sys
import time
import types
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers.tzdata import TIMEZONE_DATA

from smsflows.domain.compliance import locations as new
from smsflows.domain.compliance import quiet_hours
from smsflows.domain.compliance.locations import Address

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "22fe84e99112c20435d4859bc520210720f6e428"  # the last commit with the old candidate logic
WEEKS = (datetime(2026, 1, 12, tzinfo=UTC), datetime(2026, 7, 13, tzinfo=UTC))
QUARTERS = [week + timedelta(minutes=15 * q) for week in WEEKS for q in range(7 * 96)]
WINTER = (1 << (7 * 96)) - 1  # the winter week's bits; the summer week's are above them
FOREIGN = {
    "+447911123456": "UK mobile", "+33612345678": "FR mobile", "+4915123456789": "DE mobile",
    "+61412345678": "AU mobile", "+5215512345678": "MX mobile", "+819012345678": "JP mobile",
    "+919812345678": "IN mobile", "+5511987654321": "BR mobile", "+80012345678": "intl freephone",
}  # fmt: skip


def load_baseline() -> types.ModuleType | None:
    """The old locations module, its area-code table injected, under a private name."""

    def show(path: str) -> str:
        return subprocess.run(["git", "show", f"{BASELINE}:{path}"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout  # fmt: skip

    base = "layers/core/python/smsflows/domain/compliance/"
    try:
        area_codes, locations = show(base + "area_codes.py"), show(base + "locations.py")
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"no baseline ({error}): AFTER only")
        return None
    table: dict[str, object] = {}
    exec(area_codes, table)  # noqa: S102 - our own file at a pinned commit
    module = types.ModuleType("bench_baseline_locations")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    locations = locations.replace(
        "from smsflows.domain.compliance.area_codes import US_AREA_CODES", "US_AREA_CODES = _US_AREA_CODES"
    )
    module.__dict__["_US_AREA_CODES"] = table["US_AREA_CODES"]
    exec(compile(locations, "baseline/locations.py", "exec"), module.__dict__)  # noqa: S102
    return module


def nanp_numbers() -> dict[str, str]:
    """area code -> a valid number in it (as tests/unit/compliance/nanp_walk.py finds them)."""
    known = {k[1:4] for k in TIMEZONE_DATA if k.startswith("1") and len(k) >= 4}
    for code in range(200, 1000):
        sample = (phonenumbers.parse(f"+1{code}{exchange}0123") for exchange in range(200, 1000, 100))
        if any(phonenumbers.is_valid_number(number) for number in sample):
            known.add(str(code))
    found = {}
    for npa in sorted(known):
        for exchange in range(200, 1000):
            if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{npa}{exchange}0123")):
                found[npa] = f"+1{npa}{exchange}0123"
                break
    return found


def kind(number: str) -> str:
    if number in FOREIGN:
        return "foreign"
    parsed = phonenumbers.parse(number)
    region = phonenumbers.region_code_for_number(parsed)
    if region in ("US", "CA"):
        return f"{region} geographic" if phonenumbers.is_number_geographical(parsed) else "NANP no place"
    return "US territory" if region in new.US_TERRITORIES else "NANP other member"


def foreign_address(loc: new.Location) -> bool:
    return loc.source.endswith("_address") and loc.country not in new.COUNTRY_TIME_ZONES


def label_of(number: str, number_kind: str) -> str:
    """US/CA geographic numbers and numbers with no place as a group, others by their region."""
    if number_kind in ("US geographic", "CA geographic", "NANP no place"):
        return number_kind
    return f"{number_kind} {phonenumbers.region_code_for_number(phonenumbers.parse(number))}"


def address_options() -> list[tuple[str, tuple[Address | None, Address | None]]]:
    singles = [("none", None)]
    singles += [(f"US-{s}", Address("US", s)) for s in new.STATE_TIME_ZONES]
    singles += [
        ("US-PR", Address("US", "PR")),
        ("US-GU", Address("US", "GU")),
        ("US (no state)", Address("US")),
    ]
    singles += [(f"CA-{p}", Address("CA", p)) for p in new.PROVINCE_TIME_ZONES]
    singles += [("CA (no province)", Address("CA"))]
    singles += [(c, Address(c)) for c in ("PR", "GU", "FR", "GB", "AU")]
    options = [(name, (a, None)) for name, a in singles]
    pairs = [(("US", "NY"), ("CA", "BC")), (("US", "HI"), ("US", "RI")), (("US", "TX"), ("FR", None)),
             (("CA", "NL"), ("US", "CA"))]  # fmt: skip
    options += [(f"{a[0]}-{a[1]}+{b[0]}-{b[1]}", (Address(*a), Address(*b))) for a, b in pairs]
    return options


class Masks:
    """One bit per quarter-hour of the two weeks, per distinct location: allowed by the project's rules
    (`is_allowed`), and by the law alone."""

    def __init__(self) -> None:
        self.allowed: dict[tuple[object, ...], int] = {}
        self.law: dict[tuple[object, ...], int] = {}

    def of(self, loc: new.Location) -> tuple[int, int]:
        key = (loc.country, loc.state, loc.time_zone)
        if key not in self.allowed:
            allowed = (i for i, q in enumerate(QUARTERS) if quiet_hours.is_allowed(q, (loc,)))
            self.allowed[key] = sum(1 << i for i in allowed)
            self.law[key] = self._law(loc)
        return self.allowed[key], self.law[key]

    @staticmethod
    def _law(loc: new.Location) -> int:
        if loc.country != "US":
            return (1 << len(QUARTERS)) - 1  # no quiet-hours law in RULES.md outside the US
        week = quiet_hours.FEDERAL
        rules = [quiet_hours.STATE_RULES[loc.state]] if loc.state in quiet_hours.STATE_RULES else []
        for rule in rules if loc.state is not None else quiet_hours.STATE_RULES.values():
            week = quiet_hours.intersect(week, rule)
        zone, bits = ZoneInfo(loc.time_zone), 0
        for i, q in enumerate(QUARTERS):
            local = q.astimezone(zone)
            window = week[local.weekday()]
            if window is not None and window.start <= local.time().replace(tzinfo=None) < window.end:
                bits |= 1 << i
        return bits


def windows(candidates: tuple[new.Location, ...], masks: Masks) -> tuple[bool, bool]:
    """(a window in both weeks under our rules, a window in both weeks under the law alone)"""
    allowed = law = (1 << len(QUARTERS)) - 1
    for loc in candidates:
        a, b = masks.of(loc)
        allowed, law = allowed & a, law & b
    return bool(allowed & WINTER and allowed >> (7 * 96)), bool(law & WINTER and law >> (7 * 96))


def main() -> None:
    started = time.perf_counter()
    baseline = load_baseline()
    numbers = {**{n: kind(n) for n in nanp_numbers().values()}, **{n: "foreign" for n in FOREIGN}}
    options = address_options()
    masks = Masks()
    total: Counter[str] = Counter()
    closed: dict[str, Counter[str]] = {"before": Counter(), "after": Counter()}
    remaining: Counter[tuple[str, str, str]] = Counter()
    by_foreign_address = 0  # cases closed only by a foreign address's zones, which the baseline ignored
    for number, number_kind in sorted(numbers.items()):
        for address_name, (default, shipping) in options:
            for shop in ("US", "CA"):
                total[number_kind] += 1
                after = new.candidate_locations(number, default, shipping, shop_country=shop)
                ok, law_ok = windows(after, masks)
                if not ok:
                    closed["after"][number_kind] += 1
                    if windows(tuple(x for x in after if not foreign_address(x)), masks)[0]:
                        by_foreign_address += 1
                    label = FOREIGN.get(number) or label_of(number, number_kind)
                    remaining[(label, address_name, "the house default" if law_ok else "the law")] += 1
                if baseline is not None:
                    before = baseline.candidate_locations(number, default, shipping)
                    if not windows(before, masks)[0]:
                        closed["before"][number_kind] += 1
    cases = sum(total.values())
    print(f"{cases} cases: {len(numbers)} numbers x {len(options)} address options x 2 shop countries;"
          f" {len(masks.allowed)} distinct locations; {time.perf_counter() - started:.1f} s")  # fmt: skip
    print(
        "\nshare of cases with no window (no allowed quarter-hour in a winter or a summer week), by number kind:"
    )
    print(f"  {'number kind':<20} {'cases':>7} {'before':>16} {'after':>16}")
    for number_kind in [*sorted(total), "all"]:
        n = cases if number_kind == "all" else total[number_kind]
        row = [sum(c.values()) if number_kind == "all" else c[number_kind] for c in closed.values()]
        cells = [f"{x:>6} ({x / n:6.2%})" if baseline is not None or i else "n/a" for i, x in enumerate(row)]
        print(f"  {number_kind:<20} {n:>7} {cells[0]:>16} {cells[1]:>16}")
    by_reason = Counter(reason for (_, _, reason) in remaining.elements())
    print(f"\nafter, no window: {sum(by_reason.values())} cases; closed by the law alone: {by_reason['the law']},"
          f" by our house default (09:00-20:00, strictest state when unknown): {by_reason['the house default']}")  # fmt: skip
    print(f"  {by_foreign_address} of them only because a foreign address (FR, GB, AU) is now a candidate;"
          " the baseline ignored addresses outside the US and Canada")  # fmt: skip
    print("  number, closed by -> cases: the addresses of those cases")
    addresses: dict[tuple[str, str], set[str]] = {}
    groups: Counter[tuple[str, str]] = Counter()
    for (label, address_name, reason), count in remaining.items():
        groups[(label, reason)] += count
        addresses.setdefault((label, reason), set()).add(address_name)
    for key, count in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])):
        shown = sorted(addresses[key])
        more = f" (+{len(shown) - 10} more)" if len(shown) > 10 else ""
        print(f"  {key[0]:<24} {key[1]:<17} {count:>5}: {', '.join(shown[:10])}{more}")


if __name__ == "__main__":
    main()
