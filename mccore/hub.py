"""Where a dataset or model reference points: a local folder or a Hugging Face Hub id.

Users mistype local paths, and a mistyped path that is read as a Hub id costs ~25 s of Hub retries
offline before a confusing error. So a reference that looks local is always treated as local (and
"does not exist" is said at once), and a real Hub id is checked against the Hub once, within a few
seconds, before any download starts.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path

HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
REACH_TIMEOUT_S = 4.0


class HubUnreachableError(ConnectionError):
    """The Hub cannot be reached (no network, DNS failure, timeout); `reason` is the short cause."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def looks_like_local_path(ref: str) -> bool:
    """True when `ref` is meant as a path: it exists, starts with `.`, `/` or `~`, is not of the
    `owner/name` form, or its first component is an existing local folder (`out/nodataset`)."""
    path = Path(ref).expanduser()
    if path.exists() or ref.startswith((".", "/", "~")) or not HUB_ID.match(ref):
        return True
    return Path(ref.split("/", 1)[0]).is_dir()


def check_hub_reachable(what: str, timeout_s: float = REACH_TIMEOUT_S) -> None:
    """Raise HubUnreachableError (one line naming `what` and the host) unless the Hub answers.

    Any HTTP answer counts as reachable (the call that follows reports 401/404 itself); only a
    failure to connect within `timeout_s` is an error.
    """
    endpoint = hub_endpoint()
    request = urllib.request.Request(f"{endpoint}/api/whoami-v2", method="HEAD")
    try:
        urllib.request.urlopen(request, timeout=timeout_s).close()
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError) as exc:
        reason = f"cannot reach {endpoint}: {getattr(exc, 'reason', exc)}"
        raise HubUnreachableError(
            f"{what}: {reason}; pass a local folder, or set HF_HUB_OFFLINE=1 to use only the local cache", reason
        ) from None


def resolve_reference(ref: str, what: str, *, check_hub: bool = True) -> Path | str:
    """A local folder as a Path, or a Hub id as a str after checking the Hub answers.

    With HF_HUB_OFFLINE set the Hub is not asked: the libraries then read only their local cache
    and fail fast on their own. Raises FileNotFoundError for a local-looking path that does not exist, and HubUnreachableError
    for a Hub id when the Hub cannot be reached.
    """
    if looks_like_local_path(ref):
        path = Path(ref).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"{what} {ref}: no such folder")
        return path
    if check_hub and not hub_offline():
        check_hub_reachable(f"{what} {ref}")
    return ref
