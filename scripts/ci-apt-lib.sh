# Shared by the scripts/ci-install-*.sh scripts (sourced, with CI_NAME set): non-interactive apt,
# a log prefix, and three tries per apt command so a mirror hiccup does not cost a CI run.
export DEBIAN_FRONTEND=noninteractive

log() { printf '%s: %s\n' "$CI_NAME" "$*"; }

retry() {
  n=1
  until "$@"; do
    [ "$n" -ge 3 ] && return 1
    log "attempt $n of: $* failed; retrying in $((n * 10)) s"
    sleep $((n * 10))
    n=$((n + 1))
  done
}
