#!/bin/sh
# Starts Caddy (the compose `proxy` profile) for PUBLIC_URL, the address Plaudit's web
# process is told people open it at, so the certificate and the links can never disagree.
# Compose cannot cut a URL (and its ${VAR:?} would be checked without the profile too), so
# this derives Caddy's site address from it: the scheme and host, a trailing slash dropped
# (Plaudit accepts one; Caddy would read it as a path and answer nothing else). A path is
# refused: Plaudit serves from the root of its host.
set -eu

site="${PUBLIC_URL:-}"
while [ "${site%/}" != "$site" ]; do site="${site%/}"; done

case "$site" in
  https://*/* | http://*/*)
    echo "PUBLIC_URL ($PUBLIC_URL) has a path; the proxy serves Plaudit at the root of a host of its own, such as https://kudos.example.com" >&2
    exit 78
    ;;
  https://?* | http://?*) ;;
  *)
    echo "PUBLIC_URL must be the https address people open Plaudit at, such as https://kudos.example.com (it is '${PUBLIC_URL:-}')" >&2
    exit 78
    ;;
esac

export PLAUDIT_SITE="$site"
exec caddy run --config "${CADDYFILE:-/etc/caddy/Caddyfile}" --adapter caddyfile
