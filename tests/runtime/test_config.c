/* SPDX-License-Identifier: Apache-2.0
 *
 * test_config.c - the CODENSM_* environment: good values are taken, each
 * bad value prints one clear warning and the default is kept; prefix maps
 * pick the longest prefix; codensm_init() applies over the environment and
 * its departments/weights reach the sink, also when changed after a flush.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>

#include "cnsm_emul.h"
#include "codensm.h"
#include "internal.h"
#include "test_util.h"

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("pay.charge", "compiled", 1),
    CNSM_FN("pay.refund.full", "compiled", 1),
    CNSM_FN("ship.track", "compiled", 4),
};
CNSM_EMUL_MODULE(mod, "cfg", 3)

static char captured[8192];

/* Runs cnsm_config_from_env on a fresh config, stderr into captured. */
static struct cnsm_config parse_env(int *bad) {
  struct cnsm_config c = {
      .flush_interval_s = 15, .exit_timeout_s = 2, .sample_period = 64};
  fflush(stderr);
  int saved = dup(2);
  char path[64];
  snprintf(path, sizeof path, "/tmp/cnsm-cfg-%ld", (long)getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  dup2(fd, 2);
  *bad = cnsm_config_from_env(&c);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  ssize_t n = pread(fd, captured, sizeof captured - 1, 0);
  captured[n > 0 ? n : 0] = '\0';
  close(fd);
  unlink(path);
  return c;
}

/* Unsets every variable this test touches. */
static void clear_env(void) {
  static const char *vars[] = {
      "CODENSM_API_KEY",        "CODENSM_ENDPOINT",
      "CODENSM_FLUSH_INTERVAL", "CODENSM_EXIT_TIMEOUT",
      "CODENSM_DISABLE",        "CODENSM_REPORT",
      "CODENSM_SPOOL_DIR",      "CODENSM_DEBUG",
      "CODENSM_SAMPLE_PERIOD",  "CODENSM_DEPARTMENTS",
      "CODENSM_WEIGHTS",        "CODENSM_VERSION",
      "CODENSM_INSTANCE",       "CODENSM_SAMPLE_PERIOD_HOT"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    unsetenv(vars[i]);
}

/* Sets CODENSM_<name>=<value> for each pair of a NULL-ended list. */
static void set_vars(const char **kv) {
  for (; kv[0]; kv += 2) {
    char name[64];
    snprintf(name, sizeof name, "CODENSM_%s", kv[0]);
    setenv(name, kv[1], 1);
  }
}

/* Number of lines in captured. */
static int warnings(void) {
  int n = 0;
  for (const char *p = captured; *p; p++)
    n += *p == '\n';
  return n;
}

int main(void) {
  int bad;
  struct cnsm_config c;

  /* Defaults: nothing set, nothing said, nothing sent. */
  clear_env();
  c = parse_env(&bad);
  CHECK_EQ(bad, 0);
  CHECK_EQ(warnings(), 0);
  CHECK(c.endpoint == NULL);
  CHECK(c.flush_interval_s == 15 && c.exit_timeout_s == 2);
  CHECK_EQ(c.sample_period, 64);

  /* Good values. */
  set_vars((const char *[]){"ENDPOINT", "http://127.0.0.1:9/x", "API_KEY", "k",
                            "FLUSH_INTERVAL", "0.5", "EXIT_TIMEOUT", "7",
                            "DISABLE", "1", "REPORT", "true", "SAMPLE_PERIOD",
                            "1", "SPOOL_DIR", "/tmp/sp", NULL});
  c = parse_env(&bad);
  CHECK_EQ(bad, 0);
  CHECK_EQ(warnings(), 0);
  CHECK(c.endpoint && strcmp(c.endpoint, "http://127.0.0.1:9/x") == 0);
  CHECK(c.api_key && strcmp(c.api_key, "k") == 0);
  CHECK(c.flush_interval_s == 0.5 && c.exit_timeout_s == 7);
  CHECK(c.disable == 1 && c.report == 1);
  CHECK_EQ(c.sample_period, 1);
  CHECK(c.spool_dir && strcmp(c.spool_dir, "/tmp/sp") == 0);

  /* Labels: no version and the host name as the instance by default;
   * good values taken as they are; a space, a control or a byte past
   * ASCII becomes '_', a long value is cut at 128, one warning each. */
  clear_env();
  c = parse_env(&bad);
  char host[256] = "";
  gethostname(host, sizeof host);
  CHECK(c.version == NULL);
  CHECK(c.instance && strcmp(c.instance, host) == 0);
  set_vars(
      (const char *[]){"VERSION", "1.2.3+build.7", "INSTANCE", "web-3", NULL});
  c = parse_env(&bad);
  CHECK_EQ(bad, 0);
  CHECK_EQ(warnings(), 0);
  CHECK(c.version && strcmp(c.version, "1.2.3+build.7") == 0);
  CHECK(c.instance && strcmp(c.instance, "web-3") == 0);
  char long_label[300];
  memset(long_label, 'v', sizeof long_label - 1);
  long_label[sizeof long_label - 1] = '\0';
  set_vars((const char *[]){"VERSION", "1.2 beta\n\xc3\xa9", "INSTANCE",
                            long_label, NULL});
  c = parse_env(&bad);
  CHECK_EQ(bad, 2);
  CHECK_EQ(warnings(), 2);
  CHECK(c.version && strcmp(c.version, "1.2_beta___") == 0);
  CHECK(c.instance && strlen(c.instance) == 128 &&
        strspn(c.instance, "v") == 128);
  CHECK(strstr(captured, "CODENSM_VERSION is longer than 128 bytes") != NULL);
  CHECK(strstr(captured, "sending \"1.2_beta___\" instead") != NULL);
  set_vars((const char *[]){"VERSION", "", "INSTANCE", "", NULL});
  c = parse_env(&bad);
  CHECK(c.version == NULL && c.instance && strcmp(c.instance, host) == 0);
  clear_env();

  /* A key alone means the hosted default endpoint. */
  clear_env();
  setenv("CODENSM_API_KEY", "k", 1);
  c = parse_env(&bad);
  CHECK(c.endpoint && strcmp(c.endpoint, CNSM_DEFAULT_ENDPOINT) == 0);

  /* Issue 13.1: a malformed endpoint with a key sends nothing anywhere. */
  clear_env();
  set_vars((const char *[]){"ENDPOINT", "127.0.0.1:8470/codensm/ingest",
                            "API_KEY", "k", NULL});
  c = parse_env(&bad);
  CHECK(c.endpoint == NULL);
  CHECK(c.endpoint_refused == 1);
  CHECK(strstr(captured, "CODENSM_ENDPOINT=\"127.0.0.1:8470/codensm/ingest\" "
                         "is not an http://host/...") != NULL);
  CHECK(strstr(captured, "not falling back to the hosted") != NULL);
  CHECK_EQ(warnings(), 2);
  static const char *malformed[] = {
      "http://", "https:///x",  "http://:80/x",    "http://a b/x",
      "HTTP//x", "x.example/y", "file://relative", ""};
  for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
    CHECK(!cnsm_endpoint_valid(malformed[i]));
    clear_env();
    set_vars((const char *[]){"ENDPOINT", malformed[i], "API_KEY", "k", NULL});
    c = parse_env(&bad);
    CHECK(c.endpoint == NULL);
  }
  static const char *good[] = {"http://h/x", "https://h:8470/codensm/ingest",
                               "http://[::1]:80/", "https://u:p@h/x",
                               "file:///tmp/x.jsonl"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    CHECK(cnsm_endpoint_valid(good[i]));

  /* A misspelled variable is named with the closest known one; one that
   * looks like CODENSM_ENDPOINT keeps the hosted default from standing in. */
  clear_env();
  set_vars((const char *[]){"ENDPIONT", "http://127.0.0.1:9/x", "API_KEY", "k",
                            NULL});
  c = parse_env(&bad);
  CHECK(c.endpoint == NULL);
  CHECK(strstr(captured, "codensm: unknown variable CODENSM_ENDPIONT; did you "
                         "mean CODENSM_ENDPOINT? (ignored)\n") != NULL);
  CHECK_EQ(bad, 1);
  unsetenv("CODENSM_ENDPIONT");
  set_vars((const char *[]){"FLUSH_INTERVALL", "3", "WHATEVER", "1", NULL});
  c = parse_env(&bad);
  CHECK(c.endpoint && strcmp(c.endpoint, CNSM_DEFAULT_ENDPOINT) == 0);
  CHECK(c.endpoint_is_default == 1);
  CHECK(strstr(captured, "unknown variable CODENSM_FLUSH_INTERVALL; did you "
                         "mean CODENSM_FLUSH_INTERVAL?") != NULL);
  CHECK(strstr(captured, "unknown variable CODENSM_WHATEVER (ignored)") !=
        NULL);
  CHECK_EQ(warnings(), 2);
  unsetenv("CODENSM_FLUSH_INTERVALL");
  unsetenv("CODENSM_WHATEVER");
  /* Other CodeNSM tools' variables are not reported. */
  set_vars((const char *[]){"CLANG", "clang-14", "DB", "/tmp/x.db", NULL});
  c = parse_env(&bad);
  CHECK_EQ(warnings(), 0);
  unsetenv("CODENSM_CLANG");
  unsetenv("CODENSM_DB");

  /* Bad values: one warning each, defaults kept. */
  clear_env();
  setenv("CODENSM_FLUSH_INTERVAL", "abc", 1);
  c = parse_env(&bad);
  CHECK_EQ(bad, 1);
  CHECK(strcmp(captured, "codensm: CODENSM_FLUSH_INTERVAL=\"abc\" is not a "
                         "number of seconds; using 15\n") == 0);
  CHECK(c.flush_interval_s == 15);
  clear_env();
  set_vars((const char *[]){"EXIT_TIMEOUT", "-1", "SAMPLE_PERIOD", "48",
                            "DISABLE", "maybe", "ENDPOINT", "ftp://x",
                            "WEIGHTS", "pay.=heavy", "DEPARTMENTS", "nodept",
                            NULL});
  c = parse_env(&bad);
  CHECK_EQ(bad, 6);
  CHECK_EQ(warnings(), 6);
  CHECK(strstr(captured, "CODENSM_EXIT_TIMEOUT=\"-1\"") != NULL);
  CHECK(strstr(captured, "CODENSM_SAMPLE_PERIOD=\"48\" is not a power of two; "
                         "using 64") != NULL);
  CHECK(strstr(captured, "CODENSM_DISABLE=\"maybe\"") != NULL);
  CHECK(strstr(captured, "CODENSM_ENDPOINT=\"ftp://x\"") != NULL);
  CHECK(c.exit_timeout_s == 2 && c.sample_period == 64 && c.disable == 0);
  CHECK(c.endpoint == NULL);
  CHECK_EQ(c.weights.count, 0);
  CHECK_EQ(c.departments.count, 0);
  /* Longer than the sampler's table: the longest one, said. */
  clear_env();
  set_vars((const char *[]){"SAMPLE_PERIOD_HOT", "65536", NULL});
  struct cnsm_config longest = parse_env(&bad);
  CHECK_EQ(bad, 1);
  CHECK(strstr(captured, "CODENSM_SAMPLE_PERIOD_HOT=\"65536\" is longer than "
                         "the longest period; using 16384") != NULL);
  CHECK(longest.sample_period_hot == 16384);

  /* Prefix maps: longest prefix wins. */
  struct cnsm_prefix_map m;
  CHECK_EQ(cnsm_prefix_map_parse(&m, "pay.=payments, pay.refund.=refunds,x=y",
                                 "T", 0),
           0);
  CHECK_EQ(m.count, 3);
  CHECK(strcmp(cnsm_prefix_map_find(&m, "pay.refund.full")->value, "refunds") ==
        0);
  CHECK(strcmp(cnsm_prefix_map_find(&m, "pay.charge")->value, "payments") == 0);
  CHECK(cnsm_prefix_map_find(&m, "ship.track") == NULL);

  /* codensm_init over the environment: maps reach the sink. */
  clear_env();
  const char *out = test_path("config.jsonl");
  struct codensm_config cfg = {
      .struct_size = sizeof cfg,
      .endpoint = test_file_url(out),
      .departments = "pay.=payments,pay.refund.=refunds",
      .weights = "pay.refund.=9",
  };
  CHECK_EQ(codensm_init(&cfg), 0);
  for (uint32_t i = 0; i < 3; i++) {
    uint64_t t0 = CNSM_ENTER(mod, i);
    CNSM_EXIT(mod, i, t0, 0);
  }
  CHECK_EQ(codensm_flush(), 0);
  struct fn_sum s;
  sum_jsonl(out, "pay.charge", &s);
  CHECK(strcmp(s.department, "payments") == 0);
  CHECK_EQ(s.weight, 1);
  sum_jsonl(out, "pay.refund.full", &s);
  CHECK(strcmp(s.department, "refunds") == 0);
  CHECK_EQ(s.weight, 9);
  sum_jsonl(out, "ship.track", &s);
  CHECK(strcmp(s.department, "compiled") == 0);
  CHECK_EQ(s.weight, 4);
  /* Changed after a flush: the next body has the new ones, though the
   * encoder kept each function's head from the first. */
  struct codensm_config again = {.struct_size = sizeof again,
                                 .departments = "pay.=billing,ship.=logistics",
                                 .weights = "pay.=7"};
  CHECK_EQ(codensm_init(&again), 0);
  for (uint32_t i = 0; i < 3; i++) {
    uint64_t t0 = CNSM_ENTER(mod, i);
    CNSM_EXIT(mod, i, t0, 0);
  }
  CHECK_EQ(codensm_flush(), 0);
  sum_jsonl(out, "pay.refund.full", &s); /* the last line's */
  CHECK(strcmp(s.department, "billing") == 0);
  CHECK_EQ(s.weight, 7);
  CHECK_EQ(s.calls, 2);
  sum_jsonl(out, "ship.track", &s);
  CHECK(strcmp(s.department, "logistics") == 0);
  CHECK_EQ(s.weight, 4);
  /* A bad value through codensm_init: -1, warning, previous kept. */
  struct codensm_config worse = {.struct_size = sizeof worse,
                                 .flush_interval_s = -3};
  CHECK_EQ(codensm_init(&worse), -1);
  /* A malformed endpoint through codensm_init: the previous one is not
   * kept, nothing is sent, and a key does not bring the hosted default. */
  struct codensm_config typo = {.struct_size = sizeof typo,
                                .endpoint = "127.0.0.1:8470/codensm/ingest",
                                .api_key = "k"};
  CHECK_EQ(codensm_init(&typo), -1);
  CHECK(cnsm_cfg.endpoint == NULL);
  unlink(out);
  TEST_DONE();
}
