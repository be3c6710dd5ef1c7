#!/bin/sh
# Fail when a source file calls gettext but is not listed in po/POTFILES.in, so no visible
# string silently escapes translation.
set -eu
cd "$(dirname "$0")/.."
missing=0
for f in $(grep -rlE 'gettext\(|gettext_f\(|translatable=' src resources | grep -v '^src/i18n.rs$' | sort); do
    if ! grep -qx "$f" po/POTFILES.in; then
        echo "check-potfiles: $f has translatable strings but is not in po/POTFILES.in" >&2
        missing=1
    fi
done
exit $missing
