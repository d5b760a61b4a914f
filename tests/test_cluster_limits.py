"""Per-client limits behind HAProxy (scripts/cluster.py): the replica limits each client by the
address the balancer forwards (clients on 127.0.0.2 and 127.0.0.3 are two clients), a forged
X-Forwarded-For changes nothing, and the balancer's stick table refuses a flood past its fence."""

from __future__ import annotations

import httpx
import pytest
from cluster import FENCE, find_haproxy, haproxy_config, running_cluster

from helpers.serve_process import ENV

pytestmark = pytest.mark.skipif(
    find_haproxy() is None, reason="HAProxy is not installed (`make haproxy` installs Debian's package with apt-get; needs root)"
)

QUESTION = "how much do sorters earn"


def from_address(address: str) -> httpx.Client:
    """An HTTP client whose connections come from `address` (any 127.x.y.z is loopback on Linux)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60)


def ask(client: httpx.Client, url: str, **headers: str) -> httpx.Response:
    return client.post(url.rstrip("/") + "/v1/ask", json={"question": QUESTION}, headers=headers)


def test_the_config_limits_per_client_and_forwards_only_its_own_address():
    config = haproxy_config(["10.0.0.11:7860"], bind="*:80", rate_limit=30, rate_burst=10)
    assert "http-request del-header X-Forwarded-For" in config and "option forwardfor" in config
    assert "stick-table type ipv6" in config and "http-request track-sc0 src if question question_path" in config
    assert f"sc_http_req_rate(0) gt {FENCE * 40} }}" in config and "hdr Retry-After 60" in config
    assert "stick-table" not in haproxy_config(["10.0.0.11:7860"], bind="*:80", rate_limit=0)


@pytest.mark.server
def test_each_client_is_limited_by_its_own_address_through_the_balancer(tiny_index, tmp_path):
    serve_args = ["--index", str(tiny_index.index_dir), "--corpus", str(tiny_index.corpus_dir), "--model", tiny_index.model]
    feedback_db = tmp_path / "feedback.sqlite3"
    limits = dict(rate_limit=6, rate_burst=2)
    with running_cluster(1, serve_args=serve_args, feedback_db=feedback_db, env=ENV, start_timeout=180, **limits) as cluster:
        fence = FENCE * (6 + 2)
        with from_address("127.0.0.2") as first, from_address("127.0.0.3") as second, from_address("127.0.0.4") as third:
            assert [ask(first, cluster.url).status_code for _ in range(2)] == [200, 200]
            refused = ask(first, cluster.url, **{"X-Forwarded-For": "203.0.113.50"})  # a forged address changes nothing
            assert refused.status_code == 429 and "too many questions from your address" in refused.json()["error"]
            assert int(refused.headers["Retry-After"]) >= 1
            assert ask(second, cluster.url).status_code == 200  # another client is answered
            statuses = [ask(third, cluster.url).status_code for _ in range(fence + 1)]
            assert statuses[:2] == [200, 200] and set(statuses[2:]) == {429}
            last = ask(third, cluster.url)
            assert last.status_code == 429 and last.headers["Retry-After"] == "60"
            assert "too many requests from your address" in last.json()["error"]  # the balancer's own refusal
            assert ask(second, cluster.url).status_code == 200  # its second question: its own bucket, not fenced
            metrics = httpx.get(cluster.replicas[0].url + "metrics", timeout=30).text
        assert 'chatbot_rate_limited_total{channel="v1"}' in metrics
