"""The per-container cache of shop configs: what was found is kept for its TTL; what was not found is asked
again, so a shop onboarded a moment ago is seen at once."""

from smsflows.runtime.cache import TtlCache


class Configs:
    def __init__(self) -> None:
        self.stored: dict[str, str] = {}
        self.reads = 0

    def get(self, key: str) -> str | None:
        self.reads += 1
        return self.stored.get(key)

    def shop_for_sender(self, key: str) -> str | None:
        self.reads += 1
        return self.stored.get("sender:" + key)

    def put(self, value: str) -> None:
        self.stored[value] = value


def test_a_found_config_is_kept_and_a_missing_one_is_asked_for_again():
    inner = Configs()
    cache = TtlCache(inner, ttl_s=60)
    assert cache.get("new-shop") is None and cache.get("new-shop") is None
    assert inner.reads == 2  # not found is not cached
    inner.stored["new-shop"] = "config"  # onboarded by another process (`smsflows shop add`)
    assert cache.get("new-shop") == "config" and cache.get("new-shop") == "config"
    assert inner.reads == 3  # found: kept for its TTL
    assert cache.shop_for_sender("+15125550000") is None and cache.shop_for_sender("+15125550000") is None
    assert inner.reads == 5


def test_a_put_forgets_what_was_kept():
    inner = Configs()
    cache = TtlCache(inner, ttl_s=60)
    inner.stored["shop"] = "old"
    assert cache.get("shop") == "old"
    inner.stored["shop"] = "changed elsewhere"
    assert cache.get("shop") == "old"  # within the TTL
    cache.put("other")
    assert cache.get("shop") == "changed elsewhere"
