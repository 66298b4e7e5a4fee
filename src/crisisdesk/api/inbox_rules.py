"""``/api/v1/inbox/rules``: the inbox rules in force with what each did lately, and a dry run of a
rule (one in force by name, or a new one as written) on the last days' inbound messages.

Rules themselves live in the workspace configuration (``inbox.rules``, see docs/inbox-rules.md) and
are changed with it (``/api/v1/config/rules/{name}``, or the rules page); trying one here changes
nothing. Both need the permission ``manage_rules``. The counts come from
:mod:`crisisdesk.inbox.rule_activity`, as on the rules page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.responses import errors
from crisisdesk.inbox.rule_activity import activity, try_rule
from crisisdesk.inbox.rules_config import RuleConfig
from crisisdesk.runtime import Runtime

Manager = Annotated[Principal, Depends(require(Permission.MANAGE_RULES))]


class RuleOut(BaseModel):
    name: str
    enabled: bool
    rule: dict[str, Any] = Field(description="The rule as configured.")
    runs_24h: int = Field(description="Messages it acted on in the last 24 hours.")
    runs_7d: int = Field(description="Messages it acted on in the last 7 days.")
    failed_actions_7d: int = Field(
        description="Of its actions in the last 7 days, those that could not be done."
    )
    last_run_at: datetime | None


class DryRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="A rule in force, by name.")
    rule: dict[str, Any] | None = Field(
        default=None,
        description="Or a rule as it would be written under inbox.rules (validated the same way).",
    )
    days: int = Field(default=7, ge=1, le=90, strict=True)
    limit: int = Field(default=500, ge=1, le=5000, strict=True,
                       description="How many recent messages to try.")


class DryRunOut(BaseModel):
    rule: str
    since: datetime
    tried: int
    matched: list[dict[str, Any]]


def inbox_rules_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/api/v1/inbox/rules", tags=["inbox"])

    @router.get("", response_model=list[RuleOut], summary="The inbox rules in force and what they did lately")
    def rules(principal: Manager) -> list[RuleOut]:
        rules = runtime.workspace.config.inbox.rules
        with Session(runtime.engine) as session:
            done = activity(session, [r.name for r in rules], now=runtime.runner.clock.now(), latest=0)
        return [
            RuleOut(
                name=rule.name,
                enabled=rule.enabled,
                rule=rule.model_dump(exclude_none=True),
                runs_24h=done[rule.name].runs_24h,
                runs_7d=done[rule.name].runs_7d,
                last_run_at=done[rule.name].last_run_at,
                failed_actions_7d=done[rule.name].failed_actions_7d,
            )
            for rule in rules
        ]

    @router.post(
        "/dry-run",
        response_model=DryRunOut,
        responses=errors(404),
        summary="What a rule would have done on the last days' messages (changes nothing)",
    )
    def dry_run(body: DryRunIn, principal: Manager) -> DryRunOut:
        if (body.name is None) == (body.rule is None):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give either name or rule")
        if body.name is not None:
            rule = next((r for r in runtime.workspace.config.inbox.rules if r.name == body.name), None)
            if rule is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no inbox rule {body.name!r}")
        else:
            try:
                rule = RuleConfig.model_validate(body.rule)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'rule'}: {e['msg']}" for e in exc.errors()
                )
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"rule: {problems}") from None
        since = runtime.runner.clock.now() - timedelta(days=body.days)
        with Session(runtime.engine) as session:
            tried, matched = try_rule(
                session, rule, since=since, limit=body.limit, connectors=runtime.connectors,
                calendar=runtime.workspace.config.inbox.business_hours.calendar()
            )
        return DryRunOut(rule=rule.name, since=since, tried=tried, matched=matched)

    return router
