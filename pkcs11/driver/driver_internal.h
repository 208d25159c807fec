/* Included first by the driver's internal headers: only the driver's own files (and its
 * tests) may see them, which the driver's build says by defining KINKO_DRIVER_INTERNAL.
 * The module reaches the driver through card.h (and trace.h), so the driver can change
 * inside without the module noticing. */
#ifndef KINKO_DRIVER_INTERNAL
#error "a header internal to pkcs11/driver/: the module includes card.h"
#endif
