"""What can go wrong with accounts, as errors the CLI prints and the API maps to status codes."""

from __future__ import annotations

from crisisdesk.core.errors import CrisisdeskError


class AccountError(CrisisdeskError):
    """A request about accounts that cannot be done as asked (HTTP 400/409/422)."""


class UserNotFound(AccountError):
    """No user with that e-mail address or id (HTTP 404)."""


class DuplicateEmail(AccountError):
    """Another user already has this e-mail address (HTTP 409)."""


class PasswordPolicyError(AccountError):
    """The new password is too short or too long (HTTP 422)."""


class InvalidCredentials(AccountError):
    """Wrong e-mail, wrong password or a disabled account: deliberately one message for all three."""

    def __init__(self) -> None:
        super().__init__("wrong e-mail address or password")


class LoginThrottled(AccountError):
    """Too many failed sign-ins for this e-mail address from this address (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed sign-ins; try again in {retry_after} seconds")


class LastAdminError(AccountError):
    """The change would leave no active admin (HTTP 409)."""
