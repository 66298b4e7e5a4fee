"""Meta's shared parts: the webhook transport and the chat events of Messenger and Instagram."""
