"""A mailbox read over IMAP (UID cursor, UIDVALIDITY, IDLE where the server has it)."""
