"""The inbox rules in the browser: ``/inbox/rules`` lists them in order, said in words, with what
each did lately; people with ``manage_rules`` create, change, switch on and off, reorder and delete
them, and try a rule (stored, or as typed and not saved) on the last days' messages.

Rules are configuration (``inbox.rules``): every change goes through
:mod:`crisisdesk.configuration.items` like the settings pages and ``/api/v1/config/rules/{name}``,
so the document keeps its comments, a bad rule is refused naming its field, each change is a new
version of the configuration with an audit entry, and the running service applies it at once.
A refused form comes back with the text exactly as typed. Reading needs ``view`` (everyone who
may use the inbox); every change and every dry run checks ``manage_rules`` on the server.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import PermissionDenied, require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY
from crisisdesk.configuration.items import (
    Item,
    ItemNotFound,
    Kind,
    Saved,
    delete_item,
    list_items,
    move_item,
    put_item,
)
from crisisdesk.configuration.service import export_text, latest
from crisisdesk.core.errors import ConfigError
from crisisdesk.inbox.models import Priority
from crisisdesk.inbox.rule_activity import activity, try_rule
from crisisdesk.inbox.rules_config import RuleConfig
from crisisdesk.runtime import Runtime
from crisisdesk.web import rule_words
from crisisdesk.web.i18n import Lang, t
from crisisdesk.web.rule_forms import (
    QUICK_FIELDS,
    RuleForm,
    RuleTextError,
    parse,
    quick_value,
    rule_of,
    to_text,
)
from crisisdesk.web.templating import render, request_lang

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Manager = Annotated[Principal, Depends(require(Permission.MANAGE_RULES))]
#: How many recent messages a dry run tries (the API's default).
DRY_RUN_LIMIT = 500
MAX_DAYS = 90


async def _fields(request: Request) -> dict[str, list[str]]:
    """The form as sent, text areas untouched (not stripped: what was typed comes back as typed)."""
    out: dict[str, list[str]] = {}
    for k, v in (await request.form()).multi_items():
        if isinstance(v, str):
            out.setdefault(k, []).append(v)
    return out


Fields = Annotated[dict[str, list[str]], Depends(_fields)]


def first(fields: dict[str, list[str]], name: str, default: str = "") -> str:
    values = fields.get(name)
    return values[0] if values else default


def _days(text: str, lang: Lang) -> tuple[int, str | None]:
    value = text.strip() or "7"
    if value.isdigit() and 1 <= int(value) <= MAX_DAYS:
        return int(value), None
    return 7, t("rules.bad_days", lang, value=text)


def _complaint_labels(runtime: Runtime, lang: Lang) -> dict[str, str]:
    taxonomy = runtime.workspace.config.analysis.complaint_types or list(DEFAULT_TAXONOMY)
    return {x.name: (x.label_de if lang == "de" else x.label_en) for x in taxonomy}


class RulePages:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # -- reading ---------------------------------------------------------------------------

    def items(self) -> list[Item]:
        return list_items(export_text(self.runtime.engine, self.runtime.workspace), Kind.RULES)

    def find(self, name: str) -> Item | None:
        return next((i for i in self.items() if i.key == name), None)

    def rows(self, lang: Lang) -> list[dict[str, Any]]:
        """Each rule as the list shows it: in words, with its activity and latest runs."""
        items = self.items()
        labels = _complaint_labels(self.runtime, lang)
        with Session(self.runtime.engine) as session:
            done = activity(session, [i.key for i in items], now=self.runtime.runner.clock.now())
        out = []
        for position, item in enumerate(items):
            try:
                rule: RuleConfig | None = RuleConfig.model_validate(item.value)
            except ValidationError:  # only a hand-edited stored row can hold one; show it as written
                rule = None
            runs = [
                {
                    "at": run.at,
                    "conversation_id": run.conversation_id,
                    "did": [rule_words.done(a, rule, i, lang) for i, a in enumerate(run.actions)],
                }
                for run in done[item.key].latest
            ]
            out.append(
                {
                    "name": item.key,
                    "position": position,
                    "rule": rule,
                    "text": to_text(item.value),
                    "enabled": rule.enabled if rule else bool(item.value.get("enabled", True)),
                    "when": rule_words.conditions(rule.when, lang, complaint_labels=labels) if rule else [],
                    # Said only when it is not the usual "on every new message".
                    "trigger": rule_words.trigger(rule, lang) if rule and rule.trigger != ["message"] else "",
                    "then": rule_words.actions(rule, lang) if rule else [],
                    "activity": done[item.key],
                    "runs": runs,
                }
            )
        return out

    def trial(self, rule: RuleConfig, days: int, lang: Lang) -> dict[str, Any]:
        """A dry run as the page shows it (the API's :func:`try_rule`)."""
        since = self.runtime.runner.clock.now() - timedelta(days=days)
        with Session(self.runtime.engine) as session:
            tried, matched = try_rule(
                session, rule, since=since, limit=DRY_RUN_LIMIT, connectors=self.runtime.connectors,
                calendar=self.runtime.workspace.config.inbox.business_hours.calendar(),
            )
        return {
            "name": rule.name,
            "since": since,
            "tried": tried,
            "matched": matched,
            "days": days,
            "actions": rule_words.actions(rule, lang),
        }

    # -- pages -----------------------------------------------------------------------------

    def listing(
        self,
        request: Request,
        user: Principal,
        *,
        saved: int | None = None,
        new: RuleForm | None = None,
        trial: dict[str, Any] | None = None,
        dry_name: str = "",
        dry_days: str = "7",
        problems: list[str] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        lang = request_lang(request, user)
        with self.runtime.engine.connect() as conn:
            stored = latest(conn)
        return render(
            request,
            "inbox_rules.html",
            user,
            nav="inbox",
            status_code=status_code,
            rows=self.rows(lang),
            stored=stored,
            saved=saved,
            form=new or RuleForm(),
            can_manage=user.can(Permission.MANAGE_RULES),
            trial=trial,
            dry_name=dry_name,
            dry_days=dry_days,
            problems=problems or [],
        )

    def editor(
        self,
        request: Request,
        user: Principal,
        form: RuleForm,
        *,
        new: bool,
        trial: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        return render(
            request,
            "inbox_rule.html",
            user,
            nav="inbox",
            status_code=status_code,
            form=form,
            new=new,
            trial=trial,
            channels=sorted(ch.key for ch in self.runtime.workspace.config.channels),
            priorities=[p.value for p in Priority],
            sentiments=["negative", "neutral", "positive"],
        )

    def not_found(self, request: Request, user: Principal, name: str) -> HTMLResponse:
        return render(
            request,
            "error.html",
            user,
            nav="inbox",
            status_code=404,
            message=t("rules.no_rule", request_lang(request, user), name=name),
        )

    # -- changing --------------------------------------------------------------------------

    def file_text(self) -> str:
        """The workspace file's text: what the first stored version starts from."""
        return self.runtime.workspace.path.read_text(encoding="utf-8")

    def after(self, saved: Saved, name: str = "") -> RedirectResponse:
        self.runtime.reload_if_changed()  # in force here at once, as after an API change
        anchor = f"#rule-{quote(name)}" if name else ""
        return RedirectResponse(f"/inbox/rules?saved={saved.stored.version}{anchor}", status_code=303)

    def put(self, user: Principal, name: str, value: Any) -> Saved:
        with self.runtime.engine.begin() as conn:
            return put_item(
                conn,
                self.file_text(),
                Kind.RULES,
                name,
                value,
                actor=user.actor,
                at=self.runtime.runner.clock.now(),
                ip=user.ip,
            )

    def submit(
        self, request: Request, user: Principal, fields: dict[str, list[str]], *, name: str, new: bool
    ) -> Response:
        """Save the typed rule, or try it without saving (``action=try``); ``quick-save`` and
        ``quick-try`` take the rule from the small form's fields instead of the text. Refused: the
        editor again with the text and the fields as typed and every problem, the ones about the
        name beside it."""
        lang = request_lang(request, user)
        action = first(fields, "action", "save")
        quick = action.startswith("quick-")
        form = RuleForm(
            name=name,
            text=first(fields, "text"),
            days=first(fields, "days", "7"),
            quick={k: fields[k] for k in QUICK_FIELDS if k in fields} if quick else {},
        )
        where = f"inbox.rules[name={name}]"
        try:
            if not name:
                form.name_problems.append(t("rules.name_hint", lang))
                raise RuleTextError("")
            value = quick_value(fields) if quick else parse(form.text, lang)
            if action in ("try", "quick-try"):
                days, bad = _days(form.days, lang)
                if bad:
                    form.problems.append(bad)
                    raise RuleTextError("")
                trial = self.trial(rule_of(name, value), days, lang)
                return self.editor(request, user, form, new=new, trial=trial)
            if new and self.find(name) is not None:
                form.name_problems.append(t("rules.exists", lang, name=name))
                raise RuleTextError("")
            if not new and self.find(name) is None:
                return self.not_found(request, user, name)
            saved = self.put(user, name, value)
        except RuleTextError as exc:
            if str(exc):
                form.problems.append(str(exc))
        except ConfigError as exc:
            for problem in exc.problem.split("; "):
                about_name = problem.startswith(f"{where}: ")
                (form.name_problems if about_name and new else form.problems).append(problem)
        else:
            return self.after(saved, name)
        return self.editor(request, user, form, new=new, status_code=422)


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    pages = RulePages(runtime)

    @r.get("/inbox/rules", response_class=HTMLResponse)
    def rules(
        request: Request, user: Viewer, saved: str = "", dry_run: str = "", days: str = "7"
    ) -> Response:
        """The list; ``dry_run=<name>`` also tries that stored rule (``manage_rules``)."""
        if not dry_run:
            return pages.listing(request, user, saved=int(saved) if saved.isdigit() else None)
        if not user.can(Permission.MANAGE_RULES):
            raise PermissionDenied(f"missing permission: {Permission.MANAGE_RULES.value}")
        lang = request_lang(request, user)
        number, bad = _days(days, lang)
        item = pages.find(dry_run)
        problems = [bad] if bad else []
        if item is None:
            problems.append(t("rules.no_rule", lang, name=dry_run))
        if problems or item is None:
            return pages.listing(
                request,
                user,
                dry_name=dry_run,
                dry_days=days,
                problems=problems,
                status_code=404 if item is None else 422,
            )
        trial = pages.trial(RuleConfig.model_validate(item.value), number, lang)
        return pages.listing(request, user, trial=trial, dry_name=dry_run, dry_days=days)

    @r.get("/inbox/rules/new", response_class=HTMLResponse)
    def new_rule(request: Request, user: Manager) -> HTMLResponse:
        return pages.editor(request, user, RuleForm(), new=True)

    @r.post("/inbox/rules")
    def create(request: Request, user: Manager, fields: Fields) -> Response:
        return pages.submit(request, user, fields, name=first(fields, "name").strip(), new=True)

    # The editor is /{name}/edit, so that no rule name ("new") is taken by another page.
    @r.get("/inbox/rules/{name}/edit", response_class=HTMLResponse)
    def edit(request: Request, name: str, user: Manager) -> HTMLResponse:
        item = pages.find(name)
        if item is None:
            return pages.not_found(request, user, name)
        return pages.editor(request, user, RuleForm(name=name, text=to_text(item.value)), new=False)

    @r.post("/inbox/rules/{name}/edit")
    def save(request: Request, name: str, user: Manager, fields: Fields) -> Response:
        return pages.submit(request, user, fields, name=name, new=False)

    @r.post("/inbox/rules/{name}/enabled")
    def switch(request: Request, name: str, user: Manager, fields: Fields) -> Response:
        item = pages.find(name)
        if item is None:
            return pages.not_found(request, user, name)
        value = {**item.value, "enabled": first(fields, "enabled") == "true"}
        try:
            saved = pages.put(user, name, value)
        except ConfigError as exc:
            return pages.listing(request, user, problems=exc.problem.split("; "), status_code=422)
        return pages.after(saved, name)

    @r.post("/inbox/rules/{name}/move")
    def move(request: Request, name: str, user: Manager, fields: Fields) -> Response:
        names = [i.key for i in pages.items()]
        if name not in names:
            return pages.not_found(request, user, name)
        step = {"up": -1, "down": 1}.get(first(fields, "to"))
        if step is None:  # not a button of the page: nothing to store
            return RedirectResponse("/inbox/rules", status_code=303)
        try:
            with runtime.engine.begin() as conn:
                saved = move_item(
                    conn,
                    pages.file_text(),
                    Kind.RULES,
                    name,
                    names.index(name) + step,
                    actor=user.actor,
                    at=runtime.runner.clock.now(),
                    ip=user.ip,
                )
        except ItemNotFound:
            return pages.not_found(request, user, name)
        return pages.after(saved, name)

    @r.post("/inbox/rules/{name}/delete")
    def delete(request: Request, name: str, user: Manager) -> Response:
        try:
            with runtime.engine.begin() as conn:
                saved = delete_item(
                    conn,
                    pages.file_text(),
                    Kind.RULES,
                    name,
                    actor=user.actor,
                    at=runtime.runner.clock.now(),
                    ip=user.ip,
                )
        except ItemNotFound:
            return pages.not_found(request, user, name)
        except ConfigError as exc:
            return pages.listing(request, user, problems=exc.problem.split("; "), status_code=422)
        return pages.after(saved)

    return r
