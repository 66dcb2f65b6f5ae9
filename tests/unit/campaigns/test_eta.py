"""The ETA preview (issue 15 part 5), against answers computed by hand.

Toll-free: 3 MPS x 0.96 headroom = 2.88 segments/s. 10DLC low volume: 3.75 x 0.96 = 3.6 segments/s, and a
T-Mobile cap of 2,000 segments per Pacific day. A group in New York (NY: no state rule) or Illinois has the
house window 09:00-20:00 local (RULES.md A2.1)."""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest

from smsflows.domain.campaigns import campaign as C
from smsflows.domain.campaigns import eta as E
from smsflows.domain.compliance.locations import Location
from smsflows.domain.registration import Throughput
from smsflows.domain.shops import ShopConfig

TOLL_FREE = Throughput()  # 2.88 segments/s, no daily cap
LOW_VOLUME = Throughput(sender_type="10dlc", trust_tier="low_volume")  # 3.6 segments/s, 2,000/day
MONDAY_10_ET = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ONE = [E.VariantLoad("A", 1, 1.0)]
NOW = C.SendAt.now()


def ny(count):
    return E.AudienceGroup.of(count, "America/New_York", state="NY")


def il(count):
    return E.AudienceGroup.of(count, "America/Chicago", state="IL")


def test_rates_are_the_registered_ones_less_headroom():
    assert TOLL_FREE.rate == pytest.approx(2.88)
    assert LOW_VOLUME.rate == pytest.approx(3.6) and LOW_VOLUME.daily_cap == 2000


def test_10800_one_segment_texts_at_3_mps_finish_3750_seconds_after_the_first():
    eta = E.estimate([ny(10_800)], ONE, TOLL_FREE, None, NOW, MONDAY_10_ET)
    assert eta.first_text == MONDAY_10_ET
    assert (
        eta.finish
        == MONDAY_10_ET + timedelta(seconds=10_800 / 2.88)
        == datetime(2026, 11, 23, 16, 2, 30, tzinfo=UTC)
    )
    assert eta.texts == eta.segments == 10_800
    assert eta.cost_usd == 89.64  # 10,800 x $0.0083 (RULES.md E)
    assert eta.deferred == () and eta.cap_reached == ()
    assert eta.lines[0] == "starts 10:00 ET, finishes ≈ 11:02 ET"
    assert "10,800 texts, 10,800 segments (A: 1 segment), ≈ $89.64" in eta.lines[-1]


def test_an_absolute_instant_releases_every_group_then():
    at = C.SendAt.at(MONDAY_10_ET + timedelta(hours=1))
    eta = E.estimate([ny(2880), il(2880)], ONE, TOLL_FREE, None, at, MONDAY_10_ET)
    assert eta.first_text == MONDAY_10_ET + timedelta(hours=1)
    assert eta.finish == MONDAY_10_ET + timedelta(hours=1, seconds=2000)


def test_two_zones_an_hour_apart_each_start_at_10_local():
    local = C.SendAt.local(time(10), date(2026, 11, 23))
    eta = E.estimate([ny(5760), il(5760)], ONE, TOLL_FREE, None, local, MONDAY_10_ET - timedelta(hours=3))
    east, central = eta.groups
    assert east.first_text == MONDAY_10_ET and east.finish == MONDAY_10_ET + timedelta(seconds=2000)
    assert central.release == central.first_text == MONDAY_10_ET + timedelta(hours=1)  # 10:00 CT
    assert central.finish == eta.finish == MONDAY_10_ET + timedelta(hours=1, seconds=2000)  # 10:33:20 CT
    assert eta.lines[0] == "starts 10:00 local per zone (first text 10:00 ET), finishes ≈ 11:33 ET"


def test_a_later_zone_queues_behind_an_earlier_one_still_draining():
    local = C.SendAt.local(time(10), date(2026, 11, 23))
    eta = E.estimate([il(10_800), ny(10_800)], ONE, TOLL_FREE, None, local, MONDAY_10_ET - timedelta(hours=3))
    central, east = eta.groups  # input order is not release order
    assert east.first_text == MONDAY_10_ET and east.finish == MONDAY_10_ET + timedelta(seconds=3750)
    assert central.first_text == east.finish  # released at 10:00 CT, sent once New York has drained
    assert central.finish == MONDAY_10_ET + timedelta(seconds=7500)


def test_a_multi_zone_group_waits_for_its_latest_zone():
    florida = E.AudienceGroup.of(100, "America/New_York", "America/Chicago", state="FL")
    local = C.SendAt.local(time(10), date(2026, 11, 23))
    eta = E.estimate([florida], ONE, TOLL_FREE, None, local, MONDAY_10_ET - timedelta(hours=3))
    assert eta.first_text == MONDAY_10_ET + timedelta(hours=1)  # 10:00 in Chicago, 11:00 in Miami


def test_the_daily_cap_stops_the_run_until_pacific_midnight_then_quiet_hours_until_9():
    eta = E.estimate([ny(3000)], ONE, LOW_VOLUME, None, NOW, MONDAY_10_ET)
    hit = MONDAY_10_ET + timedelta(seconds=2000 / 3.6)  # 15:09:15.556
    assert eta.cap_reached == (datetime(2026, 11, 23, 15, 9, 15, 556000, tzinfo=UTC),)
    assert hit - eta.cap_reached[0] < timedelta(milliseconds=1)
    # Pacific midnight is 03:00 ET; New York opens at 09:00 ET = 14:00 UTC; 1,000 texts take 277.778 s.
    assert eta.finish == datetime(2026, 11, 24, 14, 4, 37, 778000, tzinfo=UTC)
    (deferral,) = eta.deferred
    assert (deferral.reason, deferral.texts, deferral.next_day_texts) == ("daily_cap", pytest.approx(1000),
                                                                         pytest.approx(1000))  # fmt: skip
    assert deferral.share == pytest.approx(1 / 3)
    assert "33.3 % (1,000 texts) meet the brand's daily cap and wait for tomorrow" in eta.lines
    assert any("daily cap (2,000 segments) is reached at 10:09 ET" in line for line in eta.lines)
    assert eta.cost_usd == round(3000 * (0.0083 + 0.0045), 2)  # 10DLC: the highest carrier fee added


def test_what_the_brand_used_today_counts_against_the_cap():
    eta = E.estimate([ny(3000)], ONE, LOW_VOLUME, None, NOW, MONDAY_10_ET, used_today=1500)
    assert eta.cap_reached[0] == datetime(2026, 11, 23, 15, 2, 18, 889000, tzinfo=UTC)  # 500 / 3.6 s
    assert eta.deferred[0].texts == pytest.approx(2500)
    # Tuesday: 2,000 from 09:00 ET (555.556 s), the cap again, Wednesday the last 500 (138.889 s)
    assert eta.cap_reached[1] == datetime(2026, 11, 24, 14, 9, 15, 556000, tzinfo=UTC)
    assert eta.finish == datetime(2026, 11, 25, 14, 2, 18, 889000, tzinfo=UTC)
    assert any("and on 1 later day" in line for line in eta.lines)


def test_a_run_crossing_20_00_waits_for_the_next_morning():
    monday_19_et = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    eta = E.estimate([ny(18_000)], ONE, TOLL_FREE, None, NOW, monday_19_et)
    # 19:00-20:00 ET sends 3,600 x 2.88 = 10,368; the other 7,632 wait for 09:00 ET and take 2,650 s.
    assert eta.finish == datetime(2026, 11, 24, 14, 44, 10, tzinfo=UTC)
    (deferral,) = eta.deferred
    assert deferral.reason == "quiet_hours" and deferral.texts == pytest.approx(7632)
    assert deferral.share == pytest.approx(0.424) and deferral.next_day_texts == pytest.approx(7632)
    assert "42.4 % (7,632 texts) fall outside allowed hours and wait for tomorrow" in eta.lines
    assert eta.groups[0].deferred_until == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    assert eta.lines[0] == "starts 19:00 ET, finishes ≈ Tue 24 Nov 09:44 ET"


def test_texas_saturday_night_waits_for_sunday_noon():
    texas = E.AudienceGroup.of(18_000, "America/Chicago", state="TX")
    saturday_19_ct = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
    eta = E.estimate([texas], ONE, TOLL_FREE, None, NOW, saturday_19_ct)
    assert eta.finish == datetime(2026, 11, 29, 18, 44, 10, tzinfo=UTC)  # Sunday 12:00 CT + 2,650 s


def test_the_shops_narrower_hours_are_applied():
    config = ShopConfig(
        shop="demo-shop.myshopify.com", quiet_hours_override=[{"start": "10:00", "end": "19:00"}] * 7
    )
    from smsflows.domain.compliance.quiet_hours import override_week

    eta = E.estimate(
        [ny(100)], ONE, TOLL_FREE, override_week(config), NOW, MONDAY_10_ET - timedelta(minutes=30)
    )
    assert eta.first_text == MONDAY_10_ET
    assert eta.deferred[0].next_day_texts == 0
    assert (
        "100.0 % (100 texts) fall outside allowed hours and wait for their allowed hours to open" in eta.lines
    )


def test_a_group_released_before_its_hours_waits_the_same_day():
    kentucky = E.AudienceGroup.of(360, "America/New_York", state="KY")  # 10:00-20:00
    local = C.SendAt.local(time(9, 30), date(2026, 11, 23))
    eta = E.estimate([ny(360), kentucky], ONE, TOLL_FREE, None, local, MONDAY_10_ET - timedelta(hours=2))
    east, ky = eta.groups
    assert east.first_text == MONDAY_10_ET - timedelta(minutes=30) and east.deferred_texts == 0
    assert ky.first_text == MONDAY_10_ET and ky.deferred_reason == "quiet_hours" and ky.deferred_texts == 360
    assert eta.deferred[0].share == pytest.approx(0.5) and eta.deferred[0].next_day_texts == 0


def test_an_earlier_group_goes_first_again_when_its_hours_open():
    # Both released at 09:30 ET. Kentucky (10:00-20:00) waits; New York is sent meanwhile (1,800 s x 2.88 =
    # 5,184 of its 5,760) and gives the sender back to Kentucky at 10:00, which takes 100 s; New York's last
    # 576 then take 200 s: 10:05:00, the 6,048 segments' 2,100 s without a gap.
    kentucky = E.AudienceGroup((Location("US", "KY", "America/New_York", "x"),), 288)
    eta = E.estimate([kentucky, ny(5760)], ONE, TOLL_FREE, None, NOW, MONDAY_10_ET - timedelta(minutes=30))
    ky, east = eta.groups
    assert east.first_text == MONDAY_10_ET - timedelta(minutes=30)
    assert ky.first_text == MONDAY_10_ET and ky.finish == MONDAY_10_ET + timedelta(seconds=100)
    assert east.finish == eta.finish == MONDAY_10_ET + timedelta(minutes=5)
    assert ky.deferred_texts == 288 and east.deferred_texts == 0


def test_holdout_and_variants_set_texts_and_segments():
    loads = [E.VariantLoad("A", 1, 0.5), E.VariantLoad("B", 2, 0.5)]
    eta = E.estimate([ny(10_000)], loads, TOLL_FREE, None, NOW, MONDAY_10_ET, holdout=0.1)
    assert eta.held_out == pytest.approx(1000) and eta.texts == pytest.approx(9000)
    assert eta.segments == pytest.approx(13_500)
    assert eta.finish == MONDAY_10_ET + timedelta(seconds=13_500 / 2.88)
    assert "9,000 texts, 13,500 segments (A: 1 segment, B: 2 segments)" in eta.lines[-1]


def test_texts_left_at_not_after_expire():
    eta = E.estimate(
        [ny(10_800)], ONE, TOLL_FREE, None, NOW, MONDAY_10_ET, not_after=MONDAY_10_ET + timedelta(minutes=30)
    )
    assert eta.expired_texts == pytest.approx(10_800 - 1800 * 2.88)
    assert eta.finish == MONDAY_10_ET + timedelta(minutes=30)
    assert any("expire" in line for line in eta.lines)


def test_a_group_whose_places_share_no_hour_is_reported_not_sent():
    nowhere = E.AudienceGroup(
        (Location("US", "NY", "America/New_York", "x"), Location("CN", None, "Asia/Shanghai", "x")), 100
    )
    eta = E.estimate([nowhere, ny(10)], ONE, TOLL_FREE, None, NOW, MONDAY_10_ET)
    assert eta.unsendable == 100 and eta.texts == 10
    assert any("100 recipients have no lawful window" in line for line in eta.lines)


def test_a_local_time_already_past_releases_at_once_and_says_so():
    local = C.SendAt.local(time(10), date(2026, 11, 23))
    eta = E.estimate([ny(10)], ONE, TOLL_FREE, None, local, MONDAY_10_ET + timedelta(hours=1))
    assert eta.groups[0].late and eta.first_text == MONDAY_10_ET + timedelta(hours=1)
    assert any("passed at the start" in line for line in eta.lines)


def test_an_empty_audience_sends_nothing():
    eta = E.estimate([], ONE, TOLL_FREE, None, NOW, MONDAY_10_ET)
    assert eta.first_text is None and eta.finish is None and eta.texts == 0
    assert eta.lines[0] == "nothing is sent: the audience is empty"


def test_a_run_that_cannot_finish_within_the_horizon_says_so():
    sole = Throughput(sender_type="sole_proprietor")  # 1,000 segments a day
    eta = E.estimate([ny(100_000)], ONE, sole, None, NOW, MONDAY_10_ET)
    assert eta.finish is None and eta.unfinished_texts > 0
    assert f"after {E.MAX_DAYS} days" in eta.lines[0]


def test_a_campaign_estimate_uses_its_variants_as_sent():
    config = ShopConfig(shop="demo-shop.myshopify.com", brand_name="Demo Shop")
    campaign, _ = C.create(config, name="Sale", variants={"A": "Sale today", "B": "Sale 🎉 " + "x" * 80},
                           weights={"A": 50, "B": 50}, segment="all", now=MONDAY_10_ET, by="ops")  # fmt: skip
    assert [(v.name, v.segments) for v in E.loads_of(campaign)] == [("A", 1), ("B", 2)]
    eta = E.estimate_campaign(campaign, [ny(2000)], TOLL_FREE, MONDAY_10_ET)
    assert eta.segments == pytest.approx(3000)


def test_the_result_is_json_ready():
    eta = E.estimate([ny(3000)], ONE, LOW_VOLUME, None, NOW, MONDAY_10_ET)
    data = json.loads(json.dumps(eta.to_dict()))
    assert data["finish"] == "2026-11-24T14:04:37.778000+00:00"
    assert {
        "first_text",
        "finish",
        "segments",
        "cost_usd",
        "deferred",
        "cap_reached",
        "groups",
        "lines",
    } <= set(data)


def test_a_million_recipients_are_estimated_by_groups_and_scale_with_the_audience():
    """The estimate works per time-zone group, never per recipient (bench/bench_campaign_eta.py times it): a
    thousand times the audience gives the same shape, a thousand times the segments and the cost."""
    zones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
             "Pacific/Honolulu", "America/Anchorage"]  # fmt: skip
    states = ["NY", "IL", "CO", "CA", "AZ", "HI", "AK", "TX", "FL", "KY", "RI", None]
    loads = [E.VariantLoad("A", 1, 0.5), E.VariantLoad("B", 2, 0.5)]

    def run(per_group: int) -> E.Eta:
        groups = [E.AudienceGroup.of(per_group, z, state=s) for z in zones for s in states]
        return E.estimate(groups, loads, Throughput(sender_type="10dlc", trust_tier="high"), None,
                          C.SendAt.local(time(10), date(2026, 11, 23)), MONDAY_10_ET - timedelta(hours=6))  # fmt: skip

    small, large = run(12), run(12_000)
    assert large.recipients == 1_008_000 and small.recipients == 1_008
    assert large.segments == pytest.approx(1000 * small.segments)
    assert large.cost_usd == pytest.approx(1000 * small.cost_usd, rel=1e-3)  # each rounded to the cent
    assert large.finish is not None and large.cap_reached and large.finish > small.finish  # type: ignore[operator]
