"""German and English texts of the analytics page."""

from __future__ import annotations

from typing import Literal

ANALYTICS_MESSAGES: dict[str, dict[Literal["de", "en"], str]] = {
    "nav.analytics": {"de": "Analysen", "en": "Analytics"},
    "an.title": {"de": "Analysen unserer Kanäle", "en": "Analytics of our channels"},
    "an.period": {"de": "Zeitraum", "en": "Period"},
    "an.days": {"de": "{n} Tage", "en": "{n} days"},
    "an.custom": {"de": "Eigener Zeitraum", "en": "Custom period"},
    "an.from": {"de": "von", "en": "from"},
    "an.to": {"de": "bis", "en": "to"},
    "an.show": {"de": "Anzeigen", "en": "Show"},
    "an.csv": {"de": "Als CSV herunterladen", "en": "Download as CSV"},
    "an.range": {
        "de": "{start} bis {end} ({days} Tage, UTC), verglichen mit {pstart} bis {pend}.",
        "en": "{start} to {end} ({days} days, UTC), compared with {pstart} to {pend}.",
    },
    "an.channels": {"de": "Kanäle", "en": "Channels"},
    "an.no_channels": {
        "de": "In diesem Zeitraum gibt es keine Beiträge, Kennzahlen oder Gespräche aus unseren Kanälen.",
        "en": "No posts, reported figures or conversations from our channels in this period.",
    },
    "an.figure": {"de": "Kennzahl", "en": "Figure"},
    "an.now": {"de": "Zeitraum", "en": "Period"},
    "an.before": {"de": "Vorzeitraum", "en": "Previous period"},
    "an.change": {"de": "Veränderung", "en": "Change"},
    "an.points": {"de": "{n} Prozentpunkte", "en": "{n} percentage points"},
    "an.not_reported": {"de": "nicht gemeldet", "en": "not reported"},
    "an.not_computable": {"de": "nicht berechenbar", "en": "not computable"},
    "an.basis.reach": {"de": "÷ Reichweite", "en": "÷ reach"},
    "an.basis.followers": {"de": "÷ (Follower × Beiträge)", "en": "÷ (followers × posts)"},
    "an.fig.own_posts": {"de": "Eigene Beiträge", "en": "Our posts"},
    "an.fig.engagements": {"de": "Interaktionen", "en": "Engagements"},
    "an.fig.likes": {"de": "Likes", "en": "Likes"},
    "an.fig.replies": {"de": "Kommentare und Antworten", "en": "Comments and replies"},
    "an.fig.shares": {"de": "Geteilt", "en": "Shares"},
    "an.fig.saves": {"de": "Gespeichert", "en": "Saves"},
    "an.fig.views": {"de": "Aufrufe", "en": "Views"},
    "an.fig.reach": {"de": "Reichweite", "en": "Reach"},
    "an.fig.impressions": {"de": "Impressionen", "en": "Impressions"},
    "an.fig.followers": {"de": "Follower", "en": "Followers"},
    "an.fig.follower_growth": {"de": "Follower-Wachstum", "en": "Follower growth"},
    "an.fig.engagement_rate": {"de": "Interaktionsrate", "en": "Engagement rate"},
    "an.fig.mentions": {"de": "Beiträge anderer", "en": "Posts by others"},
    "an.fig.conversations": {"de": "Gespräche", "en": "Conversations"},
    "an.fig.response_rate": {"de": "Antwortquote", "en": "Response rate"},
    "an.fig.median_response_seconds": {"de": "Antwortzeit (Median)", "en": "Response time (median)"},
    "an.definitions": {"de": "So wird gerechnet", "en": "How the figures are defined"},
    "an.def.engagements": {
        "de": "Interaktionen = Likes + Kommentare und Antworten + Geteilt + Gespeichert unserer "
        "eigenen Beiträge (Gespeichert, wo die Plattform es meldet: Instagram, X-Lesezeichen). Wo "
        "die Plattform in ihren Insights selbst zählt (Facebook, Instagram: auch Klicks und "
        "Speichern), gilt ihre Zahl: „laut Plattform“.",
        "en": "Engagements = likes + comments and replies + shares + saves of our own posts (saves "
        "where the platform reports them: Instagram, X bookmarks). Where the platform counts them "
        "itself in its insights (Facebook, Instagram: clicks and saves too), its count: \"as the "
        "platform reports\".",
    },
    "an.source.platform": {"de": "(laut Plattform)", "en": "(as the platform reports)"},
    "an.def.rate": {
        "de": "Interaktionsrate = Interaktionen ÷ Reichweite, wo die Plattform Reichweite meldet; "
        "sonst Interaktionen ÷ (Follower × eigene Beiträge), also die Interaktionen je Beitrag "
        "im Verhältnis zu den Followern. Welcher Nenner galt, steht bei jedem Kanal.",
        "en": "Engagement rate = engagements ÷ reach where the platform reports reach; otherwise "
        "engagements ÷ (followers × our posts), the engagements per post relative to the followers. "
        "Each channel says which denominator it used.",
    },
    "an.def.reach": {
        "de": "Reichweite und Impressionen zeigen wir nur, wenn die Plattform sie meldet (Summe der "
        "gemeldeten Tage). Follower sind keine Reichweite und werden nie als Reichweite gezeigt.",
        "en": "Reach and impressions are shown only where the platform reports them (the sum of the "
        "reported days). Followers are not reach and are never shown as reach.",
    },
    "an.def.followers": {
        "de": "Follower: der letzte bekannte Stand am Ende des Zeitraums; Wachstum: dieser Stand "
        "minus der letzte Stand vor Beginn des Zeitraums.",
        "en": "Followers: the latest known count at the end of the period; growth: that count minus "
        "the latest count before the period began.",
    },
    "an.def.response": {
        "de": "Antwortquote: Anteil der im Zeitraum begonnenen Gespräche mit einer Antwort von uns; "
        "Antwortzeit: Median von der ersten Nachricht bis zu unserer ersten Antwort.",
        "en": "Response rate: the share of the conversations begun in the period that we answered; "
        "response time: the median from the first message to our first reply.",
    },
    "an.def.voice": {
        "de": "Share of Voice: die Beiträge jedes Monitors im Zeitraum als Anteil an den Beiträgen "
        "aller Monitore (ein Beitrag zweier Monitore zählt für beide).",
        "en": "Share of voice: each monitor's posts in the period as a share of all monitors' posts "
        "(a post two monitors match counts for both).",
    },
    "an.def.more": {"de": "Alle Definitionen: docs/analytics.md.",
                    "en": "All definitions: docs/analytics.md."},
    "an.voice": {"de": "Share of Voice", "en": "Share of voice"},
    "an.monitor": {"de": "Monitor", "en": "Monitor"},
    "an.posts": {"de": "Beiträge", "en": "Posts"},
    "an.share": {"de": "Anteil", "en": "Share"},
    "an.no_voice": {"de": "Keine Beiträge der Monitore in diesem Zeitraum.",
                    "en": "No monitor posts in this period."},
    "an.top": {"de": "Unsere Beiträge mit den meisten Interaktionen",
               "en": "Our posts with the most engagements"},
    "an.no_top": {"de": "Keine eigenen Beiträge in diesem Zeitraum.",
                  "en": "None of our posts in this period."},
    "an.post": {"de": "Beitrag", "en": "Post"},
    "an.channel": {"de": "Kanal", "en": "Channel"},
    "an.bad_period": {"de": "Dieser Zeitraum geht nicht: {why}", "en": "This period cannot be shown: {why}"},
}
