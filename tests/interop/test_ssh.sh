#!/usr/bin/env bash
# OpenSSH (unmodified openssh-client and openssh-server) with the token's keys through PKCS#11:
# ssh-keygen -D lists them, and ssh -I logs in to an sshd of the test's own (127.0.0.1, a free
# port, its config, host key and authorized_keys in the temp dir) with the RSA-2048 key of 9A
# (PIV Authentication, the slot for SSH) and the P-256 key of retired slot 82. The PIN reaches
# ssh through SSH_ASKPASS (a script printing the PIN file), never on a command line.
. "$(dirname "$0")/interop_lib.sh"
need ssh
need ssh-keygen
need pkcs11-tool
need openssl
need python3
# sshd re-executes itself by its path, which must be absolute.
SSHD=/usr/sbin/sshd
need "$SSHD"

plan 10
start_token
cd "$T" || exit 1
umask 077
printf '%s' "$PIN" >pin
printf '%s' 000000 >wrong-pin
kinko_keypair 01 rsa:2048 ssh-rsa && kinko_keypair 05 EC:prime256v1 ssh-p256 ||
	{ echo "Bail out! key generation with pkcs11-tool failed"; diag "$T/kp.out"; exit 1; }
# The token's keys as OpenSSH writes them, and their fingerprints as sshd logs them.
for k in rsa p256; do
	ssh-keygen -i -m PKCS8 -f "ssh-$k.pub.pem" >"$k.pub" 2>"$k.err" ||
		{ echo "Bail out! ssh-keygen cannot read the $k public key"; diag "$k.err"; exit 1; }
	ssh-keygen -l -f "$k.pub" | awk '{ print $2 }' >"$k.fp"
done

# ssh-keygen -D: the public keys, read without the PIN.
run timeout 30 ssh-keygen -D "$MODULE"
for k in rsa p256; do
	if [ "$RC" -eq 0 ] && awk '{ print $1, $2 }' "$T/stdout" | grep -qxF "$(awk '{ print $1, $2 }' "$k.pub")"; then
		ok "ssh-keygen -D prints the token's $k key"
	else not_ok "ssh-keygen -D prints the token's $k key"; diag "$T/out"; fi
done

# The askpass program: prints the PIN file ssh's caller names, and counts its calls.
cat >askpass <<EOF
#!/bin/sh
echo "\$1" >>"$T/askpass.calls"
cat "\$KINKO_TEST_PIN_FILE"
EOF
chmod 700 askpass
: >askpass.calls

# sshd_start: an sshd on 127.0.0.1 and a free port (SSH_PORT), in the foreground of its own
# background job (SSHD_PID), logging to $T/sshd.log; a port taken between the choice and the
# bind is tried again.
SSHD_PID="" SSH_PORT=""
CLEANUP_HOOK='proc_stop "$SSHD_PID"'
[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd # the privilege separation directory, root only
ssh-keygen -q -t ed25519 -N '' -f host_key >/dev/null </dev/null
sshd_start() {
	local _
	for _ in 1 2 3; do
		SSH_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		cat >sshd_config <<EOF
ListenAddress 127.0.0.1
Port $SSH_PORT
HostKey $T/host_key
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
EOF
		"$SSHD" -f "$T/sshd_config" -D -e >"$T/sshd.log" 2>&1 &
		SSHD_PID=$!
		proc_wait_for 10 grep -q "Server listening" "$T/sshd.log" && return 0
		proc_stop "$SSHD_PID"
		SSHD_PID=""
	done
	return 1
}
sshd_start || { echo "Bail out! sshd did not start"; diag "$T/sshd.log"; exit 1; }

# ssh_token KEY [PINFILE]: ssh with the token's KEY only (-I with IdentitiesOnly and the
# matching public key file) runs `echo ok` on the test's sshd.
ssh_token() {
	local -x KINKO_TEST_PIN_FILE="$T/${2:-pin}" SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force
	run timeout 30 ssh -F /dev/null -I "$MODULE" -i "$T/$1.pub" -o IdentitiesOnly=yes \
		-o BatchMode=no -o ConnectTimeout=10 -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile="$T/known_hosts" -p "$SSH_PORT" "$(id -un)@127.0.0.1" echo ok </dev/null
}
cat rsa.pub p256.pub >authorized_keys
for k in rsa p256; do
	started=$(date +%s%N)
	ssh_token "$k"
	echo "# ssh with the token's $k key: $((($(date +%s%N) - started) / 1000000)) ms"
	if [ "$RC" -eq 0 ] && [ "$(cat "$T/stdout")" = ok ]; then
		ok "$k: ssh -I logs in with the token key and runs the command"
	else not_ok "$k: ssh -I logs in with the token key and runs the command"; diag "$T/out"; diag sshd.log 5; fi
	if grep "^Accepted publickey for $(id -un) from 127.0.0.1 " sshd.log | grep -qF " $(cat "$k.fp")"; then
		ok "$k: sshd accepted the token's key"
	else not_ok "$k: sshd accepted the token's key"; diag sshd.log 5; fi
done
if [ "$(grep -c "^Enter PIN for 'kinko PIV #$SERIAL'" askpass.calls)" -ge 2 ]; then
	ok "ssh asked the askpass program for the token PIN"
else not_ok "ssh asked the askpass program for the token PIN"; diag askpass.calls; fi

cp rsa.pub authorized_keys
ssh_token p256
if [ "$RC" -ne 0 ] && grep -q "Permission denied (publickey)" "$T/out" && [ "$(cat "$T/stdout")" != ok ]; then
	ok "a token key not in authorized_keys is refused"
else not_ok "a token key not in authorized_keys is refused"; diag "$T/out"; fi

ssh_token rsa wrong-pin
if [ "$RC" -ne 0 ] && grep -q "PIN incorrect" "$T/out" && [ "$(cat "$T/stdout")" != ok ]; then
	ok "a wrong PIN from askpass fails the login with PIN incorrect"
else not_ok "a wrong PIN from askpass fails the login with PIN incorrect"; diag "$T/out"; fi

if [ "$(grep -c "Accepted publickey" sshd.log)" -eq 2 ]; then
	ok "sshd accepted the two logins with authorized token keys and nothing else"
else not_ok "sshd accepted the two logins with authorized token keys and nothing else"; diag sshd.log; fi
