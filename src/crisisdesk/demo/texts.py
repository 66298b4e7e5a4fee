"""Text templates and slot values for the demo scenario.

The story: Voltaro, a Berlin maker of e-scooters and e-bikes (German and English presence), sells the
Pulse 3 e-scooter. Its CEO is Jana Köhler, its competitor Kinetta (product: Kinetta Flow). After a calm
week, Pulse 3 batteries start catching fire. Templates are grouped by category and language; the
generator fills ``{slots}`` so that thousands of posts come out of a few hundred sentences without
piles of exact duplicates. Noise templates deliberately contain near misses (Volt, Puls, a battery
fire of another make, another Köhler) so that monitors can be seen *not* matching them.
"""

from __future__ import annotations

from typing import Final

Templates = dict[str, dict[str, tuple[str, ...]]]

BRAND: Final = "Voltaro"
BRAND_HANDLE: Final = "voltaro"
PRODUCT: Final = "Pulse 3"
CEO: Final = "Jana Köhler"
CEO_HANDLE: Final = "janakoehler"
COMPETITOR: Final = "Kinetta"
COMPETITOR_PRODUCT: Final = "Kinetta Flow"

# Slot values shared by both languages. Brand and product appear in the spellings people really use.
COMMON_SLOTS: Final[dict[str, tuple[str, ...]]] = {
    "brand": ("Voltaro", "Voltaro", "Voltaro", "voltaro", "@voltaro", "@voltaro", "#voltaro", "VOLTARO"),
    "product": ("Pulse 3", "Pulse 3", "Pulse 3", "Pulse 3 Pro", "Voltaro Pulse 3", "#pulse3", "Pulse3"),
    "ceo": ("Jana Köhler", "Jana Köhler", "@janakoehler", "Jana Koehler"),
    "comp": ("Kinetta", "Kinetta", "@kinetta", "kinetta"),
    "comp_product": ("Kinetta Flow", "Flow 2", "Kinetta Flow S"),
    "city": ("Berlin", "München", "Hamburg", "Köln", "Leipzig", "Düsseldorf", "Frankfurt", "Stuttgart",
             "Wien", "Zürich", "Dresden", "Bremen", "London", "Manchester", "Dublin", "Amsterdam",
             "Bristol", "Nürnberg", "Hannover", "Münster"),
    "color": ("Mint", "Graphit", "Sand", "Ocean Blue", "Matt Black", "Coral"),
    "crisis_tag": ("#voltarofire", "#voltarofire", "#voltarofire", "#voltarogate", "#pulse3",
                   "#akkubrand", "#recall"),
    "pos_emoji": ("😍", "🚀", "👍", "💚", "🙌", "😎", "⚡", "🛴", "✨", "", ""),
    "neg_emoji": ("😡", "🤬", "😤", "🙄", "😠", "👎", "💀", "", ""),
    "fire_emoji": ("🔥", "🔥🔥", "😱🔥", "🚒", "🔥😳", "🧯"),
    "neutral_emoji": ("🤔", "🙂", "👀", "", "", ""),
}

LANG_SLOTS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "de": {
        "place": ("im Flur", "in der Garage", "im Keller", "auf dem Balkon", "im Treppenhaus",
                  "in der Tiefgarage", "in der WG-Küche", "im Fahrradkeller"),
        "insult": ("Saftladen", "Drecksladen", "Schrottladen", "Abzocker", "Witzfiguren", "Vollpfosten",
                   "Amateure"),
        "swear": ("Verdammt", "Scheiße", "Alter", "Boah", "Was zur Hölle", "Sorry aber"),
        "time_of_day": ("heute Morgen", "gestern Abend", "heute Nacht", "vorhin", "eben gerade"),
    },
    "en": {
        "place": ("in the hallway", "in the garage", "in the basement", "on the balcony",
                  "in the stairwell", "in the bike shed", "in the kitchen", "in the car park"),
        "insult": ("clowns", "scammers", "amateurs", "idiots", "a joke of a company", "crooks"),
        "swear": ("WTF", "Holy shit", "Seriously", "FFS", "Jesus", "Wow"),
        "time_of_day": ("this morning", "last night", "tonight", "an hour ago", "just now"),
    },
}

CALM: Final[Templates] = {
    "praise": {
        "de": (
            "Heute {km} km mit dem {product} zur Arbeit, kein Stau, keine Parkplatzsuche {pos_emoji}",
            "Mein {product} ist da!! Farbe {color} sieht noch besser aus als auf den Fotos {pos_emoji}",
            "Nach {n} Wochen mit dem {product}: bester Kauf des Jahres. Danke {brand} {pos_emoji}",
            "Kurzer Erfahrungsbericht {product}: Reichweite realistisch {km} km, Bremsen top, App ok.",
            "Wer in {city} pendelt: holt euch nen {product}. Ernsthaft. {pos_emoji} #pendeln",
            "Sonntagsrunde an der Spree mit dem {product} {pos_emoji} #escooter",
            "{brand} hat mir den Akku-Check in {city} in 20 min gemacht. So geht Service {pos_emoji}",
            "Das neue Update von {brand} mit Routenplanung ist echt gut geworden",
            "Die {color} Edition vom {product} ist einfach wunderschön {pos_emoji}",
            "Ich war skeptisch, aber der {product} schafft sogar die Steigung bei uns in {city}",
        ),
        "en": (
            "Commuted {km} km on my {product} today and beat the bus by 15 minutes {pos_emoji}",
            "Finally got my {product} in {color}. Honestly gorgeous {pos_emoji}",
            "{n} weeks in with the {product}: best purchase of the year. Thanks {brand} {pos_emoji}",
            "Quick review of the {product}: range is a real {km} km, brakes are great, app is fine.",
            "If you commute in {city}, get a {product}. Seriously. {pos_emoji}",
            "{brand} support sorted my firmware issue in one email. Impressed {pos_emoji}",
            "Weekend ride along the canal on the {product} {pos_emoji} #escooter",
            "The new {brand} app update with route planning is actually really good",
            "Didn't expect the {product} to handle the hills in {city} but here we are {pos_emoji}",
        ),
    },
    "question": {
        "de": (
            "Weiß jemand ob man den {product} in der S-Bahn in {city} mitnehmen darf? {neutral_emoji}",
            "Frage an alle mit {product}: wie lange lädt euer Akku von 0 auf 100?",
            "{brand} gibt es den {product} auch mit Straßenzulassung für Österreich?",
            "Lohnt sich der {product} oder lieber warten auf das nächste Modell? {neutral_emoji}",
            "Hat jemand Erfahrung mit dem {product} im Winter? Reichweite bei {n} Grad minus?",
            "Kann man beim {product} den Akku selbst tauschen oder muss das {brand} machen?",
            "Gibt es in {city} einen {brand} Store zum Probefahren?",
        ),
        "en": (
            "Anyone know if the {product} is allowed on trains in {city}? {neutral_emoji}",
            "Question for {product} owners: how long does a full charge take for you?",
            "{brand} do you ship the {product} to Ireland yet?",
            "Is the {product} worth it or should I wait for the next one? {neutral_emoji}",
            "How does the {product} battery hold up in winter? Asking before I buy",
            "Can you swap the {product} battery yourself or does {brand} have to do it?",
        ),
    },
    "mild_negative": {
        "de": (
            "Lieferung von meinem {product} dauert jetzt schon {days} Tage... {brand}? {neg_emoji}",
            "Das App-Update von {brand} hat meine Fahrprofile gelöscht {neg_emoji}",
            "Klappern am Lenker nach {n} Wochen. Nicht schlimm, aber für den Preis naja. {brand}",
            "Warum ist der {product} in {color} schon wieder ausverkauft {neg_emoji}",
            "{brand} Hotline heute {n} Minuten Warteschleife für eine simple Frage",
            "Der Ständer vom {product} ist echt wackelig, bin ich der einzige?",
            "Preiserhöhung bei {brand}? Letzten Monat war der {product} noch billiger {neg_emoji}",
        ),
        "en": (
            "My {product} delivery is {days} days late now... {brand}? {neg_emoji}",
            "The latest {brand} app update logged me out of everything {neg_emoji}",
            "Bit of a rattle in the handlebar after {n} weeks. No big deal but for the price, meh. {brand}",
            "Why is the {product} in {color} sold out again {neg_emoji}",
            "Waited {n} minutes on the {brand} hotline for a simple question",
            "Is it just me or is the {product} kickstand really wobbly?",
        ),
    },
    "channel_comment": {
        "de": (
            "Wann kommt die Farbe {color} wieder?",
            "Schön! Gibt es das auch als Cargo-Version?",
            "Hab meinen seit {n} Monaten, läuft super {pos_emoji}",
            "Bei mir ist die Bestellung immer noch nicht da, bitte mal DM checken",
            "Gibt's Rabatt für Studis?",
            "Sieht gut aus, aber der Preis {neg_emoji}",
            "Kommt der {product} auch nach {city}?",
        ),
        "en": (
            "When is {color} coming back?",
            "Love it! Any plans for a cargo version?",
            "Had mine for {n} months, runs great {pos_emoji}",
            "Still waiting for my order, please check your DMs",
            "Student discount?",
            "Looks great but that price {neg_emoji}",
        ),
    },
    "service_message": {
        "de": (
            "Hallo, meine Bestellung {order} ist seit {days} Tagen unterwegs. Können Sie nachsehen? Danke",
            "Guten Tag, beim {product} blinkt die Akkuanzeige rot. Was bedeutet das? Gruß",
            "Hallo Voltaro-Team, ich möchte meine Adresse für Bestellung {order} ändern.",
            "Hi, kann ich einen Termin für die Inspektion in {city} bekommen?",
            "Rechnung zu {order} bitte als PDF, danke!",
        ),
        "en": (
            "Hi, my order {order} has been in transit for {days} days. Could you check? Thanks",
            "Hello, the battery light on my {product} is blinking red, what does it mean?",
            "Hi Voltaro team, I need to change the delivery address for order {order}.",
            "Can I book a service appointment in {city}?",
            "Could you send me the invoice for {order} as a PDF please?",
        ),
    },
    "review": {
        "de": (
            "★★★★★ Super Roller, schnelle Lieferung nach {city}. Gerne wieder.",
            "★★★★☆ Gutes Produkt, App könnte besser sein.",
            "★★★☆☆ Fährt gut, aber Lieferung hat {days} Tage gedauert.",
            "★★★★★ Reichweite wie versprochen, {km} km im Alltag. Top!",
            "★★☆☆☆ Kundenservice schwer erreichbar, Produkt an sich ok.",
        ),
        "en": (
            "★★★★★ Great scooter, fast delivery to {city}. Would buy again.",
            "★★★★☆ Solid product, the app needs work.",
            "★★★☆☆ Rides well but delivery took {days} days.",
            "★★☆☆☆ Hard to reach customer service, the scooter itself is fine.",
        ),
    },
    "ceo": {
        "de": (
            "Starkes Interview mit {ceo} über Mikromobilität in {city}",
            "{ceo} auf dem Podium: {brand} will {n}0 neue Stores eröffnen",
            "{ceo} ({brand}) spricht heute auf der Mobility Conference {city} {pos_emoji}",
        ),
        "en": (
            "Great interview with {ceo} on micromobility in {city}",
            "{ceo} says {brand} will open {n}0 new stores next year",
            "{ceo} of {brand} on stage at Mobility Summit {city} today",
        ),
    },
    "competitor": {
        "de": (
            "Neuer {comp_product} von {comp} im Test: solide, aber schwer.",
            "Mein {comp_product} hat jetzt {n}000 km drauf {pos_emoji}",
            "{comp} liefert endlich nach {city}!",
            "{comp} oder doch was anderes? Suche einen Roller für {km} km Arbeitsweg",
        ),
        "en": (
            "Reviewing the new {comp_product} from {comp}: solid but heavy.",
            "{comp} finally delivers to {city}!",
            "My {comp_product} just hit {n}000 km {pos_emoji}",
        ),
    },
    "comparison": {
        "de": (
            "{brand} {product} vs {comp_product} – was nehmen? {neutral_emoji}",
            "Hab beide probegefahren: {product} fährt sich besser, {comp} hat die bessere App.",
        ),
        "en": (
            "{product} vs {comp_product}, which one? {neutral_emoji}",
            "Tried both: the {product} rides nicer, {comp} has the better app.",
        ),
    },
    "noise": {
        "de": (
            "Strompreis schon wieder hoch, {n}{n} Cent pro kWh in {city} {neg_emoji}",
            "Mein Puls nach dem Intervalltraining heute: 1{n}{n}. Ich sterbe {fire_emoji}",
            "Pulse Festival {city} war legendär dieses Jahr {pos_emoji}",
            "Akku-Brand in Tiefgarage in {city}: Feuerwehr im Einsatz, Ursache noch unklar",
            "Wer weiß wie man einen E-Bike-Akku im Winter richtig lagert? Keller hat {n} Grad",
            "Trainer Köhler nach dem {n}:{n} – 'Wir müssen das analysieren'",
            "Regen in {city}. Wieder mal. Fahrrad bleibt heute {place} {neg_emoji}",
            "230 Volt und trotzdem geht der Wasserkocher nicht. {time_of_day} schon der {n}. Fehler",
            "Baustelle am Radweg in {city}, seit {n} Wochen. Danke für nichts {neg_emoji}",
            "Wer hat Tipps für einen guten E-Scooter unter {n}00 Euro? {neutral_emoji}",
            "Mobilitätswende in {city}: {n} neue Radwege geplant #mobilitätswende",
            "{km} km mit dem Rennrad heute, Beine sind Pudding {pos_emoji}",
            "S-Bahn in {city} fällt {time_of_day} schon wieder aus. {n}0 Minuten warten {neg_emoji}",
            "Leihroller liegen in {city} wieder quer über dem Gehweg {neg_emoji}",
            "Neue Ladesäulen in {city}: jetzt {n}{n} Stück in der Innenstadt",
        ),
        "en": (
            "Electricity prices in {city} are ridiculous again, {n}{n}p per kWh {neg_emoji}",
            "Heart rate after today's spin class: 1{n}{n}. Send help {fire_emoji}",
            "Pulse festival lineup for {city} just dropped and it's stacked {pos_emoji}",
            "E-bike battery fire in a {city} flat, fire brigade says cause unknown",
            "Rain in {city}. Again. Bike stays {place} today {neg_emoji}",
            "Any tips for a decent e-scooter under {n}00 quid? {neutral_emoji}",
            "Cycle lane works on my route for {n} weeks now. Brilliant {neg_emoji}",
            "Jana from accounts brought {n} kinds of cake today. Best office ever {pos_emoji}",
            "{km} km on the road bike today, legs are jelly {pos_emoji}",
            "Train to {city} cancelled {time_of_day}, {n}0 minute wait {neg_emoji}",
            "Rental scooters dumped all over the pavement in {city} again {neg_emoji}",
            "{n}{n} new charging points in central {city}, finally",
        ),
    },
    "brand_news": {
        "de": (
            "{brand} eröffnet Flagship-Store in {city}",
            "E-Scooter-Hersteller {brand} wächst um {n}0 Prozent",
            "Test: Der {product} von {brand} im Alltagscheck",
        ),
        "en": (
            "{brand} opens flagship store in {city}",
            "E-scooter maker {brand} grows revenue {n}0 percent",
            "Tested: the {brand} {product} in everyday use",
        ),
    },
    "official": {
        "de": (
            "Neu: der {product} in {color}. Ab heute im Shop {pos_emoji} #voltaro",
            "Tipp der Woche: Akku bei Kälte drinnen laden. Mehr Reichweite, längeres Leben #voltaro",
            "Probefahrt-Wochenende in {city}! Kommt vorbei #voltaro #pulse3",
        ),
        "en": (
            "New: the {product} in {color}. In the shop today {pos_emoji} #voltaro",
            "Tip of the week: charge indoors when it's cold. More range, longer battery life #voltaro",
            "Test ride weekend in {city}! Come say hi #voltaro #pulse3",
        ),
    },
    "reply": {
        "de": (
            "Geht mir genauso", "Gute Frage, würde mich auch interessieren {neutral_emoji}",
            "Bei mir {km} km, also passt", "Ja, darf man, aber nur zusammengeklappt",
            "Schreib mal den Support an, die sind eigentlich fix", "Haha same {pos_emoji}",
            "Kann ich bestätigen", "Nö, bei mir alles super",
        ),
        "en": (
            "Same here", "Good question, following {neutral_emoji}", "Mine does about {km} km, so fine",
            "Yes, folded only", "Email support, they're usually quick", "Haha same {pos_emoji}",
            "Can confirm", "Nope, all good on mine",
        ),
    },
}
