#!/bin/sh
# Regenerate po/kvm-manager.pot from the files listed in po/POTFILES.in.
#
# Data files (.desktop.in, .metainfo.xml.in, .gschema.xml, .ui) are parsed by xgettext's own
# rules (ITS files shipped by gettext, glib and appstream). Rust has no xgettext parser,
# but gettext("..."), ngettext("..", "..", n) and pgettext("ctx", "..") read the same as C.
# Files listed but not written yet are skipped with a note, so the list can run ahead.
set -eu
cd "$(dirname "$0")/.."

# POT_OUT writes elsewhere and skips updating the translations (scripts/check-i18n.sh).
out=${POT_OUT:-po/kvm-manager.pot}
common="--from-code=UTF-8 --add-comments=Translators --package-name=kvm-manager
--msgid-bugs-address=https://github.com/kvmmanager/kvm-manager/issues"

data=""
rust=""
for f in $(grep -v '^[[:space:]]*#' po/POTFILES.in | grep -v '^[[:space:]]*$'); do
    if [ ! -f "$f" ]; then
        echo "update-pot: $f is listed in po/POTFILES.in but does not exist; skipped" >&2
        continue
    fi
    case "$f" in
        *.rs) rust="$rust $f" ;;
        *) data="$data $f" ;;
    esac
done

rm -f "$out"
# shellcheck disable=SC2086 # lists are space-separated on purpose
if [ -n "$data" ]; then
    xgettext $common --output="$out" $data
fi
if [ -n "$rust" ]; then
    join=""
    [ -f "$out" ] && join="--join-existing"
    xgettext $common $join --language=C --keyword=gettext --keyword=ngettext:1,2 \
        --keyword=pgettext:1c,2 --keyword=npgettext:1c,2,3 \
        --keyword=gettext_f --keyword=ngettext_f:1,2 \
        --flag=gettext:1:no-c-format --flag=gettext_f:1:no-c-format \
        --flag=ngettext:1:no-c-format --flag=ngettext:2:no-c-format \
        --flag=ngettext_f:1:no-c-format --flag=ngettext_f:2:no-c-format \
        --output="$out" $rust
fi
echo "update-pot: wrote $out ($(grep -c '^msgid ' "$out") messages)"

# Bring every translation up to date with the new template (new strings come in untranslated,
# changed ones fuzzy), so translators work on current files.
[ -n "${POT_OUT:-}" ] && exit 0
for lang in $(cat po/LINGUAS); do
    msgmerge --quiet --update --backup=none "po/$lang.po" "$out"
    echo "update-pot: $(msgfmt --statistics -o /dev/null "po/$lang.po" 2>&1) ($lang)"
done
