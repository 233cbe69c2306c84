"""The HTTP server: Slack events, the lead webhook, health and metrics.

Starlette on uvicorn. Bolt's listeners are synchronous, so every Bolt dispatch and
every database call runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.request.internals import build_context
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.http.lead_input import parse_lead
from bot.http.limits import BodyLimitMiddleware, BodyLimits
from bot.http.serialize import lead_json
from bot.http.slack_request import (
    RawBodyVerifier,
    SlackBodyError,
    check_body,
    check_json,
    check_shape,
    form_bolt_drops,
    signature_ok,
)
from bot.http.strict_json import StrictJSONError, loads_strict
from bot.http.tokens import accepted_tokens, token_accepted
from bot.runtime import Runtime
from bot.salesforce.errors import RecordGone
from bot.salesforce.ingest import ingest_by_salesforce_id
from bot.services.leads import ingest_lead
from bot.settings import reveal
from storage.health import ping
from storage.leads import find_lead
from storage.migrate import is_at_head

log = logging.getLogger(__name__)

# Lead.idempotency_key is a String(255): PostgreSQL would refuse a longer one with a 500.
MAX_IDEMPOTENCY_KEY = 255
LEAD_REF_HINT = "use the short id like L-1042 or a Salesforce id"


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def create_http_app(
    rt: Runtime, bolt: App | None, *, limits: BodyLimits | None = None
) -> Starlette:
    """``limits`` default to the settings (LEADROUTER_MAX_BODY_SLACK, ..._LEADS)."""
    body_limits = limits or BodyLimits(
        slack=rt.settings.max_body_slack, leads=rt.settings.max_body_leads
    )
    secret = reveal(rt.settings.slack_signing_secret)
    verifier = RawBodyVerifier(secret) if secret and secret.strip() else None

    def authorized(request: Request) -> JSONResponse | None:
        # Current and next value during a rotation (comma-separated); either is accepted.
        accepted = accepted_tokens(reveal(rt.settings.webhook_token))
        if not accepted:
            return _error(503, "the lead webhook is off: set LEADROUTER_WEBHOOK_TOKEN to enable it")
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token_accepted(token.strip(), accepted):
            return _error(401, "missing or wrong bearer token (Authorization: Bearer <token>)")
        return None

    async def slack_events(request: Request) -> Response:
        if rt.settings.slack_app_token:
            return _error(
                404,
                "Socket Mode is on (SLACK_APP_TOKEN is set): Slack sends events over the "
                "WebSocket, not to /slack/events; unset SLACK_APP_TOKEN to use this URL",
            )
        if bolt is None:
            return _error(
                503, "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"
            )
        # Order of work: the size limit (BodyLimitMiddleware, before this runs), the
        # signature on the raw bytes, then parsing; Bolt then verifies again on its own.
        body = await request.body()
        if verifier is None or not signature_ok(verifier, body, request.headers):
            return _error(401, "missing, stale or wrong Slack signature")
        try:
            text = check_body(body, request.headers.get("content-type"))
            # Bolt's own parser is lenient (NaN, lone surrogates) and recursive: whatever
            # it will read as JSON is read strictly first.
            check_json(text, request.headers)
            # Bolt parses (JSON, form, the form's JSON payload) while building its request.
            bolt_request = to_bolt_request(request, body)
            dropped = form_bolt_drops(text, request.headers)
            if dropped is not None:  # the body and context Bolt would build from the form
                bolt_request.body = dropped
                bolt_request.context = build_context(BoltContext(), dropped)
            if isinstance(bolt_request.body, dict):
                check_shape(bolt_request.body)
        except SlackBodyError as exc:
            return _error(400, str(exc))
        except Exception as exc:  # whatever Bolt's parser raises on a body it cannot read
            log.info("slack_body_unparsed", extra={"error": type(exc).__name__})
            return _error(400, "body does not parse as a Slack request")
        if not isinstance(bolt_request.body, dict):
            return _error(400, "body does not parse as a Slack request")
        try:
            bolt_response = await run_in_threadpool(bolt.dispatch, bolt_request)
        except Exception:  # Bolt catches listener errors; this is a fault of ours, logged
            log.exception("slack_dispatch_failed")
            return _error(500, "internal error while handling the Slack request")
        return to_starlette_response(bolt_response)

    async def post_lead(request: Request) -> Response:
        denied = authorized(request)
        if denied is not None:
            return denied
        # Bounded by BodyLimitMiddleware (LEADROUTER_MAX_BODY_LEADS) while it streams.
        body = await request.body()
        try:
            payload = loads_strict(body)
        except StrictJSONError as exc:
            return _error(400, str(exc))
        lead, errors = parse_lead(payload)
        if lead is None:
            status = 400 if errors and errors[0]["field"] == "body" else 422
            return _error(status, "invalid lead", fields=errors)
        idempotency_key = request.headers.get("idempotency-key") or None
        if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            return _error(
                400,
                f"Idempotency-Key header is longer than {MAX_IDEMPOTENCY_KEY} characters: "
                "send a shorter key (a UUID is 36)",
            )
        client = rt.salesforce
        if client is not None and lead.salesforce_id and lead.is_reference_only():
            # Only an id (a Flow HTTP callout): the record comes from Salesforce.
            sf_id = lead.salesforce_id
            try:
                fetched = await run_in_threadpool(
                    lambda: ingest_by_salesforce_id(
                        rt, client, sf_id, idempotency_key=idempotency_key
                    )
                )
            except RecordGone as gone:
                return _error(
                    422,
                    "invalid lead",
                    fields=[{"field": "salesforce_id", "message": gone.message}],
                )
            result = fetched.ingested
            if result.created:
                # "fetching": stored; Salesforce was unreachable, the outbox fetches it.
                answer = {
                    "id": result.public_id,
                    "status": "accepted",
                    "salesforce": "fetched" if fetched.fetched else "fetching",
                }
                return JSONResponse(answer, status_code=202)
            return JSONResponse({"id": result.public_id, "status": "duplicate"}, status_code=200)
        result = await run_in_threadpool(
            lambda: ingest_lead(
                rt,
                raw=lead.raw_fields(),
                source="webhook",
                external_id=lead.external_id,
                salesforce_id=lead.salesforce_id,
                idempotency_key=idempotency_key,
                created_at=lead.created_at,
            )
        )
        if result.created:
            return JSONResponse({"id": result.public_id, "status": "accepted"}, status_code=202)
        return JSONResponse({"id": result.public_id, "status": "duplicate"}, status_code=200)

    async def get_lead(request: Request) -> Response:
        denied = authorized(request)
        if denied is not None:
            return denied
        ref = request.path_params["ref"]

        # find_lead asks the database only for a well-formed id the id column can hold.
        def load() -> dict[str, Any] | None:
            with rt.db.session() as session:
                lead = find_lead(session, ref)
                return lead_json(lead) if lead is not None else None

        found = await run_in_threadpool(load)
        if found is None:
            shown = ref if len(ref) <= 40 else ref[:40] + "..."
            return _error(404, f"no lead {shown!r} ({LEAD_REF_HINT})")
        return JSONResponse(found)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        def check() -> str | None:
            try:
                ping(rt.db.engine)
                if not is_at_head(rt.db.engine):
                    return "database migrations are not at head: run `leadrouter db upgrade`"
            except Exception as exc:  # readiness reports any database failure
                return f"database unreachable: {type(exc).__name__}"
            return None

        problem = await run_in_threadpool(check)
        if problem:
            return _error(503, problem)
        return JSONResponse({"status": "ready", "config_version": rt.config.config.version})

    async def metrics(request: Request) -> Response:
        return Response(rt.metrics.render(), media_type="text/plain; version=0.0.4")

    routes = [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/leads", post_lead, methods=["POST"]),
        Route("/leads/{ref}", get_lead, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    # Inside Starlette's ServerErrorMiddleware, so a body over the limit is a 413, not a 500.
    return Starlette(
        routes=routes, middleware=[Middleware(BodyLimitMiddleware, limits=body_limits)]
    )
