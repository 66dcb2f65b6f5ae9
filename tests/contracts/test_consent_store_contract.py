"""The ConsentStore port: the ledger, the state projection and the suppression list, written together."""

from __future__ import annotations

from datetime import timedelta

from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, apply, replay
from tests.contracts.conftest import NOW, OTHER_PHONE, OTHER_SHOP, PHONE, SHOP


def event(event_id: str, kind: str = "opt_in", minutes: int = 0, **kw) -> ConsentEvent:
    base = dict(event_id=event_id, shop=SHOP, phone=PHONE, kind=kind, source="keyword",
                at=NOW + timedelta(minutes=minutes))  # fmt: skip
    base.update(kw)
    return ConsentEvent(**base)


def record(store, e: ConsentEvent, state: SubscriberState | None = None) -> tuple[str, SubscriberState]:
    """Append `e` on top of the stored state (what the consent use case does); the result and new state."""
    current = state or store.state(e.shop, e.phone) or SubscriberState(shop=e.shop, phone=e.phone)
    new = apply(current, e)
    return store.append(e, new, current.version), new


def test_an_unknown_phone_has_no_state_no_events_and_is_not_suppressed(consent_store):
    assert consent_store.state(SHOP, PHONE) is None
    assert consent_store.events(SHOP, PHONE) == []
    assert consent_store.is_suppressed(SHOP, PHONE) is False


def test_append_stores_the_event_and_the_new_state(consent_store):
    e = event("SM1", shopify_customer_id="7", country="US", message_body="JOIN")
    result, new = record(consent_store, e)
    assert result == "ok"
    assert consent_store.state(SHOP, PHONE) == new
    assert (new.status, new.version, new.last_event_id, new.customer_id) == ("subscribed", 1, "SM1", "7")
    events = consent_store.events(SHOP, PHONE)
    assert len(events) == 1
    assert events[0].model_dump(exclude={"recorded_at"}) == e.model_dump(exclude={"recorded_at"})


def test_recorded_at_defaults_to_the_event_time(consent_store):
    record(consent_store, event("SM1"))
    later = NOW + timedelta(hours=1)
    record(consent_store, event("SM2", kind="opt_out", minutes=5, recorded_at=later))
    events = {e.event_id: e for e in consent_store.events(SHOP, PHONE)}
    assert len(events) == 2
    assert events["SM1"].recorded_at == NOW  # the replay order of an event stored without one
    assert events["SM2"].recorded_at == later


def test_the_same_event_id_is_stored_once(consent_store):
    record(consent_store, event("SM1"))
    again = event("SM1", kind="opt_out")
    state = consent_store.state(SHOP, PHONE)
    assert consent_store.append(again, apply(state, again), state.version) == "duplicate"
    # a duplicate wins over a version conflict: the redelivery is recognised as such
    assert consent_store.append(again, apply(state, again), 99) == "duplicate"
    assert [e.kind for e in consent_store.events(SHOP, PHONE)] == ["opt_in"]
    assert consent_store.state(SHOP, PHONE).status == "subscribed"
    assert consent_store.is_suppressed(SHOP, PHONE) is False


def test_a_stale_version_conflicts_and_writes_nothing(consent_store):
    _, first = record(consent_store, event("SM1"))
    stale = SubscriberState(shop=SHOP, phone=PHONE)  # read before SM1 was appended
    stop = event("SM2", kind="opt_out", minutes=1)
    assert consent_store.append(stop, apply(stale, stop), stale.version) == "conflict"
    assert consent_store.state(SHOP, PHONE) == first
    assert [e.event_id for e in consent_store.events(SHOP, PHONE)] == ["SM1"]
    assert consent_store.is_suppressed(SHOP, PHONE) is False  # the opt-out did not happen
    # the writer re-reads and tries again: now it applies
    result, after = record(consent_store, stop)
    assert result == "ok" and after.version == 2
    assert consent_store.state(SHOP, PHONE) == after


def test_a_first_append_expecting_another_version_conflicts(consent_store, request):
    e = event("SM1")
    assert consent_store.append(e, apply(SubscriberState(shop=SHOP, phone=PHONE), e), 3) == "conflict"
    assert consent_store.state(SHOP, PHONE) is None
    assert consent_store.events(SHOP, PHONE) == []


def test_an_opt_out_suppresses_and_a_later_opt_in_lifts_it(consent_store):
    record(consent_store, event("SM1"))
    record(consent_store, event("SM2", kind="opt_out", minutes=1, classifier="opt_out:STOP"))
    assert consent_store.is_suppressed(SHOP, PHONE) is True
    assert consent_store.state(SHOP, PHONE).status == "unsubscribed"
    record(consent_store, event("SM3", kind="opt_in_requested", minutes=2))
    assert consent_store.is_suppressed(SHOP, PHONE) is True  # a request is not consent
    record(consent_store, event("SM4", kind="opt_in_confirmed", minutes=3))
    assert consent_store.is_suppressed(SHOP, PHONE) is False
    assert consent_store.state(SHOP, PHONE).status == "subscribed"
    events = consent_store.events(SHOP, PHONE)
    assert len(events) == 4
    assert sorted(e.event_id for e in events) == ["SM1", "SM2", "SM3", "SM4"]


def test_states_events_and_suppressions_are_per_shop_and_phone(consent_store):
    record(consent_store, event("SM1", kind="opt_out"))
    assert consent_store.is_suppressed(SHOP, PHONE) is True
    for shop, phone in ((OTHER_SHOP, PHONE), (SHOP, OTHER_PHONE)):
        assert consent_store.state(shop, phone) is None
        assert consent_store.events(shop, phone) == []
        assert consent_store.is_suppressed(shop, phone) is False


def test_the_state_keeps_only_the_consent_projection(consent_store):
    """Addresses are not consent: they come from orders (ShopData.save_order), never from an append."""
    e = event("SM1")
    new = apply(SubscriberState(shop=SHOP, phone=PHONE, addresses=(("US", "TX", "shipping"),)), e)
    assert consent_store.append(e, new, 0) == "ok"
    stored = consent_store.state(SHOP, PHONE)
    assert stored.addresses == ()
    assert stored == new.model_copy(update={"addresses": ()})


def test_the_stored_state_is_the_projection_of_the_ledger(consent_store, request):
    """What append() was given is what state() reads, also a field the new state clears (None)."""
    record(consent_store, event("SM1", kind="opt_in_requested", source="web_form"))
    assert consent_store.state(SHOP, PHONE).pending_request == "SM1"
    _, confirmed = record(
        consent_store, event("SM2", kind="opt_in_confirmed", minutes=1, confirmation_of="SM1")
    )
    assert confirmed.pending_request is None
    stored = consent_store.state(SHOP, PHONE)
    assert stored.pending_request is None
    assert stored == confirmed
    assert stored == replay(SHOP, PHONE, consent_store.events(SHOP, PHONE))
