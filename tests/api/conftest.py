from tests.accounts.fixtures import world

__all__ = ["world"]
