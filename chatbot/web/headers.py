"""Security headers on every response the server sends: Gradio's pages, its API and the server's
own routes (`/v1/ask`, `/healthz`, `/metrics`), errors included.

- `Content-Security-Policy: frame-ancestors 'none'; base-uri 'self'; object-src 'none';
  form-action 'self'` and `X-Frame-Options: DENY` (older browsers): no other site can frame the
  chat window or the review page. The policy restricts no scripts or styles: Gradio's pages run
  inline scripts and styles of their own, which a stricter policy would break.
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` (no page address leaves the
  site), `Permissions-Policy` turning off camera, microphone and location.
- Every cookie set through the server gets `HttpOnly` and `SameSite=Lax` when it lacks them.

A small pure-ASGI middleware rather than a package (Secweb, asgi-sage): those default to a
`default-src 'self'` policy that Gradio's pages cannot run under, and the header set here is fixed.
"""

from __future__ import annotations

HEADERS = (
    (b"content-security-policy", b"frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
_NAMES = {name for name, _ in HEADERS}


class SecurityHeaders:
    """ASGI middleware: `HEADERS` on every HTTP response (replacing any the app set), cookies hardened."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(name, value) for name, value in message.get("headers", ()) if name.lower() not in _NAMES]
                headers = [(name, harden_cookie(value) if name.lower() == b"set-cookie" else value) for name, value in headers]
                message = {**message, "headers": headers + list(HEADERS)}
            await send(message)

        await self.app(scope, receive, sending)


def harden_cookie(value: bytes) -> bytes:
    """A `Set-Cookie` value with `HttpOnly` and `SameSite=Lax` added when missing."""
    attributes = {part.strip().split(b"=")[0].lower() for part in value.split(b";")[1:]}
    if b"httponly" not in attributes:
        value += b"; HttpOnly"
    if b"samesite" not in attributes:
        value += b"; SameSite=Lax"
    return value
