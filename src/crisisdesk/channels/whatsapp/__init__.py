"""The whatsapp connector."""
