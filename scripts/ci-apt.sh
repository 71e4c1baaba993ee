# Shared by the ci-install-*.sh scripts (sourced, not run): a prefixed log line, and apt retried
# three times, so a mirror hiccup does not cost a CI run. Set CI_LOG_PREFIX before sourcing.

log() { printf '%s: %s\n' "${CI_LOG_PREFIX:-ci}" "$*"; }

retry() {
  n=1
  until "$@"; do
    [ "$n" -ge 3 ] && return 1
    log "attempt $n of: $* failed; retrying in $((n * 10)) s"
    sleep $((n * 10))
    n=$((n + 1))
  done
}
