"""The Telegram Bot API (``/bot<token>/<method>``), with its ``ok``/``error_code`` answers classified:
429 carries ``parameters.retry_after``, 401 and 404 mean the token is wrong."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.http import client, request_json
from crisisdesk.channels.telegram.config import TelegramConfig

API = "https://api.telegram.org"


class BotApi:
    def __init__(self, config: TelegramConfig) -> None:
        self.base = config.base(API)
        self._token = config.bot_token.get_secret_value()
        self._http = client(self.base)

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, **params: Any) -> Any:
        response, data = request_json(self._http, "POST", f"/bot{self._token}/{method}", json=params)
        if isinstance(data, dict) and data.get("ok") is True:
            return data.get("result")
        raise bot_error(response, data)

    def upload(self, method: str, params: dict[str, Any], field: str, filename: str, data: bytes,
               content_type: str) -> Any:
        """A call with a file (``sendPhoto``, ``sendDocument``) as multipart/form-data: the Bot API
        takes objects (``reply_parameters``) there as JSON-serialised fields."""
        form = {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in params.items()}
        response, answer = request_json(self._http, "POST", f"/bot{self._token}/{method}", data=form,
                                        files={field: (filename, data, content_type)})
        if isinstance(answer, dict) and answer.get("ok") is True:
            return answer.get("result")
        raise bot_error(response, answer)


def bot_error(response: httpx.Response, data: Any) -> PlatformError:
    if not isinstance(data, dict):
        return PlatformError(f"HTTP {response.status_code} without a Bot API answer",
                             permanent=response.status_code < 500)
    code = data.get("error_code", response.status_code)
    text = f"({code}) {data.get('description', 'no description')}"
    parameters = data.get("parameters")
    if not isinstance(parameters, dict):
        parameters = {}
    if code == 429:
        return PlatformError(text, code=code, retry_after=float(parameters.get("retry_after") or 5))
    if code in (401, 404):
        return PlatformError(f"{text}: the bot token is wrong or was revoked", code=code, permanent=True,
                             reauthorize=True)
    if parameters.get("migrate_to_chat_id") is not None:  # the group became a supergroup
        text += f" (the group is now the supergroup {parameters['migrate_to_chat_id']})"
    return PlatformError(text, code=code, permanent=isinstance(code, int) and code < 500)
