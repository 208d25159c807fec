/* The texts of the module's pinentry dialog: which program asks (its executable's name, as
 * the user knows it: "firefox-esr", "chromium"), for which token (label and serial), which
 * key and what for, in the user's language (text domain kinko; the host program has set the
 * locale). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "mod_object.h"
#include "mod_pinask.h"
#include "piv.h"

/* The name of the program this module runs in: the executable's file name, else the
 * kernel's comm (an executable already deleted by an upgrade still has one). */
static void pinask_program(char *buf, size_t len)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *base;
	FILE *f;

	if (n > 0) {
		exe[n] = '\0';
		base = strrchr(exe, '/');
		base = base ? base + 1 : exe;
		/* " (deleted)": the file was replaced while the program runs */
		n = (ssize_t)strcspn(base, " ");
		if (n > 0 && (size_t)n < len) {
			memcpy(buf, base, (size_t)n);
			buf[n] = '\0';
			return;
		}
	}
	snprintf(buf, len, "%s", "?");
	f = fopen("/proc/self/comm", "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* "PIV Authentication (9A)" */
static void pinask_key_name(int key_index, char *buf, size_t len)
{
	char label[48];

	mod_object_label((unsigned)key_index, label, sizeof(label));
	snprintf(buf, len, "%s (%02X)", label, piv_key_slot_ref((unsigned)key_index));
}

/* Appends sep and text to the description (cut when it would not fit). */
static void pinask_desc_add(mod_pinask_texts *x, const char *sep, const char *text)
{
	size_t n = strlen(x->desc);

	snprintf(x->desc + n, sizeof(x->desc) - n, "%s%s", sep, text);
}

void mod_pinask_text_fill(mod_pinask_texts *x, const mod_token *t, int key_index,
                          mod_pinask_purpose purpose, int tries_left)
{
	char program[256], label[48], key[64], line[160];
	unsigned long serial = (unsigned long)t->serial;
	bool log_on = key_index < 0 || piv_key_slot_ref((unsigned)key_index) == PIV_KEY_AUTH;
	bool rsa = key_index >= 0 && piv_alg_is_rsa(t->keys[key_index].alg);
	/* a key that never signs (9D) is asked for to decrypt or agree on a key */
	bool manage =
		key_index >= 0 && !(mod_object_key_usage((unsigned)key_index, rsa) & CKF_SIGN);

	i18n_bind();
	pinask_program(program, sizeof(program));
	mod_info_token_label(t, label, sizeof(label));
	/* TRANSLATORS: the title of the pinentry dialog asking for the token's PIN. */
	snprintf(x->title, sizeof(x->title), "%s", _("kinko token PIN"));
	snprintf(x->prompt, sizeof(x->prompt), "%s", _("PIN:"));
	/* TRANSLATORS: the program asking ("firefox-esr"), the token's label ("kinko PIV
	 * #12345") and its serial number. */
	if (log_on && purpose != MOD_PINASK_ALWAYS)
		snprintf(x->desc, sizeof(x->desc),
		         _("%s asks for the PIN of the token \"%s\" (serial %lu) to log on with "
		           "your certificate."),
		         program, label, serial);
	else if (manage && rsa)
		snprintf(x->desc, sizeof(x->desc),
		         _("%s asks for the PIN of the token \"%s\" (serial %lu) to decrypt."),
		         program, label, serial);
	else if (manage)
		snprintf(x->desc, sizeof(x->desc),
		         _("%s asks for the PIN of the token \"%s\" (serial %lu) to agree on a "
		           "key."),
		         program, label, serial);
	else
		snprintf(x->desc, sizeof(x->desc),
		         _("%s asks for the PIN of the token \"%s\" (serial %lu) to sign."),
		         program, label, serial);
	if (key_index >= 0) {
		pinask_key_name(key_index, key, sizeof(key));
		snprintf(line, sizeof(line), _("Key: %s"), key);
		pinask_desc_add(x, "\n", line);
	}
	if (purpose == MOD_PINASK_ALWAYS)
		pinask_desc_add(x, "\n", _("This key needs the PIN before each signature."));
	if (tries_left == 1)
		pinask_desc_add(x, "\n\n", _("Only one try is left: a wrong PIN locks the token."));
}

void mod_pinask_text_wrong(mod_pinask_texts *x, int tries_left)
{
	if (tries_left < 0)
		snprintf(x->error, sizeof(x->error), "%s", _("Wrong PIN."));
	else
		snprintf(x->error, sizeof(x->error),
		         P_("Wrong PIN, %d try left.", "Wrong PIN, %d tries left.", tries_left),
		         tries_left);
}

void mod_pinask_text_bad_length(mod_pinask_texts *x)
{
	snprintf(x->error, sizeof(x->error), _("The PIN has %u to %u characters."), PIV_PIN_MIN,
	         PIV_PIN_MAX);
}

void mod_pinask_text_locked(mod_pinask_texts *x, const mod_token *t)
{
	char label[48];

	memset(x, 0, sizeof(*x));
	i18n_bind();
	mod_info_token_label(t, label, sizeof(label));
	snprintf(x->title, sizeof(x->title), "%s", _("kinko token PIN"));
	snprintf(x->desc, sizeof(x->desc),
	         _("The PIN of the token \"%s\" (serial %lu) is locked: too many wrong PINs.\n"
	           "Unblock it with your PUK: kinko pin unblock"),
	         label, (unsigned long)t->serial);
}
