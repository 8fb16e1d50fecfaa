#!/bin/sh
# Installs the Debian packages the project uses when they are missing: graphviz (dot, for
# SVG/PNG diagrams) and spin (cross-checking the model). Without root or apt-get it says so
# and carries on; the tests that need them are then skipped with that reason.
set -e
missing=""
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
command -v spin >/dev/null 2>&1 || missing="$missing spin"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
    echo "warning: missing$missing (needs root and apt-get); the diagram rendering and SPIN" \
         "tests will be skipped" >&2
fi
