#!/bin/sh
# Fail when a source file calls gettext but is not listed in po/POTFILES.in (a visible
# string would silently escape translation), or when a shipped translation is incomplete
# (German is the one kept complete, to prove the path end to end), measured against the
# strings in the sources today.
set -eu
cd "$(dirname "$0")/.."
missing=0
for f in $(grep -rlE 'gettext\(|gettext_f\(|translatable=' src resources | grep -v '^src/i18n.rs$' | sort); do
    if ! grep -qx "$f" po/POTFILES.in; then
        echo "check-i18n: $f has translatable strings but is not in po/POTFILES.in" >&2
        missing=1
    fi
done
# The translations are checked against the strings the sources have now, not against the
# last generated template: a string added since `make pot` counts as untranslated.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
POT_OUT="$tmp/current.pot" scripts/update-pot.sh >/dev/null 2>&1 || {
    echo "check-i18n: cannot extract the strings (scripts/update-pot.sh failed)" >&2
    exit 1
}
for lang in $(cat po/LINGUAS); do
    msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "po/$lang.po" "$tmp/current.pot"
    # msgfmt prints e.g. "180 translated messages, 2 fuzzy translations, 1 untranslated message."
    stats=$(msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1) || { echo "$stats" >&2; missing=1; }
    case "$stats" in
        *fuzzy*|*untranslated*)
            echo "check-i18n: po/$lang.po is incomplete ($stats); run make pot and translate" >&2
            missing=1 ;;
    esac
done
exit $missing
