#!/usr/bin/env bash
# kinko browser setup | status on a HOME of each test's own: the module registered as "kinko"
# in two Firefox profiles of a profiles.ini (a relative and an absolute path) and in a
# Chromium ~/.pki/nssdb that setup creates, idempotent, a changed module path replaced;
# pin_source = pinentry written into kinko.conf (0600 in a 0700 directory); the pinned bank CA
# trusted C,, with --trust-bank-ca only, a clear error when none is pinned; --remove leaves a
# database and a kinko.conf that were there before exactly as they were; a profile with only
# an old cert8.db left alone; a running browser and a missing pinentry reported; one message
# in Japanese. NSS's own modutil and certutil check every database.
CLI_TMP_PREFIX=kinko-cli-browser
. "$(dirname "$0")/cli_lib.sh"
[ -x "$KINKO" ] || bail "$KINKO not built"
[ -f "$KINKO_P11" ] || bail "$KINKO_P11 not built"
# modutil loads the module it registers; the plain build's run counts.
[ "${KINKO_SANITIZED:-0}" = 1 ] && skip_all "sanitizer build: modutil cannot load the instrumented module"
need modutil
need certutil
need openssl
need python3

plan 28

# The module as the browsers would load it: no system kinko.conf, no tokens.
: >"$T/empty.conf"
export KINKO_CONF="$T/empty.conf"
unset KINKO_PINENTRY KINKO_MODULE
MOD=$(realpath "$KINKO_P11")
BANK=https://127.0.0.1:8443
NICK="kinko bank CA 127.0.0.1:8443"

# home NAME: a fresh HOME ($H) with a Firefox profiles.ini naming a relative profile
# (rel.default) and an absolute one ($H/abs-profile); XDG_CONFIG_HOME inside it.
home() {
	H="$T/$1"
	mkdir -p "$H/.mozilla/firefox/rel.default" "$H/abs-profile"
	cat >"$H/.mozilla/firefox/profiles.ini" <<EOF
[General]
StartWithLastProfile=1

[Profile0]
Name=default-esr
IsRelative=1
Path=rel.default
Default=1

[Profile1]
Name=work
IsRelative=0
Path=$H/abs-profile
EOF
	export HOME="$H" XDG_CONFIG_HOME="$H/.config"
}
DBS() { printf '%s\n' "$H/.mozilla/firefox/rel.default" "$H/abs-profile" "$H/.pki/nssdb"; }
k() { timeout -k 5 60 "$KINKO" --module "$MOD" "$@"; }
# registered_in DIR [PATH]: modutil lists kinko in DIR (with that library path).
registered_in() {
	modutil -list kinko -dbdir "sql:$1" 2>/dev/null | grep -qF "Library file: ${2:-$MOD}"
}
all_registered() {
	local d
	for d in $(DBS); do registered_in "$d" "$@" || { echo "# not in $d"; return 1; }; done
}
# The bank's CA, pinned where kinko enroll --cacert keeps it.
pin_ca() {
	mkdir -p "$KINKO_STATE_DIR/banks"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
		-out "$KINKO_STATE_DIR/banks/127.0.0.1_8443.pem" -subj "/CN=kinko test bank CA" \
		-days 30 2>/dev/null
}
# snapshot DIR FILE: what NSS's tools say of a database.
snapshot() {
	{ certutil -L -d "sql:$1"; modutil -list -dbdir "sql:$1"; } >"$2" 2>&1
}

# --- setup in a fresh HOME ---
home fresh
start=$(date +%s%N)
run k browser setup
ms=$((($(date +%s%N) - start) / 1000000))
check_ok_out "setup: exit 0, each database named" '"default-esr"' '"work"' "Chromium" \
	"pin_source = pinentry"
echo "# setup of 3 databases: ${ms} ms"
if all_registered; then ok "setup: modutil lists kinko in both Firefox profiles and ~/.pki/nssdb"; else not_ok "setup: modutil lists kinko in both Firefox profiles and ~/.pki/nssdb"; fi
conf="$H/.config/kinko/kinko.conf"
if grep -qx 'pin_source = pinentry' "$conf" 2>/dev/null &&
	[ "$(stat -c %a "$conf")" = 600 ] && [ "$(stat -c %a "$H/.config/kinko")" = 700 ]; then
	ok "setup: kinko.conf holds pin_source = pinentry, file 0600 in a 0700 directory"
else
	not_ok "setup: kinko.conf holds pin_source = pinentry, file 0600 in a 0700 directory"
	ls -la "$H/.config/kinko" | sed 's/^/# /'
fi
for d in $(DBS); do snapshot "$d" "$T/$(basename "$d").1"; done
run k browser setup
check_ok_out "setup again: 'already registered', exit 0" "kinko already registered" \
	"pin_source = pinentry already there"
same=yes
for d in $(DBS); do
	snapshot "$d" "$T/$(basename "$d").2"
	cmp -s "$T/$(basename "$d").1" "$T/$(basename "$d").2" || same=no
	[ "$(modutil -rawlist -dbdir "sql:$d" | grep -c 'name="kinko"')" = 1 ] || same=no
done
[ "$same" = yes ] && ok "setup again: every database unchanged, kinko in it once" ||
	not_ok "setup again: every database unchanged, kinko in it once"
[ "$(grep -c pin_source "$conf")" = 1 ] && ok "setup again: one pin_source line" ||
	not_ok "setup again: one pin_source line"

run k browser status
check_ok_out "status: each database with the module's path, pin_source, the pinentry" \
	'Firefox profile "default-esr"' 'Firefox profile "work"' "Chromium ($H/.pki/nssdb)" \
	"kinko registered: $MOD" "pin_source: pinentry ($conf)" "pinentry: "
n=$(grep -c "kinko registered: $MOD" "$T/stdout")
[ "$n" = 3 ] && ok "status: three databases registered" || not_ok "status: three databases registered (got $n)"
run k --json browser status
if python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
d = o["databases"]
assert [x["browser"] for x in d] == ["firefox", "firefox", "chromium"], d
assert all(x["registered"] and x["module"] == sys.argv[2] for x in d), d
assert [x.get("profile") for x in d[:2]] == ["default-esr", "work"], d
assert o["pin_source"] == "pinentry" and "exists" in o["pinentry"], o
' "$T/stdout" "$MOD" 2>"$T/py"; then
	ok "status --json: databases, module, pin_source, pinentry"
else
	not_ok "status --json: databases, module, pin_source, pinentry"; diag "$T/py"; diag "$T/out"
fi

# A module elsewhere replaces the registered path.
cp "$KINKO_P11" "$T/other-kinko.so"
run timeout 60 "$KINKO" --module "$T/other-kinko.so" browser setup
if [ "$RC" = 0 ] && all_registered "$T/other-kinko.so" &&
	grep -qF "module path updated" "$T/stdout"; then
	ok "setup with another --module: the path updated in every database"
else
	not_ok "setup with another --module: the path updated in every database"; diag "$T/out"
fi
run k browser setup

# --- the bank CA ---
before=$(certutil -L -d "sql:$H/.pki/nssdb")
run k browser setup --bank "$BANK" --trust-bank-ca
check_rc_out "--trust-bank-ca without a pinned CA: exit 2, names the command that pins it" 2 \
	"no CA pinned for $BANK" "kinko enroll --bank $BANK --cacert"
[ "$before" = "$(certutil -L -d "sql:$H/.pki/nssdb")" ] && ok "--trust-bank-ca without a CA: nothing added" ||
	not_ok "--trust-bank-ca without a CA: nothing added"
pin_ca
run k browser setup --bank "$BANK"
if [ "$RC" = 0 ] && ! certutil -L -d "sql:$H/.pki/nssdb" | grep -qF "$NICK" &&
	! certutil -L -d "sql:$H/abs-profile" | grep -qF "$NICK" && grep -qF "Open $BANK" "$T/stdout"; then
	ok "setup --bank without --trust-bank-ca: no CA added, the logon URL printed"
else
	not_ok "setup --bank without --trust-bank-ca: no CA added, the logon URL printed"; diag "$T/out"
fi
run k browser setup --bank "$BANK" --trust-bank-ca
trusted=yes
for d in $(DBS); do
	certutil -L -d "sql:$d" | grep -qE "$NICK +C,, *\$" || trusted=no
done
[ "$RC" = 0 ] && [ "$trusted" = yes ] && ok "--trust-bank-ca: '$NICK' with trust C,, in every database" ||
	{ not_ok "--trust-bank-ca: '$NICK' with trust C,, in every database"; diag "$T/out"; }
run k browser status
check_ok_out "status: the bank CA kinko trusts" "bank CA trusted for TLS servers: $NICK"
run k browser setup --bank "$BANK" --trust-bank-ca
check_ok_out "--trust-bank-ca again: already trusted" "$NICK: already trusted"

# --- --remove on what setup created: the databases and kinko.conf go again ---
run k browser setup --remove
if [ "$RC" = 0 ] && [ ! -e "$H/.pki" ] && [ ! -e "$H/abs-profile/cert9.db" ] &&
	[ ! -e "$H/.mozilla/firefox/rel.default/pkcs11.txt" ] && [ ! -e "$conf" ]; then
	ok "--remove: the databases and the kinko.conf setup created are gone"
else
	not_ok "--remove: the databases and the kinko.conf setup created are gone"; diag "$T/out"
	find "$H" | sed 's/^/# /'
fi

# --- a database setup created stays when a key came into it since ---
home keyed
run k browser setup
certutil -R -d "sql:$H/.pki/nssdb" -s "CN=the user's key" -k ec -q nistp256 -f /dev/null \
	-z /etc/hostname -o /dev/null >/dev/null 2>&1
run k browser setup --remove
if [ "$RC" = 0 ] && [ -e "$H/.pki/nssdb/cert9.db" ] && ! registered_in "$H/.pki/nssdb" &&
	certutil -K -d "sql:$H/.pki/nssdb" -f /dev/null 2>/dev/null | grep -q orphan &&
	[ ! -e "$H/abs-profile/cert9.db" ]; then
	ok "--remove: a created database that got a key since stays (kinko out of it); the others go"
else
	not_ok "--remove: a created database that got a key since stays (kinko out of it); the others go"
	diag "$T/out"
fi

# --- --remove leaves what was there before exactly as it was ---
home before
certutil -N -d "sql:$H/abs-profile" --empty-password
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/own.key" \
	-out "$T/own.pem" -subj "/CN=the user's own CA" -days 30 2>/dev/null
certutil -A -d "sql:$H/abs-profile" -n "own CA" -t "CT,," -i "$T/own.pem"
mkdir -p "$H/.config/kinko"
printf '# mine\nusb = yes\npin_source = application\ntimeout_ms = 7000\n' >"$H/.config/kinko/kinko.conf"
cp "$H/.config/kinko/kinko.conf" "$T/conf.before"
snapshot "$H/abs-profile" "$T/db.before"
run k browser setup --bank "$BANK" --trust-bank-ca
if [ "$RC" = 0 ] && registered_in "$H/abs-profile" &&
	certutil -L -d "sql:$H/abs-profile" | grep -qF "$NICK" &&
	grep -qx 'pin_source = pinentry' "$H/.config/kinko/kinko.conf" &&
	grep -qx 'timeout_ms = 7000' "$H/.config/kinko/kinko.conf" &&
	! grep -q 'pin_source = application' "$H/.config/kinko/kinko.conf"; then
	ok "setup on a database with a certificate of its own; pin_source replaced, other lines kept"
else
	not_ok "setup on a database with a certificate of its own; pin_source replaced, other lines kept"
	diag "$T/out"
fi
run k browser setup --remove
snapshot "$H/abs-profile" "$T/db.after"
[ "$RC" = 0 ] && check_same "--remove: the database as it was (certutil -L, modutil -list)" "$T/db.before" "$T/db.after" ||
	{ not_ok "--remove: the database as it was"; diag "$T/out"; }
check_same "--remove: kinko.conf as it was" "$T/conf.before" "$H/.config/kinko/kinko.conf"

# --- a profile Firefox has not converted to cert9.db: left alone, the others set up ---
home legacy
mkdir -p "$H/.mozilla/firefox/old.default"
: >"$H/.mozilla/firefox/old.default/cert8.db"
printf '\n[Profile2]\nName=old\nIsRelative=1\nPath=old.default\n' >>"$H/.mozilla/firefox/profiles.ini"
run k browser setup
if [ "$RC" = 1 ] && grep -qF 'Firefox profile "old"' "$T/stderr" && grep -qF cert8.db "$T/stderr" &&
	[ ! -e "$H/.mozilla/firefox/old.default/cert9.db" ] && all_registered; then
	ok "a profile with only cert8.db: exit 1, named, no cert9.db put beside it; the others set up"
else
	not_ok "a profile with only cert8.db: exit 1, named, no cert9.db put beside it; the others set up"
	diag "$T/out"
fi

# --- a kinko.conf longer than kinko rewrites is refused, never cut ---
home long
mkdir -p "$H/.config/kinko"
for i in $(seq 1 1100); do echo "# note $i"; done >"$H/.config/kinko/kinko.conf"
cp "$H/.config/kinko/kinko.conf" "$T/long.before"
run k browser setup
if [ "$RC" = 1 ] && grep -qF "cannot write pin_source = pinentry" "$T/stderr"; then
	check_same "a kinko.conf of 1100 lines: exit 1, the file as it was" "$T/long.before" "$H/.config/kinko/kinko.conf"
else
	not_ok "a kinko.conf of 1100 lines: exit 1, the file as it was"; diag "$T/out"
fi

# --- a running browser, a missing pinentry ---
home running
cp /bin/sleep "$T/firefox-esr"
"$T/firefox-esr" 30 &
ff=$!
CLEANUP_HOOK="kill $ff 2>/dev/null"
mkdir -p "$T/bin"
ln -sf "$(command -v modutil)" "$T/bin/modutil"
ln -sf "$(command -v certutil)" "$T/bin/certutil"
run env PATH="$T/bin" "$KINKO" --module "$MOD" browser setup
check_ok_out "a running firefox-esr is named: the change needs its restart" \
	"firefox-esr is running (pid " "restart of firefox-esr"
check_out "no pinentry on PATH: a warning naming the Debian packages" \
	"no pinentry program found" "pinentry-gnome3" "pinentry-curses"
# A real firefox-esr of another test may run too: its pid is among the ones reported.
run env PATH="$T/bin" "$KINKO" --json --module "$MOD" browser setup
if python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert any(r["browser"] == "firefox-esr" and int(sys.argv[2]) in r["pids"] for r in o["running"]), o["running"]
assert o["pinentry"]["exists"] is False, o["pinentry"]
' "$T/stdout" "$ff" 2>"$T/py"; then
	ok "--json: the fake firefox-esr's pid in running, pinentry.exists false"
else
	not_ok "--json: the fake firefox-esr's pid in running, pinentry.exists false"; diag "$T/py"; diag "$T/out"
fi
kill "$ff" 2>/dev/null
wait "$ff" 2>/dev/null
CLEANUP_HOOK=""

# --- Japanese ---
if locale -a 2>/dev/null | grep -qix 'ja_JP.utf8' && [ -f "${KINKO_LOCALEDIR:-}/ja/LC_MESSAGES/kinko.mo" ]; then
	run env LANG=ja_JP.UTF-8 LANGUAGE= "$KINKO" --module "$MOD" browser setup --bank "https://127.0.0.1:9" --trust-bank-ca
	check_rc_out "ja: no pinned CA, in Japanese" 2 "保存されていません" "kinko enroll --bank https://127.0.0.1:9 --cacert"
	if grep -q 'no CA pinned' "$T/out"; then not_ok "ja: no English sentence"; diag "$T/out"; else ok "ja: no English sentence"; fi
else
	skip "ja: no pinned CA, in Japanese" "the ja_JP.UTF-8 locale or the catalogue is missing"
	skip "ja: no English sentence" "the ja_JP.UTF-8 locale or the catalogue is missing"
fi
