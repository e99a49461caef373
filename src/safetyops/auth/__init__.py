"""Users, roles, API tokens and the access policies."""
