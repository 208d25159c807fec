/* The module tests' fixture over emulated USB tokens. */
#include "tmpdir_test_util.h"
#include "usb_p11_fixture.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int mfx_load(mfx *m)
{
	CK_RV (*get_interface)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS);
	CK_VERSION v30 = {3, 0};
	CK_INTERFACE_PTR iface = NULL;

	m->t.dl = dlopen(p11t_module_path(), RTLD_NOW | RTLD_LOCAL);
	if (!m->t.dl)
		return -1;
	*(void **)&get_interface = dlsym(m->t.dl, "C_GetInterface");
	if (!get_interface ||
	    get_interface((CK_UTF8CHAR_PTR)KINKO_P11_INTERFACE_NAME, &v30, &iface, 0) != CKR_OK)
		return -1;
	m->t.f = iface->pFunctionList;
	return m->t.f->C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

CK_ULONG mfx_slots(mfx *m)
{
	CK_ULONG n = P11T_MAX_TOKENS;

	if (m->t.f->C_GetSlotList(CK_TRUE, m->t.slots, &n) != CKR_OK)
		return 0;
	return n;
}

static int mfx_start(mfx *m, size_t tokens, const char *conf, CK_ULONG want_slots)
{
	char text[256];

	if (!(m->bed = umock_bed_new()))
		return -1;
	if (!(m->tok[0] =
	              umock_token_plug(m->bed, 1, &(tok_provision_opts){.serial = MFX_SERIAL_A})))
		return -1;
	if (tokens == 2 &&
	    !(m->tok[1] =
	              umock_token_plug(m->bed, 3, &(tok_provision_opts){.serial = MFX_SERIAL_B})))
		return -1;
	if (tkit_tmpdir_make(m->dir, sizeof(m->dir), "usb") != 0) {
		m->dir[0] = '\0';
		return -1;
	}
	snprintf(m->conf, sizeof(m->conf), "%s/kinko.conf", m->dir);
	snprintf(text, sizeof(text), "%stimeout_ms = 3000\n", conf);
	if (emu_write_file(m->conf, text) != 0)
		return -1;
	/* Only the USB tokens: no emulator sockets from the environment. */
	unsetenv("KINKO_EMU_SOCKETS");
	setenv("KINKO_CONF", m->conf, 1);
	if (mfx_load(m) != 0 || mfx_slots(m) != want_slots)
		return -1;
	if (want_slots == 0)
		return 0;
	return m->t.f->C_OpenSession(m->t.slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                             &m->t.session) == CKR_OK ?
	               0 :
	               -1;
}

int mfx_setup(void **state, size_t tokens, const char *conf, CK_ULONG want_slots)
{
	mfx *m = calloc(1, sizeof(*m));

	*state = m;
	if (m && mfx_start(m, tokens, conf, want_slots) == 0)
		return 0;
	fprintf(stderr, "# mfx_setup failed\n");
	mfx_teardown(state); /* cmocka runs no teardown after a failed setup */
	return -1;
}

int mfx_teardown(void **state)
{
	mfx *m = *state;

	if (!m)
		return 0;
	p11t_teardown(&m->t);
	umock_bed_free(m->bed);
	if (m->conf[0])
		unlink(m->conf);
	if (m->dir[0])
		rmdir(m->dir);
	free(m);
	*state = NULL;
	return 0;
}
