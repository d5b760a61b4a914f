"""End to end: two `serve` replicas on one index folder and one feedback file behind HAProxy
(scripts/cluster.py). Questions through the balancer are answered on both routes, and with one
replica killed the next questions still succeed, a session pinned to it included."""

from __future__ import annotations

import json

import httpx
import pytest
from cluster import COOKIE, find_haproxy, running_cluster

from helpers.serve_process import ENV

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        find_haproxy() is None,
        reason="HAProxy is not installed (`make haproxy` installs Debian's package with apt-get; needs root)",
    ),
]

QUESTION = "how much do sorters earn"


def v1(url: str, question: str, history: list[str] = ()) -> dict:
    response = httpx.post(url.rstrip("/") + "/v1/ask", json={"question": question, "history": list(history)}, timeout=60)
    response.raise_for_status()
    return response.json()


def test_two_replicas_behind_haproxy_answer_and_route_around_a_killed_one(tiny_index, tmp_path):
    from gradio_client import Client

    serve_args = ["--index", str(tiny_index.index_dir), "--corpus", str(tiny_index.corpus_dir)]
    serve_args += ["--model", tiny_index.model, "--log-json"]
    feedback_db = tmp_path / "feedback.sqlite3"
    with running_cluster(
        2, serve_args=serve_args, feedback_db=feedback_db, env=ENV, start_timeout=180, rate_limit=0
    ) as cluster:  # the per-client limits: tests/test_cluster_limits.py
        assert "option httpchk GET /healthz" in cluster.config and f"cookie {COOKIE} insert" in cluster.config
        expected = v1(cluster.replicas[1].url, QUESTION)
        assert v1(cluster.url, QUESTION) == expected
        assert v1(cluster.url, QUESTION) == expected  # round robin: the other replica gives the same answer
        clients = [Client(cluster.url, verbose=False, download_files=False, analytics_enabled=False) for _ in range(2)]
        try:
            pinned = {client.cookies.get(COOKIE) for client in clients}
            assert pinned == {"replica1", "replica2"}  # one session on each replica
            for client in clients:
                assert client.predict(QUESTION, [], api_name="/ask") == expected

            cluster.kill(0)  # replica1, with a session pinned to it
            cluster.replicas[0].process.wait(10)
            for client in clients:
                assert client.predict(QUESTION, [], api_name="/ask") == expected
            assert [v1(cluster.url, QUESTION) for _ in range(4)] == [expected] * 4
            fresh = Client(cluster.url, verbose=False, download_files=False, analytics_enabled=False)
            assert fresh.predict(QUESTION, [], api_name="/ask") == expected
            fresh.close()
        finally:
            for client in clients:
                client.close()
        refused = httpx.post(cluster.url.rstrip("/") + "/v1/ask", json={"question": 5}, timeout=30)
        assert refused.status_code == 400 and "question must be a string" in refused.json()["error"]
        logged = [json.loads(line) for line in cluster.replicas[1].log.read_text().splitlines() if line.startswith("{")]
        assert any(line["level"] == "WARNING" and "bad request to /v1/ask" in line["message"] for line in logged)
