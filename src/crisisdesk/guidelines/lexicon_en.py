"""English rules. Developed on the dev half of the labelled company replies and the table tests;
``docs/guidelines.md`` has the scores and what the rules miss."""

from __future__ import annotations

import re

from crisisdesk.guidelines.lexicon import FLAGS, Lexicon, alt, rules

_WE = r"\b(?:we|i)(?:'ll|’ll| will| are going to|'re going to|’re going to| am going to| shall)"
_DAY = alt(
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thurs",
    "fri",
    "sat",
    "sun",
)
_MONTH = alt(
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
)
_NUM = alt(r"\d+", "an?", "one", "two", "three", "four", "five", "six", "seven", "ten", "24", "48", "72")
_UNIT = alt(
    "minutes?", "mins?", "hours?", "hrs?", "days?", "business days?", "working days?", "weeks?", "months?"
)
_THIRD = alt(
    "carrier",
    "courier",
    "manufacturer",
    "seller",
    "vendor",
    "supplier",
    "partner",
    "third[- ]party",
    "airport",
    "bank",
    "post office",
    "postal service",
    "driver",
    "store",
    "franchise",
    "restaurant",
    "other company",
    "provider",
)

LEXICON = Lexicon(
    blame=rules(
        r"\buser error\b",
        r"\byou (?:should|could|must) (?:have|'ve)\b(?! (?:received|got|gotten|had|been))",
        r"\byou (?:didn'?t|did not|failed to|forgot to|neglected to) (?!receive|get|hear)\w+",
        r"\byou (?:entered|typed|chose|selected|booked|used|gave us) (?:the |a )?wrong\b",
        r"\b(?:issue|problem|fault) (?:is|was|seems to be|lies) (?:on|with) your (?:end|side|device|router|"
        r"network)",
        r"\bon your end\b(?=[^.?!]*\b(?:issue|problem|cause)\b)",
        r"\b(?:this|that|it)(?:'s| is| was) (?:the )?"
        + _THIRD
        + r"(?:'s|s')? (?:fault|responsibility|issue|problem)",
        r"\b(?:caused|handled|operated|controlled) by (?:the |our )?" + _THIRD + r"\b",
        r"\b(?:up to|on) the " + _THIRD + r"\b",
        r"\bnot our (?:fault|problem|responsibility)\b",
        r"\b(?:we are|we're|we aren't|we are not) not responsible\b",
        r"\bnothing to do with us\b",
        r"\b(?:blame|fault of) (?:the )?" + _THIRD + r"\b",
    )
    + rules(r"\byour (?:own )?fault\b", r"\byou (?:did|made) (?:something|it) wrong\b", negatable=True),
    excuse=rules(
        r"\bdue to (?:a |an |the )?(?:high|higher|unusually high|increased|heavy|large|record) "
        r"(?:volume|demand|number|traffic)\b",
        r"\b(?:we are|we're|we have been) (?:experiencing|seeing|receiving) (?:a |an )?"
        r"(?:high|higher|unusually high|increased|large) (?:volume|number|demand)",
        r"\b(?:beyond|outside(?: of)?|out of) our control\b",
        r"\bout of our hands\b",
        r"\b(?:delays|these things|things like this|issues|mistakes) (?:can |do |will )?(?:happen|occur)\b",
        r"\bunavoidable\b",
        r"\b(?:as|like) (?:stated|outlined|described|written) in (?:our|the) "
        r"(?:terms|policy|policies|conditions|t&cs)",
        r"\b(?:per|according to) our (?:policy|policies|terms)\b",
        r"\bour policy (?:is|states|says)\b",
        r"\b(?:weather|air traffic control|atc)(?: conditions)? (?:caused|is causing|was|were|are)\b",
        r"\bmay (?:have|take) (?:a )?longer (?:processing|delivery|shipping) times?\b",
        r"\bwe (?:are|were) (?:short[- ]staffed|understaffed)\b",
    ),
    conditional_apology=rules(
        r"\b(?:sorry|apologi[sz]e|apologies)\b[^.!?]{0,25}\bif\b(?! (?:you|this|that|it) (?:still|"
        r"again))[^.!?,]{0,40}",
        r"\b(?:sorry|apologi[sz]e|apologies|regret)\w* for any\b[^.!?]{0,40}",
        r"\bregret any\b[^.!?]{0,40}",
        r"\b(?:we|i) regret (?:that )?you (?:feel|felt|are|were|aren'?t|weren'?t|have been)\b[^.!?]{0,40}",
        r"\bsorry (?:that )?you feel (?:that way|this way|like that)\b",
        r"\bif (?:anyone|you|someone|anybody) (?:was|were|felt|feels|has been) (?:offended|upset|hurt|"
        r"inconvenienced|disappointed)\b",
        r"\bmistakes were made\b",
    ),
    hostile=rules(
        r"\b(?:as|like) (?:i|we)(?:'ve| have)? (?:already |previously |clearly )?"
        r"(?:said|told you|explained|mentioned|stated)(?: (?:before|earlier|several times|many times))?",
        r"\b(?:we|i)(?:'ve| have) (?:already )?(?:told|explained (?:this )?to) you (?:this )?"
        r"(?:several|many|multiple|countless) times\b",
        r"\bcalm down\b",
        r"\b(?:read|check) (?:the|our) (?:faq|fine print|terms|instructions) "
        r"(?:first|next time|properly|before)\b",
        r"\blearn to (?:read|use)\b",
        r"\bnice try\b",
        r"\bno need to (?:shout|yell|be rude|get upset)\b",
        r"\bwith all due respect\b",
        r"\b(?:your|that'?s your) problem\b",
        r"\bdeal with it\b",
        r"\bgood luck with that\b",
        r"\b(?:idiot|stupid|moron|dumb|clueless|ridiculous (?:request|complaint))\b",
        r"\bdid you even (?:read|try|look)\b",
        r"\bobviously you\b",
        r"\bif you had (?:bothered|read)\b",
        r"\bnot that (?:hard|difficult)\b",
        r"\bwhatever you (?:say|want)\b",
    ),
    apology=rules(
        r"\bsorry\b",
        r"\bapologi[sz]e\w*\b",
        r"\bapolog(?:y|ies|izes)\b",
        r"\bmy bad\b",
        r"\bour (?:bad|mistake)\b",
        r"\bwe (?:messed|screwed) up\b",
        r"\bthat'?s on us\b",
        r"\bwe regret (?:the|this|our)\b",
        r"\bforgive us\b",
    ),
    empathy=rules(
        r"\bsorry to (?:hear|see|read|learn)\b",
        r"\bunderstand(?:able)?\b",
        r"\bi can (?:only )?imagine\b",
        r"\bfrustrat\w*",
        r"\bdisappoint\w*",
        r"\bannoying\b",
        r"\bupsetting\b",
        r"\bconcerning\b",
        r"\btroubl(?:ing|esome)\b",
        r"\bwe hear you\b",
        r"\bwe know (?:how|that)\b",
        r"\bno fun\b",
        r"\bnot (?:the experience|what we (?:want|expect)|fun|good|ok|okay|acceptable)\b",
        r"\b(?:doesn'?t|does not) sound (?:good|right|great|fun)\b",
        r"\bsad day\b",
        r"\bbummer\b",
        r"\boh no\b",
        r"\bthat must (?:be|have been)\b",
        r"\bwe feel\b",
        r"\bhear you\b",
        r"\bthat'?s (?:not|no) (?:good|fun|ok|right)\b",
        r"\bshould(?:n'?t| not) have happened\b",
        r"\bthat'?s awful\b",
        r"\bterrible\b",
    ),
    next_step=rules(
        r"\bplease (?:\w+ )?(?:dm|send|contact|reach|follow|tell|let us know|check|try|call|visit|use|"
        r"click|select|provide|confirm|share|go|make|fill|open|report|restart|update|reply|email|head|"
        r"give|stop|keep|unplug|return|bring|switch|turn|store|avoid|register)\b",
        r"\b(?:dm|message|contact|email|call|follow) (?:us|me)\b",
        r"\bsend (?:us|me) (?:a |an |your )?\w+",
        r"\bjoin us in (?:a )?dm\b",
        _WE
        + r" (?:\w+ ){0,2}(?:send|refund|replace|call|contact|check|look|follow|get back|reach|email|update|"
          r"fix|"
        r"investigat|pass|escalat|arrang|book|credit|reimburs|repl|respond|review|forward|let|be in touch|"
        r"shar|sort|resolv|make sure|take a look|see what|collect|pick|exchang|repair|inspect|ship|deliver|"
        r"pay|cover|compensat|organi[sz]|schedul)\w*",
        r"\b(?:can|could|would|will) you (?:please )?(?:\w+ )?(?:dm|send|confirm|tell|let|provide|try|share|"
        r"check|"
        r"follow|clarify|give|reach|test|describe|post)\b",
        r"\blet (?:us|me) know (?:what|which|when|where|how|if (?:it|this|that|you (?:still|were|did|"
        r"have)))\b",
        r"\btell us more\b",
        r"\breach out to\b",
        r"\btry (?:restarting|updating|reinstalling|clearing|"
        r"logging|signing|calling|asking|using|again)\b",
        r"\b(?:i|we)(?:'ve| have) (?:just )?(?:sent|replied|responded|forwarded|passed|escalated|refunded|"
        r"credited|issued|booked|arranged)\b",
        r"\b(?:here|at this link|via this link|the link below)\s*[:>-]",
        r"\byou can (?:find|check|contact|send|use|request|learn|track|reach|visit|submit|open|call|get)\b",
        r"\b(?:a member of )?our (?:\w+ )?(?:team|agents?|specialists?) (?:will|can|is going to)\b",
        r"\b(?:i'?d|we'?d|i would|we would) (?:recommend|suggest|advise)\b",
        r"\bwe suggest\b",
        r"\blet'?s (?:get|look|take|make|try|update|continue|start|fix|sort|check)\b",
        r"\b(?:check|suggest it|post it|head over|go to|visit|contact) (?:out |in |on )?(?:our|the)\b",
        r"\bfeel free to (?:ask|send|dm|contact|call)\b",
    ),
    generic_offer=rules(
        r"\blet us know if (?:we can|you need|there'?s|you have)\b[^.!?]*",
        r"\bif you need (?:any(?:thing)?|further|more|other)\b[^.!?]*",
        r"\b(?:we|i)(?:'d| would| will|'ll)? (?:be )?(?:happy|glad|love) to (?:help|assist|look)\b[^.!?]*",
        r"\b(?:we|i) (?:want|would like|'d like) to (?:help|do what)\b[^.!?]*",
    ),
    commitment=rules(
        _WE
        + r" (?:still |also |then |now )?(?:be )?(?:\w+ )?(?:follow(?:ing)? up|get(?:ting)? back|be in touch|"
        r"reach(?:ing)? out|contact|look(?:ing)? into|take a (?:closer )?look|check(?:ing)?|investigat\w*|"
        r"pass|forward|"
        r"let (?:our|the|you)|make sure|see what|fix|refund|send|replace|update|escalate|review|call|email|"
        r"respond|reply|share|arrange|credit|reimburse|resolve|sort|keep you|notify|inform)\b[^.!?]*",
        r"\b(?:our|the) (?:\w+ ){0,2}(?:team|agents?|specialists?|colleagues?)(?: member)? (?:will|'ll|is "
        r"going to) "
        r"(?:be )?(?:follow(?:ing)? up|get(?:ting)? back|be in touch|be in contact|in contact|reach(?:ing)? "
        r"out|"
        r"contact|review|look|check|investigate|respond|reply)\b[^.!?]*",
        r"\b(?:a member of our|someone from our|an agent|a specialist)[^.!?]{0,30}\bwill\b[^.!?]*",
        r"\bwho will be in (?:contact|touch)\b[^.!?]*",
        r"\bwe(?:'re| are) (?:looking|working) (?:into|on)\b[^.!?]*",
    ),
    timeline=rules(
        r"\b(?:with)?in (?:the next |about |around )?" + _NUM + r" " + _UNIT + r"\b",
        r"\b" + _NUM + r"[- ]?(?:h|hrs?|hours?|days?|business days?|working days?) ",
        r"\b(?:by|on|until|before|after|from|next|this) (?:" + _DAY + r"|tomorrow|tonight|today|noon|midday|"
        r"the end of (?:the |this )?(?:day|week|month))\b",
        r"\b(?:today|tonight|tomorrow|this (?:morning|afternoon|evening|week|month)|end of (?:the )?day|"
        r"eod)\b",
        r"\b" + _DAY + r"day?\b(?= (?:morning|afternoon|evening))",
        r"\b\d{1,2}(?::\d\d)? ?(?:am|pm)\b",
        r"\b(?:right away|straight away|immediately|right now)\b",
        r"\b" + _MONTH + r"\.? \d{1,2}(?:st|nd|rd|th)?\b",
        r"\b\d{1,2}(?:st|nd|rd|th)? (?:of )?" + _MONTH + r"\b",
        r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
        r"\b(?:within|in) (?:an|the next) hour\b",
    ),
    negation=re.compile(
        r"\b(?:not|no|never|nothing|none|isn'?t|wasn'?t|aren'?t|didn'?t|don'?t|doesn'?t|"
        r"hardly|nor)\b|n't\b",
        FLAGS,
    ),
    greeting=re.compile(
        r"^\W*(?:hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening)|greetings)\b"
        r"[^,.!?\n]{0,30}",
        FLAGS,
    ),
    titles=frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx"}),
)
