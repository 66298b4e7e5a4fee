"""The workspace configuration stored in the database: edited in the browser, imported from and
exported to ``crisisdesk.yaml``."""
