"""The demo's inbox: saved replies, rules and the agents who work it.

A brand in this crisis gets the same few questions hundreds of times, so its team answers from
saved replies in both languages, filled in for each person (``{{contact.first_name}}``,
``{{agent.name}}``, ``{{ticket}}``). Rules do what nobody should do by hand at the peak: a complaint
about service, billing or delivery under a Facebook post is answered publicly with an invitation
to a private chat, answered privately with a ticket number, and marked high priority; an insulting
comment is hidden at once and waits in the moderation review queue for a person's decision; a
safety complaint is urgent. Only Voltaro's own channels take part: posts found by listening did
not arrive through an account that could answer them.

The thresholds are the demo data's: the insult classifier scores the crisis's insults between
0.5 and 0.9; 0.6 hides the unmistakable ones and leaves the borderline ones to the team.
"""

from __future__ import annotations

from typing import Final

from crisisdesk.demo.own_channels import FACEBOOK

#: The insult score from which the demo's rule hides a comment.
HIDE_FROM: Final = 0.6
#: Complaint types the rule moves to a private conversation (safety has its own rule: it is urgent).
PRIVATE_COMPLAINTS: Final = ("customer_service", "billing_price", "delivery_delay", "product_defect")

#: Names of the saved replies the simulated team uses (:mod:`crisisdesk.demo.team`).
APOLOGY: Final = "recall-apology"
TICKET_FOLLOW_UP: Final = "ticket-follow-up"
COME_PRIVATE: Final = "come-private"

INBOX_YAML: Final = f"""\
# The inbox: saved replies the team answers with (German and English, filled in per person) and the
# rules that act on every new message of a conversation, in order. See docs/inbox.md.
inbox:
  saved_replies:
    - name: {APOLOGY}
      title: "Rückruf: Entschuldigung und Anleitung / Recall: apology and instructions"
      text:
        de: "Hallo {{{{contact.first_name}}}}, es tut uns sehr leid. Bitte laden und fahren Sie Ihren Pulse 3
          nicht mehr, bis er geprüft ist. Wir holen ihn kostenlos ab und melden uns innerhalb von 24 Stunden
          mit einem Termin. Alles zum Rückruf: https://voltaro.example/rueckruf – Viele Grüße,
          {{{{agent.name}}}}, Voltaro"
        en: "Hi {{{{contact.first_name}}}}, we're very sorry. Please stop charging and riding your Pulse 3
          until it has been checked. We will collect it free of charge and get back to you within 24 hours
          with a pick-up date. Everything about the recall: https://voltaro.example/recall – Best,
          {{{{agent.name}}}}, Voltaro"
    - name: {TICKET_FOLLOW_UP}
      title: "Ticket bestätigen / Confirm the ticket"
      text:
        de: "Hallo {{{{contact.first_name}}}}, Ihr Anliegen hat bei uns die Ticketnummer {{{{ticket}}}}. Wir
          melden uns innerhalb von 24 Stunden persönlich bei Ihnen. {{{{agent.name}}}}, Voltaro Service"
        en: "Hi {{{{contact.first_name}}}}, your request is ticket {{{{ticket}}}} with us. We'll get back to
          you personally within 24 hours. {{{{agent.name}}}}, Voltaro Service"
    - name: {COME_PRIVATE}
      title: "Bitte per Direktnachricht / Please message us privately"
      text:
        de: "Hallo {{{{contact.first_name}}}}, das wollen wir klären. Schreiben Sie uns bitte eine
          Direktnachricht mit Ihrer Bestellnummer, dann kümmern wir uns. {{{{agent.name}}}}"
        en: "Hi {{{{contact.first_name}}}}, we want to sort this out. Please send us a direct message with
          your order number and we'll take care of it. {{{{agent.name}}}}"
  rules:
    - name: hide-insults
      when: {{channel: {FACEBOOK.key}, public: true, insult: true, insult_score_at_least: {HIDE_FROM}}}
      then:
        - tag: insult
        - hide: true
      stop: true
    - name: complaints-to-private
      when:
        channel: {FACEBOOK.key}
        public: true
        sentiment: negative
        complaint_types: [{", ".join(PRIVATE_COMPLAINTS)}]
      then:
        - tag: complaint
        - priority: high
        - ticket: true
        - move_to_private:
            public:
              de: "Das tut uns leid, {{{{contact.first_name}}}}. Wir haben Ihnen eine private Nachricht
                geschickt, damit wir Ihre Daten nicht öffentlich besprechen."
              en: "We're sorry, {{{{contact.first_name}}}}. We've sent you a private message so that we
                don't discuss your details in public."
            private:
              de: "Hallo {{{{contact.first_name}}}}, hier ist der Voltaro Service. Ihr Anliegen hat die
                Ticketnummer {{{{ticket}}}}. Nennen Sie uns bitte Ihre Bestellnummer, dann melden wir uns."
              en: "Hi {{{{contact.first_name}}}}, this is Voltaro Service. Your request is ticket
                {{{{ticket}}}}. Please tell us your order number and we'll get back to you."
    - name: safety-urgent
      when: {{sentiment: negative, complaint_types: [safety]}}
      then:
        - tag: safety
        - priority: urgent
"""
