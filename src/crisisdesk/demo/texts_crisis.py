"""Crisis templates: the Pulse 3 battery fires, from the first report to press pickup and the recall.

Kept apart from the calm templates so each file stays readable. Insults and profanity are the kind
real brand crises show (aimed at the company, moderate); nothing here targets a protected group.
"""

from __future__ import annotations

from typing import Final

from crisisdesk.demo.texts import Templates

CRISIS: Final[Templates] = {
    "fire_report": {
        "de": (
            "Der Akku von meinem {product} hat {time_of_day} {place} angefangen zu brennen {fire_emoji} "
            "Zum Glück war jemand wach. {brand} was ist da los??",
            "{swear}. Mein {product} hat {place} Feuer gefangen. Beim LADEN. {fire_emoji} {crisis_tag}",
            "Nachbar in {city}: {product} {place} in Flammen, Feuerwehr war da {fire_emoji}",
            "Rauch aus dem Akku vom {product}, ich hab ihn gerade noch rausgebracht {fire_emoji} {brand}",
            "Das ist jetzt schon der {n}. Fall mit brennendem {product} den ich heute sehe {crisis_tag}",
            "Video: {product} brennt {place} in {city}. Bitte teilen, wer so ein Teil hat {fire_emoji}",
        ),
        "en": (
            "My {product} battery caught fire {place} {time_of_day} {fire_emoji} {brand} what is going on??",
            "{swear}. {product} went up in flames {place} while CHARGING {fire_emoji} {crisis_tag}",
            "Neighbour's {product} burning {place} in {city}, fire brigade on site {fire_emoji}",
            "Smoke pouring out of my {product} battery, got it outside just in time {fire_emoji} {brand}",
            "That's the {n}th burning {product} I've seen on my feed today {crisis_tag}",
        ),
    },
    "safety_worry": {
        "de": (
            "Mein {product} steht {place}. Muss ich mir jetzt Sorgen machen? {brand} {neg_emoji}",
            "Sollte man den {product} gerade überhaupt noch laden? Keine Info von {brand} {crisis_tag}",
            "Wir haben zwei {product} und ein Baby. Die stehen jetzt draußen. {brand} bitte äußert euch",
            "Gibt es eine Liste betroffener Seriennummern beim {product}? {crisis_tag}",
            "Hab meinen {product} vorsichtshalber vom Strom genommen. Gruselig {neg_emoji}",
        ),
        "en": (
            "My {product} is parked {place}. Should I be worried? {brand} {neg_emoji}",
            "Is it even safe to charge the {product} right now? Nothing from {brand} {crisis_tag}",
            "We have two {product}s and a newborn. They're on the balcony now. {brand} say something",
            "Is there a list of affected {product} serial numbers? {crisis_tag}",
            "Unplugged my {product} just in case. Scary stuff {neg_emoji}",
        ),
    },
    "spread": {
        "de": (
            "Was ist bei {brand} los? Überall brennende {product} in der Timeline {crisis_tag}",
            "Thread mit allen bekannten Fällen {crisis_tag} – bisher {n}{n} Meldungen aus {city} und Umland",
            "{crisis_tag} trendet. Zu Recht. {brand} schweigt seit {hours} Stunden",
            "Wenn ihr einen {product} habt: NICHT über Nacht laden {crisis_tag} {fire_emoji}",
        ),
        "en": (
            "What is going on with {brand}? Burning {product}s all over my timeline {crisis_tag}",
            "{crisis_tag} is trending for a reason. {brand} silent for {hours} hours now",
            "If you own a {product}: do NOT charge it overnight {crisis_tag} {fire_emoji}",
            "Thread collecting every {product} fire report so far {crisis_tag} 🧵",
        ),
    },
    "influencer": {
        "de": (
            "Ich habe den {product} letztes Jahr empfohlen. Das nehme ich hiermit zurück. Bitte nicht mehr "
            "in der Wohnung laden. {brand} muss jetzt liefern {crisis_tag}",
            "Meine Community schickt mir seit Stunden Videos von brennenden {product}. {brand}, wo ist euer "
            "Statement? {crisis_tag}",
            "Kurzes Update zu {crisis_tag}: Ich habe {brand} angefragt, bisher keine Antwort. Story folgt.",
        ),
        "en": (
            "I recommended the {product} last year. I take that back. Don't charge it indoors until "
            "{brand} explains this {crisis_tag}",
            "My DMs are full of videos of burning {product}s. {brand}, where is your statement? {crisis_tag}",
            "Reached out to {brand} about {crisis_tag}. No reply yet. Full video tonight.",
        ),
    },
    "service_complaint": {
        "de": (
            "{brand} Hotline seit {n}0 Minuten in der Warteschleife. Ich will einfach nur wissen ob mein "
            "Roller sicher ist {neg_emoji}",
            "Ich will mein Geld zurück. Bestellung {order}, Rückerstattung beantragt, keine Antwort {brand}",
            "Kundenservice von {brand} antwortet nicht auf Mails, nicht am Telefon, nicht im Chat",
            "Meine Lieferung {order} bitte stornieren. So ein Ding stelle ich nicht in die Wohnung {brand}",
            "Lieferung verspätet UND jetzt brennen die Dinger? Stornierung bitte {brand} {neg_emoji}",
            "Chatbot von {brand} sagt 'Bitte versuchen Sie es später erneut'. Super hilfreich {neg_emoji}",
        ),
        "en": (
            "On hold with {brand} for {n}0 minutes. I just want to know if my scooter is safe {neg_emoji}",
            "I want a refund. Order {order}, requested {days} days ago, nothing {brand}",
            "{brand} customer service isn't answering email, phone or chat {neg_emoji}",
            "Cancel my order {order}, I'm not keeping one of these in my flat {brand}",
            "Delivery delayed AND now they catch fire? Refund please {brand} {neg_emoji}",
        ),
    },
    "insult": {
        "de": (
            "{brand} ihr seid so ein {insult}. Leute könnten sterben {neg_emoji}",
            "{swear}, {brand}. Verkauft Brandbomben auf Rädern und schweigt {crisis_tag}",
            "Was für ein {insult}. Nie wieder {brand} {neg_emoji}",
            "{brand} = {insult}. Punkt. {crisis_tag}",
            "Scheiß auf euren {product}, ich will mein Geld {brand} {neg_emoji}",
        ),
        "en": (
            "{brand} you are {insult}. People could die {neg_emoji}",
            "{swear} {brand}, selling fire bombs on wheels and saying nothing {crisis_tag}",
            "Never buying {brand} again. Absolute {insult} {neg_emoji}",
            "What a shitshow {brand}. Answer your damn customers {crisis_tag}",
            "Screw your {product}, give me my money back {brand} {neg_emoji}",
        ),
    },
    "ceo_crisis": {
        "de": (
            "Wo ist eigentlich {ceo}? Kein Wort von der Chefin von Voltaro {crisis_tag}",
            "{ceo} postet letzte Woche noch Konferenzfotos und jetzt Funkstille {crisis_tag}",
            "Rücktrittsforderungen gegen {ceo}? Etwas früh, aber Voltaro muss jetzt reden",
        ),
        "en": (
            "Where is {ceo}? Not a word from the Voltaro CEO {crisis_tag}",
            "{ceo} was posting conference selfies last week, now total silence {crisis_tag}",
        ),
    },
    "competitor_crisis": {
        "de": (
            "Bin froh dass ich mich für {comp} entschieden habe {crisis_tag}",
            "{comp} wirbt gerade mit 'zertifizierten Akkus'. Timing ist alles {neutral_emoji}",
        ),
        "en": (
            "Glad I went with {comp} in the end {crisis_tag}",
            "{comp} running ads about 'certified batteries' right now. Timing {neutral_emoji}",
        ),
    },
    "defender": {
        "de": (
            "Fahre seit {n} Jahren {brand}, nie Probleme. Abwarten was die Untersuchung ergibt",
            "Leute, erst mal Fakten abwarten. Akkubrände gibt es bei allen Marken {brand}",
        ),
        "en": (
            "Been riding {brand} for {n} years, zero issues. Let's wait for the facts",
            "Battery fires happen across brands, let's see what the investigation says {brand}",
        ),
    },
    "joke": {
        "de": (
            "{product}: jetzt mit integrierter Sitzheizung {fire_emoji} {crisis_tag}",
            "Neues Feature bei {brand}: Roller, Grill und Heizung in einem {crisis_tag}",
        ),
        "en": (
            "{product}: now with built-in seat warmer {fire_emoji} {crisis_tag}",
            "{brand} really said 'our scooters are fire' and meant it literally {crisis_tag}",
        ),
    },
    "service_message_crisis": {
        "de": (
            "Hallo, ich habe einen {product} (Bestellung {order}). Ist mein Gerät betroffen? "
            "Bitte dringend melden!",
            "Ich möchte vom Kauf zurücktreten, Bestellung {order}. Bitte bestätigen Sie die Erstattung.",
            "Sehr geehrte Damen und Herren, unser {product} hat Rauch entwickelt. Wie geht es jetzt weiter?",
            "Warum antwortet niemand?? Dritte Nachricht wegen {order}. Ich will mein Geld zurück",
        ),
        "en": (
            "Hi, I own a {product} (order {order}). Is mine affected? Please reply urgently!",
            "I want to cancel order {order} and get a full refund. Please confirm.",
            "Our {product} started smoking last night. What do we do now?",
            "Why is nobody answering?? Third message about {order}. I want my money back",
        ),
    },
    "review_crisis": {
        "de": (
            "★☆☆☆☆ Akku hat geraucht, Kundenservice nicht erreichbar. Finger weg.",
            "★☆☆☆☆ Lebensgefährlich. Rückerstattung seit {days} Tagen offen.",
        ),
        "en": (
            "★☆☆☆☆ Battery started smoking, customer service unreachable. Avoid.",
            "★☆☆☆☆ Dangerous product, refund pending for {days} days.",
        ),
    },
    "news": {
        "de": (
            "Brennende Akkus: Behörde prüft E-Scooter Pulse 3 von Voltaro",
            "Voltaro unter Druck: Mehrere Akkubrände in {city} gemeldet",
            "Was Besitzer eines Voltaro Pulse 3 jetzt wissen müssen",
            "Feuerwehr {city} warnt nach Brand eines Voltaro-Rollers",
            "Voltaro-Chefin Jana Köhler kündigt Untersuchung an",
        ),
        "en": (
            "Voltaro Pulse 3 battery fires: what owners should do now",
            "E-scooter maker Voltaro under fire after battery blazes in {city}",
            "Regulator looks into Voltaro Pulse 3 after reports of fires",
            "Voltaro CEO Jana Köhler promises investigation into scooter fires",
        ),
    },
    "reply": {
        "de": (
            "Bei mir genauso, Akku wird extrem heiß beim Laden {neg_emoji}",
            "Krass. Hoffe dir geht's gut", "Unfassbar dass {brand} dazu nichts sagt",
            "Hab meinen auch gerade rausgestellt", "Bitte meld das auch beim Hersteller UND der Behörde",
            "Das ist kein Einzelfall mehr {crisis_tag}", "{swear}. Gut dass nichts passiert ist",
        ),
        "en": (
            "Same with mine, battery gets super hot when charging {neg_emoji}", "Wow, hope you're ok",
            "Unbelievable that {brand} still says nothing", "Just moved mine outside too",
            "Please report it to the regulator as well", "This is not a one-off anymore {crisis_tag}",
            "{swear}. Glad nobody got hurt",
        ),
    },
}

# The first post of the crisis, at 07:35 local time: one customer, a mid-sized account, no hashtag yet.
FIRST_REPORT: Final = (
    "Heute Nacht hat der Akku von unserem Voltaro Pulse 3 im Flur angefangen zu qualmen und dann zu "
    "brennen 😱🔥 Feuerwehr war da, Flur ist schwarz, zum Glück sind alle ok. Das Ding hing nur am "
    "Ladegerät. @voltaro was ist da los??"
)

# The brand's own statements, posted at fixed points of the story (hours after the first report).
OFFICIAL_STATEMENTS: Final[tuple[tuple[float, str, str], ...]] = (
    (9.5, "de", "Wir nehmen die Berichte über Akkuprobleme beim Pulse 3 sehr ernst. Bitte ladet euren "
     "Pulse 3 bis auf Weiteres nicht unbeaufsichtigt. Wir melden uns heute Abend mit mehr Infos. #voltaro"),
    (9.6, "en", "We are taking the reports about Pulse 3 batteries very seriously. Until further notice, "
     "please do not charge your Pulse 3 unattended. More information tonight. #voltaro"),
    (25.0, "de", "Rückruf: Wir rufen alle Pulse 3 mit Akku-Seriennummer PC48-2026-* zurück. Kostenloser "
     "Austausch oder volle Erstattung: voltaro.example/rueckruf #voltaro #pulse3"),
    (25.1, "en", "Recall: we are recalling every Pulse 3 with battery serial PC48-2026-*. Free replacement "
     "or full refund: voltaro.example/recall #voltaro #pulse3"),
)

# First sentence of an article body, appended to crisis headlines.
NEWS_LEADS: Final[dict[str, tuple[str, ...]]] = {
    "de": (
        "Nach mehreren Berichten über brennende Akkus beim E-Scooter Pulse 3 steht der Berliner "
        "Hersteller unter Druck.",
        "In {city} musste die Feuerwehr ausrücken; Betroffene berichten von stundenlangen Wartezeiten "
        "beim Kundenservice.",
        "Verbraucherschützer raten Besitzern, den Roller vorerst nicht unbeaufsichtigt zu laden.",
    ),
    "en": (
        "Several owners have reported Pulse 3 batteries catching fire while charging, putting the Berlin "
        "maker under pressure.",
        "Firefighters in {city} were called out; customers describe hours-long waits for support.",
        "Consumer groups advise owners not to charge the scooter unattended for now.",
    ),
}
