"""Function words left out of surging terms (German and English, folded like post text)."""

from __future__ import annotations

from crisisdesk.core.text import fold

_EN_TEXT = """a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours out over own same she should so
some such than that the their theirs them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your yours
im its dont cant wont didnt doesnt isnt ive youre thats get got just like one also rt amp via u"""

_DE_TEXT = """aber alle allem allen aller alles als also am an ander andere anderen auch auf aus bei bin bis
bist da damit dann das dass dein deine dem den denn der des dessen dich die dies diese diesem diesen
dieser dieses dir doch dort du durch ein eine einem einen einer eines er es etwas euch euer eure
für gegen gewesen hab habe haben hat hatte hier hin hinter ich ihm ihn ihnen ihr ihre im in ist ja
jede jedem jeden jeder jetzt kann kein keine können man manche mein meine mich mir mit muss nach
nicht nichts noch nun nur ob oder ohne schon sehr sein seine sich sie sind so solche soll sollte
sondern sonst über um und uns unser unter vom von vor war waren warum was weg weil weiter welche
wenn wer werde werden wie wieder will wir wird wo wurde würde zu zum zur zwar zwischen mal gibt
geht immer heute"""

STOPWORDS = frozenset(fold(w) for w in (_EN_TEXT + " " + _DE_TEXT).split())
