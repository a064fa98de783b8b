#!/bin/sh
# The container's entry point: prepare what the command needs, then become the command (exec: no shell stays
# between the init and the command, which gets the runtime's signals). The command comes from deploy/compose.yaml:
#
#   gunicorn …             the web: check the settings (unsafe ones stop the start; --offline: the database is
#                          checked by what follows), create or upgrade the schema (init-db takes a lock: web
#                          replicas starting together migrate once)
#   rectiflow scheduler    a scheduler: wait until the schema is current, so a scheduler started beside the first
#                          web never fails on a database still being migrated
#   anything else          run as given (e.g. `docker compose run web rectiflow people add …`)
#
# No setting is read here: Rectiflow reads RECTIFLOW_* and the instance file itself (web/config.py).
set -eu

# How long a scheduler waits for the schema, in seconds (RECTIFLOW_* names are Rectiflow's settings only).
SCHEMA_WAIT_SECONDS=${SCHEMA_WAIT_SECONDS:-300}

case "${1:-}" in
  gunicorn)
    rectiflow check-config --offline
    rectiflow init-db
    ;;
  rectiflow)
    if [ "${2:-}" = "scheduler" ] && [ "$#" -eq 2 ]; then
      waited=0
      # `scheduler --status` exits non-zero while the database is unreachable or its schema is not current.
      until rectiflow scheduler --status >/dev/null 2>&1; do
        if [ "$waited" -ge "$SCHEMA_WAIT_SECONDS" ]; then
          echo "entrypoint: the schema is still not current after ${waited}s:" >&2
          rectiflow scheduler --status >&2 || true
          exit 1
        fi
        sleep 2
        waited=$((waited + 2))
      done
    fi
    ;;
esac
exec "$@"
