"""Every fake has every method of its port and of the adapter it stands in for, with the same parameters:
a method added to a port or an adapter cannot be forgotten in its fake (the behaviour is each suite's)."""

from __future__ import annotations

import inspect

import pytest

from smsflows import ports
from smsflows.adapters.campaigns import DynamoCampaigns
from smsflows.adapters.consent_echoes import DynamoConsentEchoes
from smsflows.adapters.consent_store import DynamoConsentStore
from smsflows.adapters.conversations import DynamoConversations
from smsflows.adapters.flow_starter import StepFunctionsFlowStarter
from smsflows.adapters.message_log import DynamoMessageLog
from smsflows.adapters.optin_limits import DynamoOptInLimits
from smsflows.adapters.pacing_store import DynamoTokenBuckets
from smsflows.adapters.queues import SqsQueue
from smsflows.adapters.segment_members import DynamoSegmentMembers
from smsflows.adapters.segment_store import DynamoSegments
from smsflows.adapters.shop_configs import DynamoShopConfigs
from smsflows.adapters.shop_data import DynamoShopData
from smsflows.adapters.subscriber_summaries import DynamoSubscriberSummaries
from smsflows.adapters.twilio_provider import TwilioProvider
from smsflows.adapters.webhook_inbox import DynamoWebhookInbox
from smsflows.domain.flows.steps import FlowReads
from smsflows.domain.sending.pacing import TokenBuckets
from tests import fakes

PAIRS = [
    (fakes.FakeInbox, ports.WebhookInbox, DynamoWebhookInbox),
    (fakes.FakeQueue, ports.Queue, SqsQueue),
    (fakes.FakeShopData, ports.ShopDataRepository, DynamoShopData),
    (fakes.FakeShopData, FlowReads, DynamoShopData),
    (fakes.FakeFlows, ports.FlowStarter, StepFunctionsFlowStarter),
    (fakes.FakeMessageLog, ports.MessageLog, DynamoMessageLog),
    (fakes.FakeProvider, ports.SmsProvider, TwilioProvider),
    (fakes.FakeConsentStore, ports.ConsentStore, DynamoConsentStore),
    (fakes.FakeShopConfigs, ports.ShopConfigs, DynamoShopConfigs),
    (fakes.FakeConversations, ports.Conversations, DynamoConversations),
    (fakes.FakeTokenBuckets, TokenBuckets, DynamoTokenBuckets),
    (fakes.FakeOptInLimits, ports.OptInLimits, DynamoOptInLimits),
    (fakes.FakeCampaigns, ports.Campaigns, DynamoCampaigns),
    (fakes.FakeSegmentMembers, ports.SegmentMembers, DynamoSegmentMembers),
    (fakes.FakeSegments, ports.Segments, DynamoSegments),
    (fakes.FakeSubscriberSummaries, ports.SubscriberSummaries, DynamoSubscriberSummaries),
    (fakes.FakeConsentEchoes, ports.ConsentEchoes, DynamoConsentEchoes),
]


def public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        # `make mutate` adds its own variants of each method (x_…/xǁClassǁ…__mutmut_N): not the port's
        if callable(member)
        and not name.startswith("_")
        and "__mutmut" not in name
        and not name.startswith("xǁ")
    }


def parameters(signature: inspect.Signature) -> list[tuple[str, inspect._ParameterKind]]:
    return [(p.name, p.kind) for p in signature.parameters.values()]


@pytest.mark.parametrize(
    ("fake", "port", "adapter"), PAIRS, ids=[f"{p[0].__name__}-{p[1].__name__}" for p in PAIRS]
)
def test_the_fake_has_every_method_of_the_port_and_the_adapter(fake, port, adapter):
    wanted = {**public_methods(adapter), **public_methods(port)}
    assert len(wanted) >= 1
    has = public_methods(fake)
    assert sorted(set(wanted) - set(has)) == []
    different = {
        name: (parameters(has[name]), parameters(signature))
        for name, signature in wanted.items()
        if parameters(has[name]) != parameters(signature)
    }
    assert different == {}
