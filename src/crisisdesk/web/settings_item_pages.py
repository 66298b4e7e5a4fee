"""Settings one item at a time: the pages that list and edit monitors, notification targets,
people and roles, and escalation policies (the YAML document stays in settings_pages.py).

Every change goes through :mod:`crisisdesk.configuration.items`, the functions behind
``/api/v1/config/{kind}/{key}``, so a form, the API and the file agree on what is valid. A stored
change redirects back to the list (post/redirect/get) with "Saved as version N"; a refused one
shows the form again as typed, every problem listed and tied to its field (422). Reading needs
MANAGE_MONITORS, as for the whole hub; changing a kind needs what the API asks for it
(``EDIT_PERMISSION``), checked here on every POST, whatever the page showed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.configuration.item_views import EDIT_PERMISSION
from crisisdesk.configuration.items import (
    Item,
    ItemNotFound,
    Kind,
    Saved,
    delete_item,
    list_items,
    put_item,
)
from crisisdesk.configuration.service import export_text, latest
from crisisdesk.core.errors import ConfigError
from crisisdesk.escalation.config import DEFAULT_ROLES
from crisisdesk.notify.schemas import TargetKind
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import t
from crisisdesk.web.settings_forms import (
    WEEKDAYS,
    FormFields,
    ItemForm,
    MonitorForm,
    PersonForm,
    PolicyForm,
    Problem,
    RoleForm,
    item_place,
    link_problems,
)
from crisisdesk.web.settings_target_forms import TARGET_FIELDS, TargetForm, target_where
from crisisdesk.web.templating import render, request_lang

SEVERITIES = (1, 2, 3, 4)


async def submitted(request: Request) -> FormFields:
    return FormFields((await request.form()).multi_items())


Fields = Annotated[FormFields, Depends(submitted)]
Reader = Annotated[Principal, Depends(require(Permission.MANAGE_MONITORS))]
MonitorEditor = Annotated[Principal, Depends(require(EDIT_PERMISSION[Kind.MONITORS]))]
TargetEditor = Annotated[Principal, Depends(require(EDIT_PERMISSION[Kind.TARGETS]))]
PeopleEditor = Annotated[Principal, Depends(require(EDIT_PERMISSION[Kind.PEOPLE]))]
RoleEditor = Annotated[Principal, Depends(require(EDIT_PERMISSION[Kind.ROLES]))]
PolicyEditor = Annotated[Principal, Depends(require(EDIT_PERMISSION[Kind.POLICIES]))]


class Hub:
    """What every settings page needs: the document in force, storing a change, rendering."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def items(self, kind: Kind) -> list[Item]:
        return list_items(export_text(self.runtime.engine, self.runtime.workspace), kind)

    def find(self, kind: Kind, key: str) -> Item | None:
        return next((i for i in self.items(kind) if i.key == key), None)

    def store(self, request: Request, user: Principal, kind: Kind, form: ItemForm, *,
              new: bool) -> Saved | None:
        """Store the form's item; None when refused, the problems then on the form. A new item
        never replaces one of the same name (the service would: it creates or replaces)."""
        if new and self.find(kind, form.key) is not None:
            message = t("settings.exists", request_lang(request, user), name=form.key)
            form.problems = [Problem(message, form.fields()[""])]
            return None
        try:
            with self.runtime.engine.begin() as conn:
                saved = put_item(conn, self._file(), kind, form.key, form.value(), actor=user.actor,
                                 at=self.runtime.runner.clock.now(), ip=user.ip)
        except ConfigError as exc:
            form.problems = link_problems(exc.problem, item_place(kind, form.key), form.fields())
            return None
        self.runtime.reload_if_changed()  # in force here at once, as after an API change
        return saved

    def remove(self, user: Principal, kind: Kind, key: str) -> Saved | list[Problem]:
        """Delete one item, or the places that still refer to it. ItemNotFound passes."""
        try:
            with self.runtime.engine.begin() as conn:
                saved = delete_item(conn, self._file(), kind, key, actor=user.actor,
                                    at=self.runtime.runner.clock.now(), ip=user.ip)
        except ConfigError as exc:
            return [Problem(p) for p in exc.problem.split("; ")]
        self.runtime.reload_if_changed()
        return saved

    def delete(self, request: Request, user: Principal, kind: Kind, key: str, *, back_to: str,
               listing: Callable[..., HTMLResponse], anchor: str = "") -> Response:
        """A delete button's answer: back to the list, or the list with the places that still
        refer to the item (422), or 404."""
        try:
            result = self.remove(user, kind, key)
        except ItemNotFound:
            return self.not_found(request, user)
        if isinstance(result, Saved):
            return back(back_to, result, anchor)
        return listing(request, user, problems=result, status_code=422)

    def page(self, request: Request, user: Principal, template: str, *, section: str,
             kind: Kind | None = None, status_code: int = 200, **context: Any) -> HTMLResponse:
        with self.runtime.engine.connect() as conn:
            stored = latest(conn)
        can_edit = user.can(EDIT_PERMISSION[kind]) if kind is not None else False
        context.setdefault("problems", [])
        context.setdefault("saved", None)
        return render(request, template, user, nav="settings", section=section, stored=stored,
                      can_edit=can_edit, status_code=status_code, **context)

    def not_found(self, request: Request, user: Principal) -> HTMLResponse:
        return render(request, "error.html", user, message=t("error.not_found", request_lang(request, user)),
                      status_code=404)

    def _file(self) -> str:
        """The workspace file's text: what the first stored version starts from."""
        return self.runtime.workspace.path.read_text(encoding="utf-8")


def version(saved: str) -> int | None:
    """The version a redirect after a save names (anything else in the address is ignored)."""
    return int(saved) if saved.isdigit() else None


def back(path: str, saved: Saved, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{path}?saved={saved.stored.version}{anchor}", status_code=303)


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    hub = Hub(runtime)
    _monitors(r, hub)
    _targets(r, hub)
    _people(r, hub)
    _policies(r, hub)
    return r


# --------------------------------------------------------------------------------------------
# Monitors


def _monitors(r: APIRouter, hub: Hub) -> None:
    def listing(request: Request, user: Principal, *, new: MonitorForm | None = None,
                problems: Sequence[Problem] = (), saved: int | None = None,
                status_code: int = 200) -> HTMLResponse:
        return hub.page(request, user, "settings_monitors.html", section="monitors", kind=Kind.MONITORS,
                        items=hub.items(Kind.MONITORS), form=new or MonitorForm(), problems=list(problems),
                        saved=saved, status_code=status_code)

    def edit(request: Request, user: Principal, form: MonitorForm, status_code: int = 200) -> HTMLResponse:
        return hub.page(request, user, "settings_monitor.html", section="monitors", kind=Kind.MONITORS,
                        form=form, problems=form.problems, status_code=status_code)

    @r.get("/settings/monitors", response_class=HTMLResponse)
    def monitors(request: Request, user: Reader, saved: str = "") -> HTMLResponse:
        return listing(request, user, saved=version(saved))

    @r.post("/settings/monitors")
    def create_monitor(request: Request, user: MonitorEditor, fields: Fields) -> Response:
        form = MonitorForm.from_form(fields, fields.get("name"))
        saved = hub.store(request, user, Kind.MONITORS, form, new=True)
        if saved is None:
            return listing(request, user, new=form, problems=form.problems, status_code=422)
        return back("/settings/monitors", saved)

    @r.get("/settings/monitors/{key}", response_class=HTMLResponse)
    def monitor(request: Request, key: str, user: Reader) -> HTMLResponse:
        item = hub.find(Kind.MONITORS, key)
        if item is None:
            return hub.not_found(request, user)
        return edit(request, user, MonitorForm.from_item(item))

    @r.post("/settings/monitors/{key}")
    def save_monitor(request: Request, key: str, user: MonitorEditor, fields: Fields) -> Response:
        form = MonitorForm.from_form(fields, key)  # the name is the address: no renaming
        saved = hub.store(request, user, Kind.MONITORS, form, new=False)
        return back("/settings/monitors", saved) if saved else edit(request, user, form, 422)

    @r.post("/settings/monitors/{key}/delete")
    def delete_monitor(request: Request, key: str, user: MonitorEditor) -> Response:
        return hub.delete(request, user, Kind.MONITORS, key, back_to="/settings/monitors", listing=listing)


# --------------------------------------------------------------------------------------------
# Notification targets


def _targets(r: APIRouter, hub: Hub) -> None:
    common = {"kinds": [k.value for k in TargetKind],
              "fields": {k.value: v for k, v in TARGET_FIELDS.items()}}

    def listing(request: Request, user: Principal, *, new: TargetForm | None = None,
                problems: Sequence[Problem] = (), saved: int | None = None,
                status_code: int = 200) -> HTMLResponse:
        rows = [(item, target_where(item.value)) for item in hub.items(Kind.TARGETS)]
        return hub.page(request, user, "settings_targets.html", section="targets", kind=Kind.TARGETS,
                        rows=rows, form=new or TargetForm(), problems=list(problems), saved=saved,
                        status_code=status_code, **common)

    def edit(request: Request, user: Principal, form: TargetForm, status_code: int = 200) -> HTMLResponse:
        return hub.page(request, user, "settings_target.html", section="targets", kind=Kind.TARGETS,
                        form=form, problems=form.problems, status_code=status_code, **common)

    @r.get("/settings/targets", response_class=HTMLResponse)
    def targets(request: Request, user: Reader, saved: str = "") -> HTMLResponse:
        return listing(request, user, saved=version(saved))

    @r.post("/settings/targets")
    def create_target(request: Request, user: TargetEditor, fields: Fields) -> Response:
        form = TargetForm.from_form(fields, fields.get("name"))
        saved = hub.store(request, user, Kind.TARGETS, form, new=True)
        if saved is None:
            return listing(request, user, new=form, problems=form.problems, status_code=422)
        return back("/settings/targets", saved)

    @r.get("/settings/targets/{key}", response_class=HTMLResponse)
    def target(request: Request, key: str, user: Reader) -> HTMLResponse:
        item = hub.find(Kind.TARGETS, key)
        if item is None:
            return hub.not_found(request, user)
        return edit(request, user, TargetForm.from_item(item))

    @r.post("/settings/targets/{key}")
    def save_target(request: Request, key: str, user: TargetEditor, fields: Fields) -> Response:
        stored = hub.find(Kind.TARGETS, key)
        form = TargetForm.from_form(fields, key, kept=TargetForm.from_item(stored).kept if stored else None)
        saved = hub.store(request, user, Kind.TARGETS, form, new=False)
        return back("/settings/targets", saved) if saved else edit(request, user, form, 422)

    @r.post("/settings/targets/{key}/delete")
    def delete_target(request: Request, key: str, user: TargetEditor) -> Response:
        return hub.delete(request, user, Kind.TARGETS, key, back_to="/settings/targets", listing=listing)


# --------------------------------------------------------------------------------------------
# People and roles (one page: a role is a list of people)


def _people(r: APIRouter, hub: Hub) -> None:
    def choices(request: Request, user: Principal) -> dict[str, Any]:
        """What the person form offers: (value, label) pairs for its checkboxes."""
        lang = request_lang(request, user)
        return {"target_options": [(i.key, i.key) for i in hub.items(Kind.TARGETS)],
                "day_options": [(d, t(f"day.{d}", lang)) for d in WEEKDAYS]}

    def listing(request: Request, user: Principal, *, new: PersonForm | None = None,
                role: RoleForm | None = None, problems: Sequence[Problem] = (), saved: int | None = None,
                status_code: int = 200) -> HTMLResponse:
        """``role``: a role form refused, shown as typed (a new role when its key is not stored)."""
        roles = hub.items(Kind.ROLES)
        people = hub.items(Kind.PEOPLE)
        suggestions = [name for name in DEFAULT_ROLES if name not in {i.key for i in roles}]
        return hub.page(request, user, "settings_people.html", section="people", kind=Kind.PEOPLE,
                        people=people, roles=roles, suggestions=suggestions,
                        people_options=[(i.key, f"{i.value.get('name') or i.key} ({i.key})") for i in people],
                        form=new or PersonForm(), role=role or RoleForm(new=True), problems=list(problems),
                        saved=saved, status_code=status_code,
                        can_edit_roles=user.can(EDIT_PERMISSION[Kind.ROLES]), **choices(request, user))

    def edit(request: Request, user: Principal, form: PersonForm, status_code: int = 200) -> HTMLResponse:
        return hub.page(request, user, "settings_person.html", section="people", kind=Kind.PEOPLE, form=form,
                        problems=form.problems, status_code=status_code, **choices(request, user))

    @r.get("/settings/people", response_class=HTMLResponse)
    def people(request: Request, user: Reader, saved: str = "") -> HTMLResponse:
        return listing(request, user, saved=version(saved))

    @r.post("/settings/people")
    def create_person(request: Request, user: PeopleEditor, fields: Fields) -> Response:
        form = PersonForm.from_form(fields, fields.get("key"))
        saved = hub.store(request, user, Kind.PEOPLE, form, new=True)
        if saved is None:
            return listing(request, user, new=form, problems=form.problems, status_code=422)
        return back("/settings/people", saved)

    @r.get("/settings/people/{key}", response_class=HTMLResponse)
    def person(request: Request, key: str, user: Reader) -> HTMLResponse:
        item = hub.find(Kind.PEOPLE, key)
        if item is None:
            return hub.not_found(request, user)
        return edit(request, user, PersonForm.from_item(item))

    @r.post("/settings/people/{key}")
    def save_person(request: Request, key: str, user: PeopleEditor, fields: Fields) -> Response:
        form = PersonForm.from_form(fields, key)
        saved = hub.store(request, user, Kind.PEOPLE, form, new=False)
        return back("/settings/people", saved) if saved else edit(request, user, form, 422)

    @r.post("/settings/people/{key}/delete")
    def delete_person(request: Request, key: str, user: PeopleEditor) -> Response:
        return hub.delete(request, user, Kind.PEOPLE, key, back_to="/settings/people", listing=listing)

    def store_role(request: Request, user: Principal, form: RoleForm, *, new: bool) -> Response:
        saved = hub.store(request, user, Kind.ROLES, form, new=new)
        if saved is None:
            return listing(request, user, role=form, problems=form.problems, status_code=422)
        return back("/settings/people", saved, "#roles")

    @r.post("/settings/roles")
    def create_role(request: Request, user: RoleEditor, fields: Fields) -> Response:
        return store_role(request, user, RoleForm.from_form(fields, fields.get("role"), new=True), new=True)

    @r.post("/settings/roles/{key}")
    def save_role(request: Request, key: str, user: RoleEditor, fields: Fields) -> Response:
        return store_role(request, user, RoleForm.from_form(fields, key, new=False), new=False)

    @r.post("/settings/roles/{key}/delete")
    def delete_role(request: Request, key: str, user: RoleEditor) -> Response:
        return hub.delete(request, user, Kind.ROLES, key, back_to="/settings/people", listing=listing,
                          anchor="#roles")


# --------------------------------------------------------------------------------------------
# Escalation policies


def _policies(r: APIRouter, hub: Hub) -> None:
    def levels(request: Request, user: Principal) -> dict[int, str]:
        """The playbook's name of each severity, in the reader's language."""
        playbook = hub.runtime.workspace.config.playbook
        lang = request_lang(request, user)
        return {n: playbook.name(n, lang) for n in SEVERITIES}

    def edit(request: Request, user: Principal, form: PolicyForm, status_code: int = 200) -> HTMLResponse:
        chosen = {r for step in form.steps for r in step.notify}
        people = {i.key: str(i.value.get("name") or i.key) for i in hub.items(Kind.PEOPLE)}
        groups = {"role": [(k, k) for k in (i.key for i in hub.items(Kind.ROLES))],
                  "person": list(people.items()),
                  "target": [(k, k) for k in (i.key for i in hub.items(Kind.TARGETS))]}
        for recipient in sorted(chosen):  # still offered if it went missing, so it is not lost unseen
            kind, _, name = recipient.partition(":")
            if kind in groups and name not in {k for k, _ in groups[kind]}:
                groups[kind].append((name, name))
        return hub.page(request, user, "settings_policy.html", section="policies", kind=Kind.POLICIES,
                        form=form, severity=int(form.key), level=levels(request, user)[int(form.key)],
                        groups=groups, exists=hub.find(Kind.POLICIES, form.key) is not None,
                        problems=form.problems, status_code=status_code)

    def listing(request: Request, user: Principal, *, problems: Sequence[Problem] = (),
                saved: int | None = None, status_code: int = 200) -> HTMLResponse:
        policies = {int(i.key): i.value for i in hub.items(Kind.POLICIES) if i.key.isdigit()}
        return hub.page(request, user, "settings_policies.html", section="policies", kind=Kind.POLICIES,
                        policies=policies, levels=levels(request, user), problems=list(problems), saved=saved,
                        status_code=status_code)

    @r.get("/settings/policies", response_class=HTMLResponse)
    def policies(request: Request, user: Reader, saved: str = "") -> HTMLResponse:
        return listing(request, user, saved=version(saved))

    @r.get("/settings/policies/{severity}", response_class=HTMLResponse)
    def policy(request: Request, severity: int, user: Reader) -> HTMLResponse:
        if severity not in SEVERITIES:
            return hub.not_found(request, user)
        item = hub.find(Kind.POLICIES, str(severity))
        return edit(request, user, PolicyForm.from_item(item) if item else PolicyForm(str(severity)))

    @r.post("/settings/policies/{severity}")
    def save_policy(request: Request, severity: int, user: PolicyEditor, fields: Fields) -> Response:
        if severity not in SEVERITIES:
            return hub.not_found(request, user)
        form = PolicyForm.from_form(fields, str(severity))
        saved = hub.store(request, user, Kind.POLICIES, form, new=False)
        return back("/settings/policies", saved) if saved else edit(request, user, form, 422)

    @r.post("/settings/policies/{severity}/delete")
    def delete_policy(request: Request, severity: int, user: PolicyEditor) -> Response:
        return hub.delete(request, user, Kind.POLICIES, str(severity), back_to="/settings/policies",
                          listing=listing)

