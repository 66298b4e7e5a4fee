"""The HTTP service: ingest API, health and metrics. Later issues add the web UI to this app."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Request, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

import crisisdesk
from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.accounts.views import install_accounts
from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY
from crisisdesk.api.analytics import analytics_router
from crisisdesk.api.approvals import approvals_router
from crisisdesk.api.attachments import BASE as ATTACHMENTS_PATH
from crisisdesk.api.attachments import attachments_router
from crisisdesk.api.conversations import conversations_router
from crisisdesk.api.crises import crises_router
from crisisdesk.api.crisis_mode import crisis_mode_router
from crisisdesk.api.inbox_rules import inbox_rules_router
from crisisdesk.api.limits import FORM_OVERHEAD, BodyLimitMiddleware
from crisisdesk.api.moderation import moderation_router
from crisisdesk.api.monitors import monitors_router
from crisisdesk.api.outage import install_bus_outage_handler, install_outage_handler
from crisisdesk.api.outbox import outbox_router
from crisisdesk.api.posts import posts_router
from crisisdesk.api.replies import replies_router
from crisisdesk.api.responses import complete, errors
from crisisdesk.api.retrain import RetrainJob, retrain_router
from crisisdesk.api.reviews import reviews_router
from crisisdesk.api.situations import situations_router
from crisisdesk.api.updates import updates_router
from crisisdesk.audit.service import AuditAction, record
from crisisdesk.channels.views import webhook_router
from crisisdesk.configuration.item_views import items_router
from crisisdesk.configuration.views import config_router
from crisisdesk.core.clock import SystemClock
from crisisdesk.pipeline.events import RawItem
from crisisdesk.posts.schemas import POST_ADAPTER, PostAccepted, RejectOut
from crisisdesk.runtime import Runtime
from crisisdesk.training.corrections import Correction, CorrectionError, correct
from crisisdesk.web.app import install_web, unavailable_page
from crisisdesk.web.inbox_forms import REPLY_PATH

MAX_BATCH = 1000


def takes_files(path: str) -> bool:
    """Routes that take files: bounded by CRISISDESK_MAX_ATTACHMENT_BYTES, not the body limit
    (the API's upload, and the web reply form that uploads with the reply)."""
    return path == ATTACHMENTS_PATH or (path.startswith("/inbox/") and path.endswith(f"/{REPLY_PATH}"))


class LabelsIn(BaseModel):
    """A person's verdict; give any of the three."""

    sentiment: str | None = Field(default=None, examples=["negative"])
    insult: str | None = Field(default=None, examples=["none"])
    complaint_types: list[str] | None = Field(default=None, examples=[["delivery_delay"]])


class Metrics:
    """Prometheus metrics of one app (own registry, so tests and several apps do not collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.posts = Counter("crisisdesk_posts_total", "Posts received over the API, by outcome.",
                             ["outcome"], registry=self.registry)
        self.batch_seconds = Histogram("crisisdesk_ingest_batch_seconds",
                                       "Time to run one API batch through the pipeline.",
                                       registry=self.registry)
        self.requests = Counter("crisisdesk_http_requests_total", "HTTP requests by route and status.",
                                ["route", "status"], registry=self.registry)


def parse_body(body: bytes) -> Any:
    """The request body as JSON, item problems left to the pipeline (which names them per item).

    orjson refuses a lone surrogate escape (``"\\ud800"``, a text cut mid-emoji) and whole-body
    refusal would cost every other post in the batch; the stdlib parser reads it, and the normalize
    stage then removes it from free text or refuses that one item. Only a body that neither
    parser can read is a 400.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not valid JSON: {exc}") from exc


def _item_text(item: Any) -> str:
    """A batch item that is not an object, as JSON text for the pipeline to refuse by its index."""
    try:
        return orjson.dumps(item).decode()
    except TypeError:  # a lone surrogate or nesting orjson refuses: still not an object
        return "null"


def create_app(runtime: Runtime, *, api_token: str) -> FastAPI:
    """Build the app around a ready runtime (database migrated, monitors compiled)."""
    app = FastAPI(
        title="crisisdesk",
        version=crisisdesk.__version__,
        description="Social-media crisis management hub: ingest API, health and metrics.",
    )
    app.state.runtime = runtime
    metrics = Metrics()
    if runtime.settings.bus_url:  # a front end of the distributed mode: the cluster's state too
        from crisisdesk.cluster.metrics import ClusterCollector
        from crisisdesk.cluster.worker import bus_of

        metrics.registry.register(ClusterCollector(bus_of(runtime.settings), runtime.engine))
    lock = threading.Lock()  # one pipeline runner; requests take turns through it
    upload_limit = runtime.settings.max_attachment_bytes + FORM_OVERHEAD
    app.add_middleware(BodyLimitMiddleware, max_bytes=runtime.settings.max_body_bytes,
                       uploads=lambda path: upload_limit if takes_files(path) else None)

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response: Response = await call_next(request)
        route = request.scope.get("route")
        metrics.requests.labels(getattr(route, "path", "unmatched"), str(response.status_code)).inc()
        return response

    # The platforms' webhooks first: routes are tried in order (hundreds of them), and these carry
    # the traffic of a storm (measured: the match was half a delivery's CPU when they came last).
    app.include_router(webhook_router(lambda key: runtime.connectors().get(key),
                                      engine=lambda: runtime.engine, clock=SystemClock(),
                                      stored=runtime.delivery_stored))

    @app.post(
        "/api/v1/posts",
        response_model=PostAccepted,
        dependencies=[Depends(require(Permission.INGEST))],
        summary="Ingest one canonical post or a batch of them",
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
            "oneOf": [{"$ref": "#/components/schemas/PostIn"},
                      {"type": "array", "items": {"$ref": "#/components/schemas/PostIn"},
                       "maxItems": MAX_BATCH}]}}}}},
    )
    async def post_posts(request: Request) -> PostAccepted:
        """Every valid post is stored even when others in the batch are rejected; each rejection
        names its index in the batch and what is wrong. Re-sending a post is harmless."""
        payload = parse_body(await request.body())
        items = payload if isinstance(payload, list) else [payload]
        if len(items) > MAX_BATCH:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                f"{len(items)} posts in one request; send at most {MAX_BATCH}")
        raw = [RawItem("api", i, item if isinstance(item, dict) else _item_text(item))
               for i, item in enumerate(items)]
        started = time.perf_counter()
        if runtime.queue is not None:  # a front end of the distributed mode: the workers store them
            result = await run_in_threadpool(runtime.queue, raw)  # it waits for their answer
            queued = result.summary.read - result.summary.rejected
        else:
            with lock:
                result = runtime.runner.handle(raw)
            queued = None
        metrics.batch_seconds.observe(time.perf_counter() - started)
        s = result.summary
        for outcome, n in (("imported", s.imported), ("updated", s.updated),
                           ("duplicate", s.duplicates), ("rejected", s.rejected)):
            if n:
                metrics.posts.labels(outcome).inc(n)
        return PostAccepted(
            summary=s,
            rejects=[RejectOut(index=r.position, reason=r.reason) for r in result.rejections],
            queued=queued,
        )

    @app.post(
        "/api/v1/posts/{platform}/{post_id}/labels",
        summary="Correct the analysis of a post (stored for retraining)", responses=errors(404),
    )
    def correct_labels(platform: str, post_id: str, body: LabelsIn,
                       who: Annotated[Principal, Depends(require(Permission.LABEL_POSTS))]) -> dict[str, Any]:
        """Overrides the post's sentiment, insult label or complaint types at once and keeps the
        correction for the next `crisisdesk train`. 404: no such post; 422: unknown label."""
        taxonomy = runtime.workspace.config.analysis.complaint_types or DEFAULT_TAXONOMY
        try:
            current = correct(
                runtime.engine, platform=platform, external_id=post_id,
                correction=Correction(body.sentiment, body.insult,
                                      None if body.complaint_types is None else tuple(body.complaint_types)),
                complaint_names=[t.name for t in taxonomy], source="api", now=runtime.runner.clock.now(),
            )
        except CorrectionError as exc:
            code = status.HTTP_404_NOT_FOUND if str(exc).startswith("no post") else 422
            raise HTTPException(code, str(exc)) from exc
        with runtime.engine.begin() as conn:
            record(conn, actor=who.actor, action=AuditAction.POST_LABELLED, at=runtime.runner.clock.now(),
                   target_type="post", target_id=f"{platform}:{post_id}", after=current, ip=who.ip)
        return {"platform": platform, "id": post_id, **current}

    install_accounts(app, engine=runtime.engine, settings=runtime.settings, service_token=api_token)
    app.include_router(situations_router(runtime))
    app.include_router(crises_router(runtime))
    app.include_router(reviews_router(runtime))
    app.include_router(updates_router(runtime))
    app.include_router(analytics_router(runtime))
    app.include_router(crisis_mode_router(runtime, released=runtime.outbox_queued))
    app.include_router(posts_router(runtime))
    app.include_router(monitors_router(runtime))
    app.include_router(config_router(runtime))
    app.include_router(items_router(runtime, on_saved=lambda _saved: runtime.reload_if_changed()))
    app.state.retrain = RetrainJob(runtime)  # the settings' Analysis page shares it
    app.include_router(retrain_router(app.state.retrain))
    app.include_router(outbox_router(runtime, queued=runtime.outbox_queued))
    app.include_router(conversations_router(runtime, queued=runtime.outbox_queued))
    app.include_router(attachments_router(runtime))
    app.include_router(inbox_rules_router(runtime))
    app.include_router(moderation_router(runtime, queued=runtime.outbox_queued))
    app.include_router(replies_router())
    app.include_router(approvals_router(runtime, queued=runtime.outbox_queued))
    install_web(app, runtime)
    install_outage_handler(app, runtime.engine, page=unavailable_page)
    if runtime.settings.bus_url:
        install_bus_outage_handler(app)

    @app.get("/healthz", summary="Liveness and database reachability", responses={503: {
        "description": "The database does not answer; `database` names the kind of failure.",
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": {
            "type": "string"}}}}}})
    def healthz(response: Response) -> dict[str, str]:
        try:
            with runtime.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not healthy"; say which
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            return {"status": "error", "database": type(exc).__name__}
        return {"status": "ok", "database": "ok", "version": crisisdesk.__version__}

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response,
             responses={200: {"content": {"text/plain": {}}}})
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # Make PostIn appear in the OpenAPI components although the body is parsed by hand.
    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = complete(original_openapi())
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        top = POST_ADAPTER.json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in top.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components["PostIn"] = top
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
