"""German and English texts of the crisis pages."""

from __future__ import annotations

from typing import Literal

CRISIS_MESSAGES: dict[str, dict[Literal["de", "en"], str]] = {
    "nav.crises": {"de": "Krisen", "en": "Crises"},
    "crises.intro": {
        "de": "Eine Krise fasst die Lagen eines Ereignisses zusammen, über Monitore und Ursachen hinweg.",
        "en": "A crisis groups the situations of one event, across monitors and causes.",
    },
    "crises.what": {"de": "Worum es geht", "en": "What it is about"},
    "crises.monitors": {"de": "Monitore", "en": "Monitors"},
    "crises.situations": {"de": "Lagen", "en": "Situations"},
    "crises.none": {"de": "Keine Krisen.", "en": "No crises."},
    "crisis.title": {"de": "Krise #{id}", "en": "Crisis #{id}"},
    "crisis.resolved_at": {"de": "beendet", "en": "resolved"},
    "crisis.calm_title": {"de": "Ruhig – beenden, wenn die Arbeit getan ist",
                          "en": "Calm – end it when the work is done"},
    "crisis.calm_since": {"de": "Alle Lagen dieser Krise sind seit {at} ruhig. Jemand hat sie übernommen "
                                "(Typ bestätigt), darum endet sie erst, wenn eine Person sie beendet.",
                          "en": "All situations of this crisis have been calm since {at}. Someone took "
                                "charge of it (type confirmed), so it ends when a person ends it."},
    "crisis.resolve": {"de": "Krise beenden", "en": "End the crisis"},
    "crisis.resolve_note": {"de": "Notiz (optional)", "en": "Note (optional)"},
    "crisis.why": {"de": "Warum hier", "en": "Why here"},
    "crisis.severity_why": {"de": "Warum diese Stufe", "en": "Why this level"},
    "crisis.timeline": {"de": "Verlauf", "en": "Timeline"},
    "crisis.type": {"de": "Krisentyp", "en": "Crisis type"},
    "crisis.type_confirmed": {"de": "bestätigt von {who}", "en": "confirmed by {who}"},
    "crisis.type_suggested": {"de": "Vorschlag – bitte bestätigen", "en": "suggested – please confirm"},
    "crisis.type_none": {"de": "Noch kein Typ erkannt.", "en": "No type recognised yet."},
    "crisis.type_confirm": {"de": "Typ bestätigen", "en": "Confirm type"},
    "crisis.spokespersons": {"de": "Sprecher:innen", "en": "Spokespersons"},
    "crisis.spokespersons_any": {"de": "alle, die Antworten freigeben dürfen",
                                 "en": "everyone allowed to approve replies"},
    "crisis.nobody": {"de": "niemand ({ref})", "en": "nobody ({ref})"},
    "crisis.involve": {"de": "Jetzt einbinden", "en": "Involve now"},
    "crisis.approval": {"de": "Freigabe", "en": "Approval"},
    "crisis.approval_from": {
        "de": "Ab Stufe {level} gehen öffentliche Antworten nur mit Freigabe einer Sprecherin / eines "
              "Sprechers hinaus.",
        "en": "From level {level}, public replies go out only with a spokesperson's approval."},
    "crisis.conversations": {"de": "Unterhaltungen im Posteingang", "en": "Conversations in the inbox"},
    "crisis.approval_queue": {"de": "Zur Freigabe-Warteschlange", "en": "To the approval queue"},
    "crisis.answer_on": {"de": "Antworten auf", "en": "Answer on"},
    "crisis.answer_on.where_known": {"de": "den Kanälen, auf denen es bekannt wurde",
                                     "en": "the channels where it became known"},
    "crisis.answer_on.all": {"de": "allen Kanälen", "en": "every channel"},
    "crisis.holding_statement": {"de": "Holding Statement", "en": "Holding statement"},
    "crisis.tasks": {"de": "Aufgaben", "en": "Tasks"},
    "crisis.tasks_none": {"de": "Keine Aufgaben – bestätigen Sie den Typ, dann wird die Checkliste zu "
                                "Aufgaben.",
                          "en": "No tasks – confirm the type and its checklist becomes tasks."},
    "crisis.task_done": {"de": "Als erledigt markieren", "en": "Mark as done"},
    "crisis.task_reopen": {"de": "Wieder öffnen", "en": "Reopen"},
    "crisis.task_done_by": {"de": "erledigt von {who}", "en": "done by {who}"},
    "crisis.task_due": {"de": "fällig", "en": "due"},
    "crisis.task_overdue": {"de": "überfällig", "en": "overdue"},
    "settings.section.plans": {"de": "Pläne", "en": "Plans"},
    "plans.findings": {"de": "Was zu tun ist", "en": "What needs doing"},
    "plans.intro": {
        "de": "Ein Plan, den niemand pflegt, versagt, wenn man ihn braucht. Diese Punkte gehen auch einmal "
              "im Monat an die Verantwortlichen (sonst an die Krisenleitung).",
        "en": "A plan nobody keeps fails when it is needed. These points also go to their owners (else the "
              "crisis lead) once a month."},
    "plans.all_current": {"de": "Alle Pläne sind aktuell.", "en": "Every plan is current."},
    "plans.code.no_owner": {"de": "Ohne Verantwortliche", "en": "No owner"},
    "plans.code.no_review_date": {"de": "Ohne Prüfdatum", "en": "No review date"},
    "plans.code.review_overdue": {"de": "Prüfung überfällig", "en": "Review overdue"},
    "plans.code.left": {"de": "Ausgeschieden, noch genannt", "en": "Left, still named"},
    "plans.code.role_empty": {"de": "Rolle unbesetzt", "en": "Role without holder"},
    "plans.code.improvement_overdue": {"de": "Maßnahme überfällig", "en": "Action overdue"},
    "plans.playbooks": {"de": "Playbooks und Kontaktliste", "en": "Playbooks and contact list"},
    "plans.owner": {"de": "Verantwortlich", "en": "Owner"},
    "plans.review_by": {"de": "Nächste Prüfung", "en": "Next review"},
    "plans.contacts": {"de": "Kontaktliste (Personen, Rollen, Ziele)",
                       "en": "Contact list (people, roles, targets)"},
    "plans.how": {
        "de": "Verantwortliche und Prüfdatum stehen in der Workspace-Datei: owner und review_by je Krisentyp "
              "(crisis_types) und unter contacts_review.",
        "en": "Owners and review dates live in the workspace file: owner and review_by per crisis type "
              "(crisis_types) and under contacts_review."},
    "overview.open_crises": {"de": "Offene Krisen", "en": "Open crises"},
    "overview.other_situations": {"de": "Lagen ohne Krise", "en": "Situations in no crisis"},
    "overview.crisis_situations": {"de": "{count} Lagen", "en": "{count} situations"},
}
