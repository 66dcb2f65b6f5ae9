"""The smsflows stack: composes the constructs named after the architecture boxes, wired from topology."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.callback_api import CallbackApi
from infra.constructs.campaign_scheduler import CampaignScheduler
from infra.constructs.data_tables import DataTables
from infra.constructs.evidence_backup import EvidenceBackup
from infra.constructs.flow_state_machines import FlowStateMachines
from infra.constructs.layers import Layers
from infra.constructs.message_queue import MessageQueue
from infra.constructs.monitoring import Monitoring, ScheduleGroup
from infra.constructs.secrets import SecretsConstruct
from infra.constructs.service_function import Binding, ServiceFunction, construct_id
from infra.constructs.shopify_eventbridge import ShopifyEventBridge
from infra.constructs.webhook_api import WebhookApi
from smsflows import topology
from smsflows.topology import (
    CAMPAIGN_QUEUE,
    DEFERRALS,
    FLOWS,
    SEND_QUEUE,
    SHOP_EVENTS_QUEUE,
    SHOPIFY_ADMIN_TOKENS,
    SHOPIFY_EVENTBRIDGE_QUEUE,
    SHOPIFY_SECRET,
    TRANSACTIONAL_QUEUE,
    TWILIO_SECRET,
)


class SmsflowsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id_: str,
        *,
        config: StageConfig,
        repo_root: Path,
        deps_layer_dir: Path | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id_, **kwargs)  # type: ignore[arg-type]
        self.config = config

        self.data = DataTables(self, "DataTables", config=config)
        self.backup = (
            EvidenceBackup(self, "EvidenceBackup", config=config, table=self.data.table)
            if config.backup_retention_days
            else None
        )
        self.secrets = SecretsConstruct(self, "Secrets", config=config)
        self.queues = {
            key: MessageQueue(self, construct_id(key), spec=spec, removal_policy=config.removal_policy)
            for key, spec in topology.QUEUES.items()
        }
        self.layers = Layers(self, "Layers", repo_root=repo_root, deps_dir=deps_layer_dir)
        self.functions = {
            spec.name: ServiceFunction(
                self,
                construct_id(spec.name),
                spec=spec,
                layers=self.layers,
                config=config,
                repo_root=repo_root,
            )
            for spec in topology.FUNCTIONS
        }
        lambdas = {name: service.function for name, service in self.functions.items()}

        self.webhook_api = WebhookApi(self, "WebhookApi", config=config)
        self.webhook_api.add_routes(lambdas)
        self.callback_api = CallbackApi(self, "CallbackApi", config=config, functions=lambdas)
        on_callback_api = {
            spec.name for route, spec in topology.routes() if route in topology.CALLBACK_ROUTES
        }

        send_queue = self.queues[SEND_QUEUE].queue
        self.flows = FlowStateMachines(
            self,
            "FlowStateMachines",
            config=config,
            table=self.data.table,
            send_queue=send_queue,
            flow_step=lambdas["flow_step"],
        )
        self.campaign_scheduler = CampaignScheduler(
            self,
            "CampaignScheduler",
            config=config,
            send_queue=send_queue,
            campaign_queue=self.queues[CAMPAIGN_QUEUE].queue,
            campaign_dlq=self.queues[CAMPAIGN_QUEUE].dlq,
            shop_events_queue=self.queues[SHOP_EVENTS_QUEUE].queue,
            transactional_queue=self.queues[TRANSACTIONAL_QUEUE].queue,
            dead_letters={key: self.queues[key].dlq for key in (SEND_QUEUE, TRANSACTIONAL_QUEUE)},
            shop_events_dlq=self.queues[SHOP_EVENTS_QUEUE].dlq,
        )

        table = self.data.table
        bindings: dict[str, Binding] = {
            SHOPIFY_SECRET: Binding(
                self.secrets.shopify.secret_arn,
                self.secrets.shopify.grant_read,
                self.secrets.shopify.grant_read,
            ),
            TWILIO_SECRET: Binding(
                self.secrets.twilio.secret_arn, self.secrets.twilio.grant_read, self.secrets.twilio.grant_read
            ),
            SHOPIFY_ADMIN_TOKENS: Binding(
                self.secrets.admin_token_prefix,
                self.secrets.grant_admin_tokens,
                self.secrets.grant_admin_tokens,
            ),
            FLOWS: Binding(self.flows.arns_json(), self.flows.grant_read, self.flows.grant_write),
            DEFERRALS: Binding(
                self.campaign_scheduler.deferral_settings(),
                self.campaign_scheduler.grant_defer,
                self.campaign_scheduler.grant_defer,
            ),
        }
        for key, queue in self.queues.items():
            # Writers send. Consumers get their rights from the event source mapping (spec.consumes).
            bindings[key] = Binding(
                queue.queue.queue_url, queue.queue.grant_consume_messages, queue.queue.grant_send_messages
            )
        for service in self.functions.values():
            for resource, binding in bindings.items():
                service.bind(resource, binding)
            service.function.add_environment("PUBLIC_BASE_URL", self.webhook_api.base_url)
            if service.spec.name not in on_callback_api:  # (the callback API's own functions: a cycle)
                # the senders ask Twilio for status callbacks there
                service.function.add_environment("STATUS_CALLBACK_BASE_URL", self.callback_api.base_url)
            if config.default_shop:
                service.function.add_environment("DEFAULT_SHOP", config.default_shop)
            service.grant_table(table.table_arn, table.table_name)
            for key in service.spec.consumes:
                service.consume(key, self.queues[key].queue)

        # Shopify webhooks by EventBridge, when the stage has a partner event source (config).
        self.shopify_eventbridge = None
        if config.shopify_event_source:
            webhook_queue = self.queues[SHOPIFY_EVENTBRIDGE_QUEUE]
            self.shopify_eventbridge = ShopifyEventBridge(
                self,
                "ShopifyEventBridge",
                config=config,
                event_source=config.shopify_event_source,
                queue=webhook_queue.queue,
                dlq=webhook_queue.dlq,
                function=lambdas["shopify_eventbridge"],
            )

        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            queues={key: (q.queue, q.dlq) for key, q in self.queues.items()},
            functions=lambdas,
            state_machines=self.flows.state_machines,
            api=self.webhook_api.api,
            callback_api=self.callback_api.api,
            table=self.data.table,
            schedule_groups={
                "campaign_schedules": ScheduleGroup(
                    self.campaign_scheduler.group_name, "campaigns and the daily job"
                ),
                "deferral_schedules": ScheduleGroup(
                    self.campaign_scheduler.deferral_group.ref, "deferred texts (quiet hours, caps, pacing)"
                ),
            },
        )
        if self.shopify_eventbridge is not None:
            self.shopify_eventbridge.watch(self.monitoring)
        self._outputs()

    def _outputs(self) -> None:
        """Stable output names: the deploy guide and scripts read these."""
        shop_events = self.queues[SHOP_EVENTS_QUEUE]
        send = self.queues[SEND_QUEUE]
        transactional = self.queues[TRANSACTIONAL_QUEUE]
        base = self.webhook_api.base_url
        outputs = {
            "ApiUrl": self.webhook_api.url,
            # The URLs to register at Shopify and Twilio: on the custom domain when there is one, so that
            # replacing the API changes none of them.
            "PublicBaseUrl": base,
            "ShopifyWebhookUrl": f"{base}/webhooks/shopify",
            "TwilioInboundUrl": f"{base}/sms/inbound",
            # Twilio's status callbacks: the senders set this per text; nothing to register anywhere
            "StatusCallbackBaseUrl": self.callback_api.base_url,
            "TableName": self.data.table.table_name,
            "ShopifySecretName": self.secrets.shopify.secret_name,
            "TwilioSecretName": self.secrets.twilio.secret_name,
            # `smsflows shop connect` stores each shop's Admin API token as the secret <prefix>/<shop>
            "ShopifyAdminTokenPrefix": self.secrets.admin_token_prefix,
            "SendQueueUrl": send.queue.queue_url,
            "ShopEventsQueueUrl": shop_events.queue.queue_url,
            "SendDlqUrl": send.dlq.queue_url,
            "TransactionalQueueUrl": transactional.queue.queue_url,
            "TransactionalDlqUrl": transactional.dlq.queue_url,
            "DeferralScheduleGroupName": self.campaign_scheduler.deferral_group.ref,
            "ShopEventsDlqUrl": shop_events.dlq.queue_url,
            "AlarmTopicArn": self.monitoring.topic.topic_arn,
            "CampaignScheduleGroupName": self.campaign_scheduler.group_name,
            "CampaignSchedulerRoleArn": self.campaign_scheduler.role.role_arn,
            "CampaignQueueUrl": self.queues[CAMPAIGN_QUEUE].queue.queue_url,
            "CampaignDlqUrl": self.queues[CAMPAIGN_QUEUE].dlq.queue_url,
            # the profile's shopify_eventbridge_queue_url: `smsflows dlq` lists and replays its dead letters
            "ShopifyEventBridgeQueueUrl": self.queues[SHOPIFY_EVENTBRIDGE_QUEUE].queue.queue_url,
            # SMSFLOWS_CAMPAIGN_SCHEDULER for the operator's CLI (`campaign schedule` creates schedules)
            "CampaignSchedulerSettings": self.campaign_scheduler.campaign_settings(),
        }
        if self.shopify_eventbridge is not None:
            # The partner event bus Shopify's EventBridge subscriptions deliver to (its name is the source's)
            outputs["ShopifyEventBusName"] = self.shopify_eventbridge.bus.event_bus_name
        if self.backup is not None:
            outputs["BackupVaultName"] = self.backup.vault.backup_vault_name
        if self.webhook_api.link_domains:
            # {link domain: the host its CNAME must point to}: what each shop adds to its DNS.
            outputs["LinkDomainTargets"] = self.to_json_string(
                {
                    host: domain.domain_name_alias_domain_name
                    for host, domain in self.webhook_api.link_domains.items()
                }
            )
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
