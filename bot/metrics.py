"""Prometheus metrics, one registry per runtime (tests build many runtimes)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.leads_received = Counter(
            "leadrouter_leads_received",
            "Leads received, by source and whether they were new or duplicates",
            ["source", "result"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "leadrouter_decisions",
            "Routing decisions by outcome (rep, queue, unrouted)",
            ["outcome"],
            registry=self.registry,
        )
        self.routing_seconds = Histogram(
            "leadrouter_routing_seconds",
            "Time to route a stored lead, including the database transaction",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.responses = Counter(
            "leadrouter_offer_responses",
            "Offer responses by outcome (accepted, declined, claimed)",
            ["outcome"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "leadrouter_outbox_deliveries",
            "Outbox side effects by kind and result (done, retry, dead)",
            ["kind", "result"],
            registry=self.registry,
        )
        self.card_seconds = Histogram(
            "leadrouter_card_delivery_seconds",
            "From offer created to the card posted in Slack",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.timers = Counter(
            "leadrouter_timers_fired",
            "SLA timers fired, by outcome (done, skipped when the offer had ended)",
            ["outcome"],
            registry=self.registry,
        )
        self.timer_lateness = Histogram(
            "leadrouter_timer_lateness_seconds",
            "How late SLA timers fire after they fall due",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
