// How far PCRE2's match frames reach for one pattern and subject: the
// memory pcre2_match touches in the frame block it allocates (at least
// 20 KiB in PCRE2 10.42, freed after the match), which stays resident for
// whatever malloc hands that block to next (bench/README.md, "Idle memory,
// allocation by allocation"). njs 0.7.9 hands a byte-string RegExp's source
// to pcre2_compile as it is, with no options, as here.
//   cc -O1 -o pcre2-frames pcre2-frames.c -lpcre2-8
//   ./pcre2-frames PATTERN-FILE SUBJECT
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILL 0xA5

static void *fill_malloc(size_t n, void *data) {
  unsigned char *p = malloc(n + 16);
  if (p == NULL) return NULL;
  memcpy(p, &n, sizeof n);
  memset(p + 16, FILL, n);
  return p + 16;
}

static void report_free(void *q, void *data) {
  if (q == NULL) return;
  unsigned char *p = (unsigned char *)q - 16;
  size_t n, hi;
  memcpy(&n, p, sizeof n);
  if (n >= 10000) {  // the frame block; match data and the like are smaller
    for (hi = n; hi > 0 && ((unsigned char *)q)[hi - 1] == FILL; hi--) continue;
    printf("frame block %zu bytes, touched %zu\n", n, hi);
  }
  free(p);
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s PATTERN-FILE SUBJECT\n", argv[0]); return 2; }
  static char pattern[65536];
  FILE *f = fopen(argv[1], "r");
  if (f == NULL) { perror(argv[1]); return 2; }
  size_t len = fread(pattern, 1, sizeof pattern - 1, f);
  while (len > 0 && pattern[len - 1] == '\n') len--;
  int err;
  PCRE2_SIZE at;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, 0, &err, &at, NULL);
  if (re == NULL) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    fprintf(stderr, "%s at %zu\n", msg, (size_t)at);
    return 1;
  }
  uint32_t groups;
  pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
  pcre2_general_context *gc = pcre2_general_context_create(fill_malloc, report_free, NULL);
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, gc);
  int rc = pcre2_match(re, (PCRE2_SPTR)argv[2], strlen(argv[2]), 0, 0, md, NULL);
  printf("groups %u, match %d\n", groups, rc);
  pcre2_match_data_free(md);  // frees the frame block: reported here
  return 0;
}
