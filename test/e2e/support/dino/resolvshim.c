/* LD_PRELOAD for Dino alone: after glibc's res_ninit(), send DNS queries to 127.0.0.1:$DNS_PORT.
 * Dino (GLib's GThreadedResolver) looks up _xmpp-client._tcp SRV records through res_ninit() +
 * res_nquery() and has no host/port setting; /etc/resolv.conf stays as it is. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

int __res_ninit(res_state state) {
  static int (*real)(res_state);
  if (!real) real = (int (*)(res_state))dlsym(RTLD_NEXT, "__res_ninit");
  int r = real(state);
  const char *port = getenv("DNS_PORT");
  if (r != 0 || !port) return r;
  memset(&state->nsaddr_list[0], 0, sizeof state->nsaddr_list[0]);
  state->nsaddr_list[0].sin_family = AF_INET;
  state->nsaddr_list[0].sin_port = htons((unsigned short)atoi(port));
  state->nsaddr_list[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  state->nscount = 1;
  state->options &= ~RES_ROTATE;
  return r;
}
