"""People who sign in: users, roles and permissions, passwords, web sessions and API tokens."""
