"""German and English texts of the approval of public replies: the queue, its forms, and what the
conversation page says of held and rejected replies."""

from __future__ import annotations

from typing import Literal

APPROVAL_MESSAGES: dict[str, dict[Literal["de", "en"], str]] = {
    "nav.approvals": {"de": "Freigaben", "en": "Approvals"},
    "approval.badge": {"de": "{count} warten auf Freigabe", "en": "{count} awaiting approval"},
    "approval.intro": {
        "de": "Öffentliche Antworten auf Gespräche einer Krise ab ihrer Freigabestufe veröffentlichen nur "
              "ihre Sprecher:innen; alle anderen warten hier auf Freigabe.",
        "en": "Public replies on the conversations of a crisis at or above its approval level are published "
              "only by its spokespersons; everyone else's wait here for approval.",
    },
    "approval.none": {"de": "Keine Antwort wartet auf Freigabe.", "en": "No reply is awaiting approval."},
    "approval.reply_by": {"de": "Antwort von {author}", "en": "Reply by {author}"},
    "approval.findings": {"de": "Antwort-Prüfung beim Einreichen", "en": "Reply check when submitted"},
    "approval.no_findings": {"de": "Die Prüfung fand nichts.", "en": "The check found nothing."},
    "approval.approvers": {"de": "Freigeben dürfen: {who}", "en": "May approve: {who}"},
    "approval.anyone_approving": {"de": "alle mit dem Recht, Antworten freizugeben",
                                  "en": "everyone allowed to approve replies"},
    "approval.not_yours": {"de": "Diese Antwort geben die Sprecher:innen der Krise frei, nicht Sie.",
                           "en": "The crisis's spokespersons approve this reply, not you."},
    "approval.approve": {"de": "Freigeben", "en": "Approve"},
    "approval.edit_label": {"de": "Text bearbeiten", "en": "Edit the text"},
    "approval.edit_approve": {"de": "Bearbeitet freigeben", "en": "Edit and approve"},
    "approval.comment_label": {"de": "Begründung für die Autorin / den Autor",
                               "en": "Comment for the author"},
    "approval.reject": {"de": "Ablehnen", "en": "Reject"},
    "approval.done.approved": {"de": "Freigegeben; die Antwort wird gleich gesendet.",
                               "en": "Approved; the reply is sent now."},
    "approval.done.rejected": {"de": "Abgelehnt; die Antwort wird nicht gesendet.",
                               "en": "Rejected; the reply will not be sent."},
    "approval.error.not_yours": {"de": "Nur die Sprecher:innen dieser Krise entscheiden darüber.",
                                 "en": "Only this crisis's spokespersons decide on it."},
    "approval.error.gone": {"de": "Diese Antwort wartet nicht (mehr) auf Freigabe.",
                            "en": "This reply is not (or no longer) awaiting approval."},
    "approval.error.decided": {"de": "Über diese Antwort wurde schon entschieden.",
                               "en": "This reply was decided on already."},
    "approval.error.comment": {"de": "Eine Ablehnung braucht eine Begründung.",
                               "en": "A rejection needs a comment."},
    "approval.error.text": {"de": "Der bearbeitete Text darf nicht leer oder zu lang sein.",
                            "en": "The edited text must not be empty or too long."},
    "approval.held_note": {"de": "Wartet auf Freigabe durch eine Sprecherin / einen Sprecher "
                                 "(Krise #{crisis}).",
                           "en": "Awaiting approval by a spokesperson (crisis #{crisis})."},
    "approval.to_queue": {"de": "Zu den Freigaben", "en": "To the approvals"},
    "approval.rejected_note": {"de": "Abgelehnt von {by}", "en": "Rejected by {by}"},
    "approval.warning": {
        "de": "Krise #{crisis} (Stufe {level}): öffentliche Antworten hier gibt eine Sprecherin / ein "
              "Sprecher frei, bevor sie gesendet werden. Private Antworten gehen wie gewohnt.",
        "en": "Crisis #{crisis} (level {level}): public replies here are approved by a spokesperson before "
              "they are sent. Private replies go out as usual.",
    },
    "inbox.done.held": {"de": "Ihre öffentliche Antwort wartet auf Freigabe durch eine Sprecherin / einen "
                              "Sprecher der Krise.",
                        "en": "Your public reply is awaiting approval by a spokesperson of the crisis."},
    "inbox.out.awaiting_approval": {"de": "wartet auf Freigabe", "en": "awaiting approval"},
    "inbox.out.rejected": {"de": "abgelehnt", "en": "rejected"},
    "channels.outbox.awaiting_approval": {"de": "wartet auf Freigabe", "en": "awaiting approval"},
    "channels.outbox.rejected": {"de": "abgelehnt", "en": "rejected"},
}
