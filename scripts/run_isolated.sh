#!/usr/bin/env bash
# Run a command with everything beside the checkout hidden, as on a user's fresh clone.
#
# In a private mount namespace the folder that holds the checkout is covered by an empty tmpfs into
# which only the checkout itself (and the Python install, when it lives there too) is bound back.
# Every absolute path inside the repository stays valid, while a read of ../shared or any other
# neighbour fails. Needs root (CI runs as root); elsewhere the command runs unisolated, with a warning.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
PARENT=$(dirname "$REPO")

if [ "${MICROCODER_ISOLATED:-}" = 1 ] || [ "$PARENT" = / ]; then
    exec "$@"
fi
if [ "$(id -u)" != 0 ] || ! unshare --mount true 2>/dev/null; then
    echo "warning: not root (or no mount namespaces): running without hiding $PARENT" >&2
    exec "$@"
fi

PYBASE=$("$REPO/.venv/bin/python" -c 'import os, sys; print(os.path.realpath(sys.base_prefix))')
export MICROCODER_ISOLATED=1 REPO PARENT PYBASE
exec unshare --mount --propagation private bash -euc '
    # a mount point outside PARENT for the stash (PARENT may be /tmp itself)
    for d in /run /dev/shm /var/tmp /tmp; do
        case "$d/" in "$PARENT"/*) continue ;; esac
        [ -d "$d" ] && STASH=$(mktemp -d -p "$d" microcoder-iso.XXXXXX) && break
    done
    keep=("$REPO")
    case "$PYBASE/" in "$PARENT"/*) keep+=("$PYBASE") ;; esac
    for i in "${!keep[@]}"; do mkdir "$STASH/$i"; mount --rbind "${keep[$i]}" "$STASH/$i"; done
    mount -t tmpfs -o mode=755 microcoder-isolated "$PARENT"
    for i in "${!keep[@]}"; do mkdir -p "${keep[$i]}"; mount --rbind "$STASH/$i" "${keep[$i]}"; done
    cd "$REPO"
    exec "$@"
' isolated "$@"
