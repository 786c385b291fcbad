/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the control-link line parser both daemons run. */
#include <stddef.h>
#include <stdint.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  CtlMessage msg;
  char *detail = NULL;
  int rc = ctl_parse((const char *)data, size, &msg, &detail);
  if (rc == CTL_OK) {
    if (!msg.obj)
      __builtin_trap();
    ctl_get_string(&msg, "peer");
  } else if (!detail) {
    __builtin_trap(); /* every refusal explains itself */
  }
  ctl_message_clear(&msg);
  g_free(detail);
  return 0;
}
