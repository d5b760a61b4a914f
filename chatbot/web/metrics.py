"""What `/metrics` shows, in Prometheus' text format (prometheus_client): questions by reason,
answer latency, the answering CPU, queue depth, feedback rows saved and dropped, the live build,
and the query vectors the live assistant remembered or encoded.

Each server has its own `Metrics` (its own registry), so several apps in one process (tests)
never share a count. Gauges that describe the moment (queue depth, the index build) are read
when scraped, from callables the server hands in.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.process_collector import ProcessCollector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Answer latency buckets (seconds): ~11 ms a question on an idle core, ~50 ms with both cores busy.
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5)


class Metrics:
    """The counters a server keeps, and its scrape."""

    def __init__(self) -> None:
        disable_created_metrics()  # no `_created` series beside every counter (process-wide)
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_cpu_seconds_total, memory, open files
        self.questions = Counter(
            "chatbot_questions", "Questions answered, by reason and channel", ["reason", "channel"], registry=self.registry
        )
        self.latency = Histogram(
            "chatbot_answer_seconds",
            "Time the Assistant took to answer (wall clock)",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answer_cpu = Counter(
            "chatbot_answer_cpu_seconds", "CPU time of the answering thread in the Assistant", ["channel"], registry=self.registry
        )
        self.feedback = Counter(
            "chatbot_feedback_rows",
            "Rows handed to the feedback store: saved (queued for writing) or dropped (refused)",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.limited = Counter(
            "chatbot_rate_limited",
            "Questions refused because their client was over its rate limit (throttle.py)",
            ["channel"],
            registry=self.registry,
        )
        self._scraped = _Scraped()
        self.registry.register(self._scraped)

    def answered(self, reason: str, channel: str, seconds: float, cpu_seconds: float) -> None:
        """Count one answered question."""
        self.questions.labels(reason=str(reason), channel=channel).inc()
        self.latency.labels(channel=channel).observe(seconds)
        self.answer_cpu.labels(channel=channel).inc(cpu_seconds)

    def rate_limited(self, channel: str) -> None:
        """Count one question refused for a client over its rate limit."""
        self.limited.labels(channel=channel).inc()

    def feedback_row(self, kind: str, saved: bool) -> None:
        """Count one row handed to the feedback store (`kind`: question or vote)."""
        self.feedback.labels(kind=kind, outcome="saved" if saved else "dropped").inc()

    def watch(
        self,
        *,
        queue_depth: Callable[[], dict[str, int]] | None = None,
        build: Callable[[], dict] | None = None,
        vectors: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        """Read at every scrape: questions waiting by route, the live index build's labels, and the
        live assistant's query vectors (remembered, encoded; they start again at 0 with a new build)."""
        if queue_depth is not None:
            self._scraped.queue_depth = queue_depth
        if build is not None:
            self._scraped.build = build
        if vectors is not None:
            self._scraped.vectors = vectors

    def scrape(self) -> bytes:
        """Everything, in Prometheus' text format."""
        return generate_latest(self.registry)


class _Scraped:
    """A collector for what is read at scrape time rather than counted."""

    def __init__(self) -> None:
        self.queue_depth: Callable[[], dict[str, int]] = dict
        self.build: Callable[[], dict] = dict
        self.vectors: Callable[[], tuple[int, int]] | None = None

    def collect(self):
        depth = GaugeMetricFamily("chatbot_queue_depth", "Questions waiting to be answered, by route", labels=["route"])
        for route, waiting in sorted(self.queue_depth().items()):
            depth.add_metric([route], waiting)
        yield depth
        info = InfoMetricFamily("chatbot_index_build", "The index build answering now")
        labels = self.build()
        if labels:
            info.add_metric([], {key: str(value) for key, value in labels.items()})
        yield info
        if self.vectors is not None:
            texts = CounterMetricFamily(
                "chatbot_query_vectors", "Query texts the live assistant remembered or encoded", labels=["outcome"]
            )
            remembered, encoded = self.vectors()
            texts.add_metric(["remembered"], remembered)
            texts.add_metric(["encoded"], encoded)
            yield texts

    def describe(self):  # nothing is known before a scrape; keeps register() from calling collect()
        return []
