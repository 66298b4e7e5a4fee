"""German and English texts of the public status page and its subscription pages."""

from __future__ import annotations

from typing import Literal

STATUS_MESSAGES: dict[str, dict[Literal["de", "en"], str]] = {
    "status.language": {"de": "Sprache", "en": "Language"},
    "status.current": {"de": "Aktuell", "en": "Current"},
    "status.past": {"de": "Vergangene Meldungen (letzte {days} Tage)",
                    "en": "Past updates (last {days} days)"},
    "status.all_clear": {"de": "Derzeit liegen keine Meldungen vor.",
                         "en": "There is nothing to report at the moment."},
    "status.no_past": {"de": "Keine Meldungen in den letzten {days} Tagen.",
                       "en": "No updates in the last {days} days."},
    "status.started": {"de": "Seit {at}", "en": "Since {at}"},
    "status.updated": {"de": "Zuletzt aktualisiert: {at}", "en": "Last updated: {at}"},
    "status.published": {"de": "Veröffentlicht", "en": "Published"},
    "status.written_in": {"de": "Diese Meldung ist auf {language} verfasst.",
                          "en": "This update is written in {language}."},
    "status.lang.de": {"de": "Deutsch", "en": "German"},
    "status.lang.en": {"de": "Englisch", "en": "English"},
    "status.phase.investigating": {"de": "Wir prüfen", "en": "Investigating"},
    "status.phase.identified": {"de": "Ursache erkannt", "en": "Identified"},
    "status.phase.monitoring": {"de": "Wir beobachten", "en": "Monitoring"},
    "status.phase.resolved": {"de": "Behoben", "en": "Resolved"},
    "status.feed": {"de": "Atom-Feed", "en": "Atom feed"},
    "status.feed_title": {"de": "{title} (Atom-Feed)", "en": "{title} (Atom feed)"},
    "status.subscribe.title": {"de": "Per E-Mail informiert werden", "en": "Get updates by e-mail"},
    "status.subscribe.intro": {
        "de": "Wir schicken Ihnen jede neue Meldung dieser Seite. Sie bestätigen Ihre Adresse mit einem "
              "Link, den wir Ihnen schicken, und können jederzeit abbestellen.",
        "en": "We send you every new update of this page. You confirm your address with a link we send "
              "you, and you can unsubscribe at any time.",
    },
    "status.subscribe.email": {"de": "E-Mail-Adresse", "en": "E-mail address"},
    "status.subscribe.honeypot": {"de": "Bitte leer lassen", "en": "Please leave empty"},
    "status.subscribe.submit": {"de": "Abonnieren", "en": "Subscribe"},
    "status.subscribe.privacy": {
        "de": "Wir verwenden Ihre Adresse nur für diese Meldungen und geben sie nicht weiter.",
        "en": "We use your address only for these updates and do not pass it on.",
    },
    "status.check_mail.title": {"de": "Bitte prüfen Sie Ihr Postfach", "en": "Please check your inbox"},
    "status.check_mail.text": {
        "de": "Falls diese Adresse noch nicht eingetragen ist, haben wir Ihnen einen Link geschickt. "
              "Erst wenn Sie ihn anklicken, erhalten Sie unsere Meldungen. Der Link gilt {days} Tage.",
        "en": "If this address is not subscribed yet, we have sent you a link. Only once you follow it "
              "will you receive our updates. The link is valid for {days} days.",
    },
    "status.back": {"de": "Zurück zur Statusseite", "en": "Back to the status page"},
    "status.error.title": {"de": "Das hat nicht geklappt", "en": "That did not work"},
    "status.error.email.empty": {"de": "Bitte geben Sie eine E-Mail-Adresse ein.",
                                 "en": "Please enter an e-mail address."},
    "status.error.email.long": {"de": "Diese E-Mail-Adresse ist zu lang.",
                                "en": "This e-mail address is too long."},
    "status.error.email.invalid": {"de": "Das ist keine gültige E-Mail-Adresse (name@example.org).",
                                   "en": "That is not a valid e-mail address (name@example.org)."},
    "status.error.email.too_many": {
        "de": "Wir haben dieser Adresse heute schon mehrere Bestätigungslinks geschickt. Bitte verwenden Sie "
              "den neuesten oder versuchen Sie es morgen erneut.",
        "en": "We have already sent several confirmation links to this address today. Please use the newest "
              "one or try again tomorrow.",
    },
    "status.error.throttled": {
        "de": "Zu viele Anmeldungen von Ihrem Anschluss. Bitte versuchen Sie es in {minutes} Minuten erneut.",
        "en": "Too many subscriptions from your connection. Please try again in {minutes} minutes.",
    },
    "status.confirmed.title": {"de": "Abonnement bestätigt", "en": "Subscription confirmed"},
    "status.confirmed.text": {"de": "Danke! Sie erhalten ab jetzt jede neue Meldung per E-Mail. Jede E-Mail "
                              "enthält einen Link zum Abbestellen.",
                              "en": "Thank you! From now on you receive every new update by e-mail. Every "
                              "mail has a link to unsubscribe."},
    "status.link_unknown.title": {"de": "Link abgelaufen oder unbekannt", "en": "Link expired or unknown"},
    "status.link_unknown.text": {
        "de": "Dieser Link gilt nicht (mehr). Bestätigungslinks gelten {days} Tage und nur der neueste; "
              "Sie können sich auf der Statusseite erneut eintragen.",
        "en": "This link is not valid (any more). Confirmation links are valid for {days} days, and only the "
              "newest one; you can sign up again on the status page.",
    },
    "status.unsubscribe.title": {"de": "E-Mails abbestellen", "en": "Unsubscribe"},
    "status.unsubscribe.text": {"de": "Möchten Sie keine E-Mails mit unseren Meldungen mehr erhalten?",
                                "en": "Do you no longer want to receive our updates by e-mail?"},
    "status.unsubscribe.submit": {"de": "Abbestellen", "en": "Unsubscribe"},
    "status.unsubscribe.unknown": {"de": "Dieser Abbestell-Link ist uns nicht bekannt.",
                                   "en": "We do not know this unsubscribe link."},
    "status.unsubscribed.title": {"de": "Abbestellt", "en": "Unsubscribed"},
    "status.unsubscribed.text": {"de": "Sie erhalten keine E-Mails mit unseren Meldungen mehr. Die "
                                 "Statusseite bleibt für Sie offen.",
                                 "en": "You will not receive our updates by e-mail any more. The status page "
                                 "stays open to you."},
    "status.not_found": {"de": "Diese Seite gibt es nicht.", "en": "This page does not exist."},
}
