"""German rules (Sie and du). Developed on the German table tests and the German dev replies;
``docs/guidelines.md`` has the scores and what the rules miss."""

from __future__ import annotations

import re

from crisisdesk.guidelines.lexicon import FLAGS, Lexicon, alt, rules

_YOU = alt("Sie", "du", "Du", "ihr", "Ihr")
_YOUR = alt(r"Ihr(?:e|er|em|en|es)?", r"[Dd]ein(?:e|er|em|en|es)?", r"euer", r"eure[rmns]?")
_DAY = alt(
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
    "Wochenende",
    "Monatsende",
    "Wochenmitte",
)
_NUM = alt(
    r"\d+", "einer?", "eine[mn]?", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "zehn", "vierzehn"
)
_UNIT = alt(
    "Minuten?",
    "Min\\.?",
    "Stunden?",
    "Std\\.?",
    "Tagen?",
    "Tage",
    "Werktagen?",
    "Arbeitstagen?",
    "Geschäftstagen?",
    "Wochen?",
    "Monaten?",
)
_THIRD = alt(
    "Hersteller\\w*",
    "Zusteller\\w*",
    "Paketdienst\\w*",
    "Lieferant\\w*",
    "Partner\\w*",
    "Post",
    "Spedition",
    "Subunternehmer\\w*",
    "Dienstleister\\w*",
    "Händler\\w*",
    "Verkäufer\\w*",
    "Bank",
    "Fahrer\\w*",
    "Filiale",
    "Franchise\\w*",
    "Netzbetreiber\\w*",
    "DHL",
    "Hermes",
    "DPD",
    "GLS",
    "UPS",
)
_WE_DO = alt(
    "erstatten",
    "schicken",
    "senden",
    "prüfen",
    "melden uns",
    "rufen",
    "kümmern uns",
    "tauschen",
    "ersetzen",
    "klären",
    "schauen",
    "beheben",
    "korrigieren",
    "schreiben",
    "buchen",
    "überweisen",
    "sorgen",
    "informieren",
    "leiten",
    "geben",
    "untersuchen",
    "reparieren",
    "stornieren",
    "storniere",
    "erstatte",
    "prüfe",
    "schaue",
    "melde mich",
    "kümmere mich",
    "leite",
    "gebe",
    "kläre",
    "schicke",
    "sende",
    "rufe",
    "holen",
    "hole",
    "übernehmen",
    "vereinbaren",
    "organisieren",
    "liefern",
)

LEXICON = Lexicon(
    blame=rules(
        _YOU + r" hätte(?:n|st|t)? [^.!?]{0,60}\b(?:sollen|müssen)\b",
        r"\b(?:liegt|lag|liegen|lagen) (?:wohl |leider |hier |eher )?(?:an|bei) "
        + _YOUR
        + r" (?:Gerät|Router|Handy|Smartphone|Einstellungen?|Browser|Netzwerk|Eingabe|Anschluss|"
          r"Bestellung)\b",
        r"\b(?:liegt|lag|liegen|lagen) (?:das |es |dies |der Fehler |das Problem )?(?:wohl |leider |hier |"
        r"eher |nicht )?"
        r"(?:am|an der|an den|beim|bei der|bei den) " + _THIRD,
        r"\b(?:liegt|lag) nicht (?:an|bei) uns\b",
        r"\bnicht unsere Schuld\b",
        r"\bnicht (?:unser|unsere) (?:Problem|Fehler)\b",
        r"\b(?:verantwortlich|zuständig) (?:ist|sind|war|waren) (?:hier )?(?:der|die|das|allein) " + _THIRD,
        r"\bwir sind (?:dafür |hierfür )?(?:leider )?nicht (?:verantwortlich|zuständig)\b",
        r"\b(?:Schuld|Fehler) (?:des|der|beim|bei der) " + _THIRD,
        r"\bBedienfehler\b",
        r"\b(?:verursacht|verschuldet) (?:durch|von) (?:den|die|das|dem|der|unseren?) " + _THIRD,
    )
    + rules(
        _YOU + r" (?:haben|hast|habt) [^.!?]{0,40}\b(?:falsch\w*|vergessen|übersehen)\b",
        r"\b(?:haben|hast|habt) (?:Sie|du|ihr) [^.!?]{0,40}\b(?:falsch\w*|vergessen|übersehen)\b",
        r"\b" + _YOUR + r" (?:eigene )?Schuld\b",
        r"\b" + _YOU + r" (?:haben|hast) (?:etwas |was )?falsch gemacht\b",
        negatable=True,
    ),
    excuse=rules(
        r"\baufgrund (?:des|der|von) (?:(?:sehr |extrem |derzeit |aktuell )?(?:hohen?|erhöhten?|großen?|"
        r"vielen?) )"
        r"(?:Aufkommens?|Anfragen|Nachfrage|Andrangs?|Auftragslage|Bestellmengen?)\b",
        r"\b(?:wegen|bei) (?:der |dem |so )?(?:(?:sehr |extrem )?(?:hohen?|großen?|vielen?|erhöhten?) )"
        r"(?:Aufkommen|Anfragen|Nachfrage|Andrang)\b",
        r"\b(?:lässt|lassen) sich (?:leider )?(?:nicht immer|nie|leider nicht immer) (?:ganz )?vermeiden\b",
        r"\bhöhere(?:r)? Gewalt\b",
        r"\b(?:außerhalb|nicht in) unsere[rs]? (?:Einfluss|Hand|Kontrolle|Macht)",
        r"\b(?:nicht|kaum) (?:zu )?beeinflussen\b",
        r"\b(?:kommen|kommt) (?:schon |leider |halt |eben |nun mal )?(?:mal |immer wieder )?vor\b",
        r"\b(?:gemäß|laut|wie in) (?:unseren?|den) (?:AGB|Geschäftsbedingungen|Richtlinien|Bedingungen)\b",
        r"\b(?:aufgrund|wegen) (?:der |des )?(?:Witterung|Wetterlage|Unwetters?|Streiks?|Personalmangels?)\b",
        r"\bdaher kam es\b",
        r"\b(?:wir sind|wir waren) (?:leider )?(?:unterbesetzt|überlastet)\b",
        r"\b(?:so )?(?:ist nun mal|ist halt|ist eben)\b",
    )
    + rules(r"\b(?:kann|können) [^.!?]{0,40}\b(?:vorkommen|passieren)\b", negatable=True),
    conditional_apology=rules(
        r"\b(?:falls|wenn|sollte|sollten) sich (?:jemand|Sie|du|einige|manche)\b[^.!?]{0,40}"
        r"\b(?:verletzt|beleidigt|gekränkt|angegriffen|verärgert|vor den Kopf gestoßen)\b[^.!?]{0,15}",
        r"\b(?:entschuldigen|entschuldige) (?:wir )?(?:uns|mich)?,? (?:falls|wenn|sofern)\b[^.!?]{0,40}",
        r"\b(?:tut|tat) (?:uns|mir) leid,? (?:falls|wenn|sofern|dass Sie das so|dass du das "
        r"so)\b[^.!?]{0,40}",
        r"\b(?:für |um Entschuldigung für )?(?:etwaige|eventuelle|eventuell entstandene|mögliche|jegliche|"
        r"evtl\.) (?:Unannehmlichkeiten|Unstimmigkeiten|Missverständnisse|Irritationen)\b[^.!?]{0,25}",
        r"\bbedauern(?: wir| es)?,? (?:dass|wenn|falls) (?:Sie|du)\b[^.!?]{0,30}"
        r"\b(?:empfinden|fühlen|gefühlt|sehen|zufrieden|verärgert|unzufrieden|enttäuscht)\b[^.!?]{0,10}",
        r"\b(?:falls|sofern|soweit) (?:Ihnen|dir|Dir|jemandem) (?:dadurch )?(?:Unannehmlichkeiten|ein "
        r"Nachteil|"
        r"Nachteile|Schaden) entstanden (?:ist|sind|sein sollte[n]?)\b",
        r"\bsollten (?:Ihnen|dir) (?:dadurch )?Unannehmlichkeiten entstanden sein\b",
    ),
    hostile=rules(
        r"\b(?:wie|was) (?:ich|wir) (?:Ihnen|dir|Dir|euch)? ?(?:doch |ja )?(?:schon|bereits) "
        r"(?:mehrfach |öfter |oft |mehrmals |x-mal |zigmal )?(?:erklärt|gesagt|geschrieben|mitgeteilt)",
        r"\b(?:haben|hatten) (?:wir|ich) (?:Ihnen|dir|Dir|euch) (?:doch |ja )?(?:schon|bereits) "
        r"(?:mehrfach |öfter |oft |mehrmals |x-mal |zigmal )?(?:erklärt|gesagt|geschrieben|mitgeteilt)",
        r"\bwie bereits (?:mehrfach |öfter )?(?:erklärt|gesagt|geschrieben|mitgeteilt)\b",
        r"\bberuhigen Sie sich\b",
        r"\bberuhig dich\b",
        r"\bregen Sie sich (?:mal |doch )?(?:ab|nicht so auf)\b",
        r"\b(?:Lesen bildet|lesen Sie (?:doch |einfach |mal )+(?:nach|die|unsere))\b",
        r"\b(?:offensichtlich|anscheinend) (?:haben|können|wissen) (?:Sie|du) (?:nicht|kein)",
        r"\b(?:Ihr|dein|Dein) Problem\b(?! (?:lösen|beheben|klären))",
        r"\bnicht unser Problem\b",
        r"\b(?:einfach|doch) mal (?:lesen|nachdenken|nachlesen)\b",
        r"\bviel Glück (?:dabei|damit)\b",
        r"\b(?:Idiot|dumm|Quatsch|Unsinn|lächerlich|Schwachsinn|peinlich)\b",
        r"\bnetter Versuch\b",
        r"\bkein Grund,? (?:gleich )?(?:so )?(?:ausfallend|unverschämt|laut) zu werden\b",
        r"\bwer lesen kann\b",
        r"\bdas sollten (?:Sie|du) (?:eigentlich )?wissen\b",
    ),
    apology=rules(
        r"\bEntschuldigung\b",
        r"\bentschuldigen (?:Sie|uns|wir|mich|möchten)\b",
        r"\bentschuldige (?:mich|bitte)\b",
        r"\b(?:tut|tat) (?:es )?(?:uns|mir) (?:sehr |wirklich |aufrichtig |ehrlich )?leid\b",
        r"\bbitten? (?:Sie |dich )?(?:vielmals |aufrichtig )?um Entschuldigung\b",
        r"\bsorry\b",
        r"\bVerzeihung\b",
        r"\bverzeih(?:en Sie|t)?\b",
        r"\bbedauern\b",
        r"\bbedauerlicherweise\b",
        r"\b(?:unser|mein) Fehler\b",
        r"\bda (?:haben wir|ist uns) (?:ein Fehler|etwas) (?:unterlaufen|passiert)\b",
    ),
    empathy=rules(
        r"\bverstehe(?:n)?\b[^.!?]{0,20}\b(?:dass|Ihren|Deinen|Ihre|Deine|Ihr|den|die|das|wie)\b",
        r"\b(?:gut |absolut )?nachvollziehbar\b",
        r"\bVerständnis für\b",
        r"\b(?:kann|können) (?:ich|wir) (?:mir|uns) (?:gut |sehr gut )?vorstellen\b",
        r"\bärgerlich\b",
        r"\bärger(?:t|n|st) (?:Sie|dich|euch)\b",
        r"\b(?:Sie|du|ihr) (?:sich|dich|euch) ärger",
        r"\bfrustrierend\b",
        r"\benttäuschend\b",
        r"\bschade\b",
        r"\bunschön\b",
        r"\bbedauerlich\b",
        r"\b(?:klingt|ist) (?:wirklich |echt |natürlich )?(?:nicht (?:gut|schön)|"
        r"ärgerlich|unangenehm|blöd|übel)\b",
        r"\b(?:keineswegs|nicht) angenehm\b",
        r"\bzu Recht\b",
        r"\bso (?:sollte|darf) (?:das|es) nicht sein\b",
        r"\b(?:das )?hätte nicht passieren (?:dürfen|sollen)\b",
        r"\b(?:tut|tat) (?:uns|mir) leid zu (?:hören|lesen)\b",
        r"\bIhr(?:en)? Ärger\b",
        r"\bdeinen? Ärger\b",
        r"\bnachempfinden\b",
        r"\bmitfühlen\b",
    ),
    next_step=rules(
        r"\bbitte (?:\w+ )?(?:schreiben|senden|schicken|nutzen|wenden|melden|schauen|prüfen|geben|rufen|"
        r"kontaktieren|teilen|füllen|nennen|probieren|versuchen|klicken|öffnen|antworten|starten|sende|"
        r"schick|"
        r"schreib|melde|gib|nenn|ruf|prüf|schau|nutze|wende|laden|fahren|trennen|lagern|bringen|stellen|"
        r"schalten|vereinbaren|registrieren)\b",
        r"\b(?:schreiben|senden|schicken|nennen|geben) Sie (?:uns|mir)\b",
        r"\b(?:schreib|schick|sende|gib) (?:uns|mir)\b",
        r"\bwir " + _WE_DO + r"\b",
        r"\bich " + _WE_DO + r"\b",
        r"\b(?:wir werden|werden wir|ich werde|werde ich)\b",
        r"\b(?:gebe|leite|prüfe|kläre|schicke|sende) ich\b",
        r"\b(?:können|könnten|würden) (?:Sie|du) (?:uns |mir )?(?:bitte )?(?:\w+ )?(?:schreiben|senden|"
        r"schicken|"
        r"nennen|geben|mitteilen|sagen|prüfen|probieren|versuchen|kontaktieren|bestätigen|schildern)\b",
        r"\b(?:nutzen|wenden|melden|kontaktieren|besuchen|probieren|versuchen) Sie\b",
        r"\b(?:finden|erhalten|bekommen) (?:Sie|du)\b[^.!?]{0,60}?\b(?:hier|unter|auf|bei)\b",
        r"\b(?:hier|dort) (?:finden|erhalten|bekommen|sehen) (?:Sie|du)\b",
        r"\bunter https?://",
        r"\b(?:wir|ich) (?:würden|möchten|möchte|würde) (?:Sie|dich|euch) (?:\w+ )?(?:bitten|einladen)\b",
        r"\bper (?:DM|PN|Direktnachricht|Privatnachricht|Mail|E-Mail)\b",
        r"\bErstattung\b",
        r"\b(?:Sie|du) (?:können|kannst) (?:auch |gerne |jederzeit )?(?:\w+ )?(?:nutzen|buchen|wählen|"
        r"stornieren|"
        r"beantragen|einreichen|anrufen|schreiben|nachsehen|prüfen|veranlassen|kontaktieren)\b",
        r"\b(?:die|unsere) Kollegen (?:\w+ )?(?:melden sich|werden sich|kümmern sich|helfen)\b",
        r"\b(?:wir|ich) (?:haben|habe) [^.!?]{0,50}(?:geschickt|gesendet|erstattet|gutgeschrieben|"
        r"weitergeleitet|"
        r"weitergegeben|gebucht|veranlasst|angewiesen|storniert|behoben)\b",
        r"\b(?:ist|sind|wurde|wurden) (?:bereits |schon |inzwischen )?(?:unterwegs|behoben|erledigt|"
        r"veranlasst|"
        r"angewiesen|storniert|erstattet|gutgeschrieben|verschickt|versendet)\b",
        r"\b(?:Umtausch|Rückgabe|Erstattung|Stornierung|Reklamation)\b[^.!?]{0,40}\bmöglich\b",
        r"\b(?:findest|findet|siehst) (?:du|ihr) (?:\w+ )?(?:hier|unter|auf|in)\b",
        r"\b(?:steht|stehen) (?:\w+ )?(?:auf|unter|in) (?:unserer|der) (?:Website|Webseite|Seite|App|FAQ)\b",
        r"\bbitte (?:\w+ )?informieren\b",
        r"\b(?:läuft|funktioniert) (?:alles |es )?wieder\b",
    ),
    generic_offer=rules(
        r"\b(?:melden Sie sich|meld dich|schreiben Sie uns|schreib uns),? (?:gerne|gern),? (?:wenn|falls|"
        r"sobald)\b[^.!?]*",
        r"\b(?:wenn|falls) (?:Sie|du) (?:noch )?(?:weitere |noch )?(?:Fragen|Hilfe)\b[^.!?]*",
        r"\b(?:wir|ich) (?:helfen|helfe) (?:Ihnen |dir )?gerne\b[^.!?]*",
    ),
    commitment=rules(
        r"\b(?:wir|ich) (?:werden|werde)\b[^.!?]*",
        r"\b(?:werden|werde) (?:wir|ich)\b[^.!?]*",
        r"\b(?:wir|ich) (?:melden uns|melde mich|kümmern uns|kümmere mich|prüfen|prüfe|klären|kläre|schauen|"
        r"schaue|leiten|leite|geben|gebe|erstatten|erstatte|schicken|schicke|senden|sende)\b[^.!?]*",
        r"\b(?:gebe|leite|prüfe|kläre|schicke|sende|melde) ich\b[^.!?]*",
        r"\b(?:die|unsere|der|ein|eine) (?:\w+ )?(?:Kollegen?|Kollegin|Team|Fachabteilung|"
        r"Fachbereich)\b[^.!?]{0,40}"
        r"\b(?:meldet|melden|wird|werden|kümmert|kümmern|arbeiten|arbeitet)\b[^.!?]*",
        r"\bwir arbeiten (?:mit Hochdruck |bereits |schon )?(?:daran|an)\b[^.!?]*",
    ),
    timeline=rules(
        r"\b(?:innerhalb|binnen) (?:von |der nächsten |eines |einer )?(?:" + _NUM + r" )?" + _UNIT + r"\b",
        r"\bin (?:den nächsten |etwa |ca\. |rund )?" + _NUM + r" " + _UNIT + r"\b",
        r"\b(?:bis|am|ab|seit|zum|vor|nach dem|nächsten?|kommenden?|diese[nm]?) (?:spätestens )?(?:"
        + _DAY
        + r"|morgen|heute|übermorgen|Ende der Woche|Wochenende|Mittag|Abend)\b",
        r"\b(?:heute|morgen|übermorgen|heute Abend|noch heute|diese Woche|nächste Woche|Ende der Woche)\b",
        r"\bbis (?:spätestens )?(?:zum |)\d{1,2}\.",
        r"\b\d{1,2}[.:]\d{2} Uhr\b",
        r"\b\d{1,2} Uhr\b",
        r"\bum \d{1,2}(?:[.:]\d{2})?\b",
        r"\b\d{1,2}\.\d{1,2}\.(?:\d{2,4})?",
        r"\b(?:sofort|umgehend|unverzüglich)\b",
        r"\b\d+ ?(?:Std|Stunden|Tage|Werktage)\b",
    ),
    negation=re.compile(
        r"\b(?:nicht|nichts|kein\w*|keineswegs|keinesfalls|nie|niemals|weder|mitnichten)\b", FLAGS
    ),
    greeting=re.compile(
        r"^\W*(?:hallo|hi|hey|liebe[rs]?|sehr geehrte[rs]?|guten (?:morgen|tag|abend)|moin|servus|"
        r"grüß (?:gott|dich)|grüezi)\b[^,.!?\n]{0,30}",
        FLAGS,
    ),
    titles=frozenset({"frau", "herr", "hr", "fr", "dr", "prof", "familie", "liebe", "lieber"}),
)
