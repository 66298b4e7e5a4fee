"""The words of the mails a list sends, in German and English (the pages' words are in
``crisisdesk.web.i18n_status``; the domain does not import the web)."""

from __future__ import annotations

from typing import Literal

MailLang = Literal["de", "en"]

MAIL_TEXTS: dict[str, dict[MailLang, str]] = {
    "confirm.subject": {"de": "Bitte bestätigen Sie Ihr Abonnement: {title}",
                        "en": "Please confirm your subscription: {title}"},
    "confirm.body": {
        "de": "Hallo,\n\njemand (hoffentlich Sie) hat diese Adresse für E-Mails mit den Neuigkeiten von "
              "„{title}“ eingetragen.\n\nBitte bestätigen Sie das mit einem Klick auf diesen Link:\n"
              "{link}\n\n"
              "Der Link gilt {days} Tage. Wenn Sie sich nicht eingetragen haben, ignorieren Sie diese "
              "E-Mail einfach: Ohne Bestätigung schicken wir Ihnen nichts.",
        "en": "Hello,\n\nsomeone (hopefully you) entered this address to receive the updates of "
              "“{title}” by e-mail.\n\nPlease confirm with a click on this link:\n{link}\n\n"
              "The link is valid for {days} days. If you did not sign up, simply ignore this mail: "
              "without a confirmation we send you nothing.",
    },
    "confirm.button": {"de": "Abonnement bestätigen", "en": "Confirm my subscription"},
    "update.phase.investigating": {"de": "Wir prüfen", "en": "Investigating"},
    "update.phase.identified": {"de": "Ursache erkannt", "en": "Identified"},
    "update.phase.monitoring": {"de": "Wir beobachten", "en": "Monitoring"},
    "update.phase.resolved": {"de": "Behoben", "en": "Resolved"},
    "update.page": {"de": "Alle Meldungen: {link}", "en": "All updates: {link}"},
    "update.why_page": {
        "de": "Sie erhalten diese E-Mail, weil Sie die Neuigkeiten von „{title}“ abonniert haben.",
        "en": "You receive this mail because you subscribed to the updates of “{title}”.",
    },
    "update.why_list": {
        "de": "Sie erhalten diese E-Mail, weil Ihre Adresse auf unserer Verteilerliste „{title}“ steht.",
        "en": "You receive this mail because your address is on our mailing list “{title}”.",
    },
    "update.unsubscribe": {"de": "Abbestellen: {link}", "en": "Unsubscribe: {link}"},
    "update.unsubscribe_link": {"de": "Abbestellen", "en": "Unsubscribe"},
}


def mail_text(key: str, lang: str, **values: object) -> str:
    text = MAIL_TEXTS[key]["de" if lang == "de" else "en"]
    return text.format(**values) if values else text
