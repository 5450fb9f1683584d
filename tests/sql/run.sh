#!/usr/bin/env bash
# Golden SQL tests (see run.py for the case format).
exec python3 "$(dirname "$0")/run.py" "$@"
