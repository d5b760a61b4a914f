"""`serve`'s flags for what faces the public: the rate limit, the trusted balancer, how long
questions are kept. Each overrides its `CHATBOT_*` variable (`chatbot/settings.py`)."""

from __future__ import annotations

import argparse

from ..settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags to `serve`'s parser."""
    defaults = Settings()
    parser.add_argument(
        "--rate-limit",
        type=float,
        metavar="N",
        help=f"questions a minute one client may ask, chat and /v1/ask (env CHATBOT_RATE_LIMIT; default "
        f"{defaults.rate_limit:g}; 0: no limit)",
    )
    parser.add_argument(
        "--rate-burst",
        type=int,
        metavar="N",
        help=f"questions a client may ask at once after a pause (env CHATBOT_RATE_BURST; default {defaults.rate_burst})",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDR",
        help="a balancer whose X-Forwarded-For names the client (repeatable; env CHATBOT_TRUSTED_PROXIES, "
        "comma-separated; default none: the connection's address is the client)",
    )
    parser.add_argument(
        "--retention-days",
        type=float,
        metavar="DAYS",
        help=f"stored questions older than this are purged (env CHATBOT_RETENTION_DAYS; default {defaults.retention_days:g})",
    )


def apply(args: argparse.Namespace, settings: Settings) -> Settings:
    """`settings` with the flags given applied; ChatbotError for a value out of range (flag or variable)."""
    from ..errors import ChatbotError

    settings = settings.with_overrides(
        rate_limit=args.rate_limit,
        rate_burst=args.rate_burst,
        trusted_proxies=tuple(args.trusted_proxy) if args.trusted_proxy else None,
        retention_days=args.retention_days,
    )
    if settings.rate_limit < 0:
        raise ChatbotError("--rate-limit (CHATBOT_RATE_LIMIT) must be 0 (no limit) or more")
    if settings.rate_burst < 1:
        raise ChatbotError("--rate-burst (CHATBOT_RATE_BURST) must be at least 1")
    if settings.retention_days <= 0:
        raise ChatbotError("--retention-days (CHATBOT_RETENTION_DAYS) must be more than 0")
    return settings
