/* SPDX-License-Identifier: Apache-2.0
 *
 * config.c - the runtime's settings: CODENSM_* environment, then
 * codensm_init() over it.
 *
 * The environment is read once, lazily, by the first registration, attach
 * or API call (pthread_once: constructor order is not guaranteed).  A bad
 * value prints one warning naming the variable, the value and the default
 * that is used instead; nothing here can stop the application.
 *
 * config_lock guards cnsm_cfg against codensm_init() changing it while a
 * sender or the function table reads it (cnsm_config_current,
 * cnsm_config_overrides); it is held only to copy or to parse, and a fork
 * takes it (after the registry lock) so the child never finds it held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codensm.h"
#include "internal.h"

/* The defaults of settings.inc's rows (prefix maps start empty: zero). */
#define INIT_RESERVED(Field, Default)
#define INIT_SETTING(Field, Default) .Field = (Default),
#define INIT_BOOL INIT_SETTING
#define INIT_SECONDS INIT_SETTING
#define INIT_PERIOD INIT_SETTING
#define INIT_STRING INIT_SETTING
#define INIT_ENDPOINT INIT_SETTING
#define INIT_LABEL INIT_SETTING
#define INIT_DEPARTMENTS INIT_RESERVED
#define INIT_WEIGHTS INIT_RESERVED
#define CNSM_SETTING(Var, Kind, Field, Default, Meaning)                       \
  INIT_##Kind(Field, Default)
struct cnsm_config cnsm_cfg = {
#include "settings.inc"
};

/* The sampling mask the instrumented code reads: one call in 64 timed. */
CNSM_EXPORT uint64_t __codensm_sample_mask = 63;
uint64_t cnsm_hot_mask = 1023;

int cnsm_sink_wanted;

static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* Before fork: no setting is half changed in the child. */
static void fork_prepare(void) { pthread_mutex_lock(&config_lock); }

/* After fork, in the parent and in the child. */
static void fork_done(void) { pthread_mutex_unlock(&config_lock); }

static void install_fork_handlers(void) {
  pthread_atfork(fork_prepare, fork_done, fork_done);
}

void cnsm_config_init_once(void) {
  pthread_once(&fork_once, install_fork_handlers);
}

/* Publishes whether a flusher is wanted.  Config lock held (or once). */
static void publish_sink_wanted(void) {
  __atomic_store_n(&cnsm_sink_wanted,
                   cnsm_cfg.endpoint != NULL && !cnsm_cfg.disable,
                   __ATOMIC_RELEASE);
}

/* Parses a boolean ("1/0/true/false/yes/no/on/off"); -1 when bad. */
static int parse_bool(const char *s) {
  static const char *yes[] = {"1", "true", "yes", "on"};
  static const char *no[] = {"0", "false", "no", "off", ""};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
    if (strcasecmp(s, yes[i]) == 0)
      return 1;
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    if (strcasecmp(s, no[i]) == 0)
      return 0;
  return -1;
}

/* Parses seconds > 0 (fractions allowed, at most a day); -1 when bad. */
static double parse_seconds(const char *s) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > 86400)
    return -1;
  return v;
}

/* Reads a boolean variable into *out, warning when bad. */
static int env_bool(const char *var, int *out) {
  const char *s = getenv(var);
  if (!s)
    return 0;
  int v = parse_bool(s);
  if (v < 0) {
    cnsm_warn("%s=\"%s\" is not 0 or 1; using %d", var, s, *out);
    return 1;
  }
  *out = v;
  return 0;
}

/* Reads a number of seconds into *out, warning when bad. */
static int env_seconds(const char *var, double *out) {
  const char *s = getenv(var);
  if (!s)
    return 0;
  double v = parse_seconds(s);
  if (v < 0) {
    cnsm_warn("%s=\"%s\" is not a number of seconds; using %g", var, s, *out);
    return 1;
  }
  *out = v;
  return 0;
}

/* Reads a non-empty string setting into *out (a copy). */
static void env_string(const char *var, char **out) {
  const char *s = getenv(var);
  if (s && *s)
    *out = strdup(s);
}

/* A label is sent as an HTTP header value and typed as a filter on the
 * collector's command line: at most CNSM_LABEL_MAX bytes of visible ASCII
 * (no spaces, which HTTP trims, no controls, which would split headers).
 * The collector refuses a batch with a bad one (400), so every other byte
 * becomes '_' and a longer value is cut, with one warning (a label is
 * read once): the figures still arrive, under the nearest label. */
#define CNSM_LABEL_MAX 128

/* A copy of s made a valid label; *changed tells whether it had to be. */
static char *label_sanitize(const char *s, int *changed) {
  size_t n = strlen(s), keep = n < CNSM_LABEL_MAX ? n : CNSM_LABEL_MAX;
  char *v = malloc(keep + 1);
  if (!v)
    return NULL;
  *changed = n > keep;
  for (size_t i = 0; i < keep; i++) {
    int ok = s[i] >= '!' && s[i] <= '~';
    v[i] = (char)(ok ? s[i] : '_');
    *changed |= !ok;
  }
  v[keep] = '\0';
  return v;
}

/* Reads a label variable; empty or unset leaves *out as it is. */
static int env_label(const char *var, char **out) {
  const char *s = getenv(var);
  if (!s || !*s)
    return 0;
  int changed = 0;
  char *v = label_sanitize(s, &changed);
  if (!v)
    return 0;
  if (changed)
    /* Not the value itself: it may hold controls that split the line. */
    cnsm_warn("%s is longer than %d bytes or not visible ASCII (no spaces); "
              "sending \"%.60s\" instead",
              var, CNSM_LABEL_MAX, v);
  *out = v;
  return changed;
}

/* The default instance: the host name (made a valid label, silently: the
 * user did not write it), or NULL when there is none. */
static char *host_instance(void) {
  char host[256];
  if (gethostname(host, sizeof host) != 0 || !host[0])
    return NULL;
  host[sizeof host - 1] = '\0';
  int changed;
  return label_sanitize(host, &changed);
}

/* Reads a sampling period (a power of two from 1 to CNSM_PERIOD_MAX),
 * warning when bad. */
static int env_sample_period(const char *var, uint64_t *out) {
  const char *s = getenv(var);
  if (!s)
    return 0;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || v == 0 || (v & (v - 1)) != 0 ||
      s[0] == '-') {
    cnsm_warn("%s=\"%s\" is not a power of two; using %llu", var, s,
              (unsigned long long)*out);
    return 1;
  }
  if (v > CNSM_PERIOD_MAX) {
    cnsm_warn("%s=\"%s\" is longer than the longest period; using %llu", var, s,
              (unsigned long long)CNSM_PERIOD_MAX);
    *out = CNSM_PERIOD_MAX;
    return 1;
  }
  *out = v;
  return 0;
}

/* A department of a prefix map, made valid for the contract (sanitize.c):
 * a warning when it had to change, so the user sees what is sent. */
static char *department_value(const char *var, const char *value) {
  int changed = 0;
  char *v =
      cnsm_sanitize_string(value, CNSM_DEPARTMENT_MAX, "unassigned", &changed);
  if (v && changed)
    cnsm_warn("%s: department \"%.40s\" is empty, longer than %d bytes or "
              "not UTF-8; sending \"%.40s\" instead",
              var, value, CNSM_DEPARTMENT_MAX, v);
  return v;
}

/* Parses "prefix=value,prefix=value".  Whitespace around items is trimmed;
 * weights must be whole numbers. */
int cnsm_prefix_map_parse(struct cnsm_prefix_map *map, const char *text,
                          const char *var, int is_weight) {
  map->rules = NULL;
  map->count = 0;
  if (!text || !*text)
    return 0;
  char *copy = strdup(text);
  if (!copy)
    return -1;
  size_t cap = 1;
  for (const char *p = text; *p; p++)
    cap += *p == ',';
  struct cnsm_prefix_rule *rules = calloc(cap, sizeof *rules);
  if (!rules) {
    free(copy);
    return -1;
  }
  size_t n = 0;
  char *save = NULL;
  for (char *item = strtok_r(copy, ",", &save); item;
       item = strtok_r(NULL, ",", &save)) {
    while (*item == ' ')
      item++;
    char *eq = strchr(item, '=');
    if (!eq || eq == item)
      goto bad;
    *eq = '\0';
    char *value = eq + 1;
    char *end = value + strlen(value);
    while (end > value && end[-1] == ' ')
      *--end = '\0';
    uint32_t weight = 0;
    if (is_weight) {
      char *wend;
      errno = 0;
      unsigned long w = strtoul(value, &wend, 10);
      if (errno || wend == value || *wend || value[0] == '-' ||
          w > CNSM_MAX_WEIGHT)
        goto bad;
      weight = (uint32_t)w;
    }
    rules[n].prefix = strdup(item);
    rules[n].value = is_weight ? strdup(value) : department_value(var, value);
    rules[n].weight = weight;
    n++;
  }
  free(copy);
  map->rules = rules;
  map->count = n;
  return 0;
bad:
  cnsm_warn("%s=\"%s\" is not a list of prefix=%s; ignoring it", var, text,
            is_weight ? "weight" : "department");
  for (size_t i = 0; i < n; i++) {
    free(rules[i].prefix);
    free(rules[i].value);
  }
  free(rules);
  free(copy);
  return -1;
}

/* Longest matching prefix wins. */
const struct cnsm_prefix_rule *
cnsm_prefix_map_find(const struct cnsm_prefix_map *map, const char *name) {
  const struct cnsm_prefix_rule *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < map->count; i++) {
    size_t len = strlen(map->rules[i].prefix);
    if (len >= best_len && strncmp(name, map->rules[i].prefix, len) == 0) {
      best = &map->rules[i];
      best_len = len;
    }
  }
  return best;
}

/* An http(s) URL with a host, or a file:///absolute path.  Anything else
 * (no scheme, another scheme, no host, blanks or control characters) is
 * malformed: libcurl would guess a scheme and a host for it. */
int cnsm_endpoint_valid(const char *endpoint) {
  for (const unsigned char *p = (const unsigned char *)endpoint; *p; p++)
    if (*p <= ' ' || *p == 0x7f)
      return 0;
  if (cnsm_file_path(endpoint))
    return 1;
  const char *host;
  if (strncmp(endpoint, "http://", 7) == 0)
    host = endpoint + 7;
  else if (strncmp(endpoint, "https://", 8) == 0)
    host = endpoint + 8;
  else
    return 0;
  size_t len = strcspn(host, "/?#");
  const char *at = memchr(host, '@', len);
  if (at) { /* user:password@host */
    len -= (size_t)(at + 1 - host);
    host = at + 1;
  }
  return len > 0 && host[0] != ':';
}

/* The hosted default stands in only when the user set a key and no
 * endpoint at all: an endpoint that was refused, or a variable that looks
 * like a misspelled CODENSM_ENDPOINT, sends nothing instead. */
static void use_hosted_default_if_chosen(struct cnsm_config *cfg) {
  if (cfg->endpoint || !cfg->api_key)
    return;
  if (cfg->endpoint_refused) {
    cnsm_warn("CODENSM_API_KEY is set but the endpoint was not understood; "
              "not falling back to the hosted %s, sending nothing",
              CNSM_DEFAULT_ENDPOINT);
    return;
  }
  cfg->endpoint = strdup(CNSM_DEFAULT_ENDPOINT);
  cfg->endpoint_is_default = 1;
}

/* Reads CODENSM_ENDPOINT.  An endpoint that is set but malformed (no
 * scheme, an unknown one, no host) is refused and remembered as refused:
 * the hosted default must never stand in for an endpoint the user wrote
 * wrongly, or the user's function names would go where they never chose. */
static int env_endpoint(const char *var, struct cnsm_config *cfg) {
  const char *s = getenv(var);
  if (!s)
    return 0;
  if (cnsm_endpoint_valid(s)) {
    cfg->endpoint = strdup(s);
    return 0;
  }
  cfg->endpoint_refused = 1;
  cnsm_warn("%s=\"%s\" is not an http://host/..., "
            "https://host/... or file:///absolute URL; sending nothing",
            var, s);
  return 1;
}

/* Reads every CODENSM_* variable over the values already in *cfg. */
int cnsm_config_from_env(struct cnsm_config *cfg) {
  int bad = 0;
#define READ_BOOL(Var, Field) bad += env_bool(#Var, &cfg->Field);
#define READ_SECONDS(Var, Field) bad += env_seconds(#Var, &cfg->Field);
#define READ_PERIOD(Var, Field) bad += env_sample_period(#Var, &cfg->Field);
#define READ_STRING(Var, Field) env_string(#Var, &cfg->Field);
#define READ_ENDPOINT(Var, Field) bad += env_endpoint(#Var, cfg);
#define READ_LABEL(Var, Field) bad += env_label(#Var, &cfg->Field);
#define READ_DEPARTMENTS(Var, Field)                                           \
  bad += cnsm_prefix_map_parse(&cfg->Field, getenv(#Var), #Var, 0) != 0;
#define READ_WEIGHTS(Var, Field)                                               \
  bad += cnsm_prefix_map_parse(&cfg->Field, getenv(#Var), #Var, 1) != 0;
#define READ_RESERVED(Var, Field)
#define CNSM_SETTING(Var, Kind, Field, Default, Meaning) READ_##Kind(Var, Field)
#include "settings.inc"
  int endpoint_misspelled = 0;
  bad += cnsm_env_check_names(&endpoint_misspelled);
  if (endpoint_misspelled)
    cfg->endpoint_refused = 1;
  if (!cfg->instance)
    cfg->instance = host_instance();
  use_hosted_default_if_chosen(cfg);
  return bad;
}

/* Applies the sampling periods: the mask each new chunk copies (read once,
 * before the first chunk exists) and the one a chunk moves to once hot
 * (hooks.c).  A period the user chose without a hot one stays: with
 * CODENSM_SAMPLE_PERIOD=1 every call is timed, as documented. */
static void apply_sample_period(void) {
  uint64_t hot = cnsm_cfg.sample_period_hot;
  if (getenv("CODENSM_SAMPLE_PERIOD") && !getenv("CODENSM_SAMPLE_PERIOD_HOT"))
    hot = cnsm_cfg.sample_period;
  __atomic_store_n(&__codensm_sample_mask, cnsm_cfg.sample_period - 1,
                   __ATOMIC_RELAXED);
  __atomic_store_n(&cnsm_hot_mask, hot - 1, __ATOMIC_RELAXED);
}

/* Once per process: the environment into cnsm_cfg. */
static void config_load(void) {
  cnsm_config_init_once();
  cnsm_config_from_env(&cnsm_cfg);
  apply_sample_period();
  cnsm_cfg.generation++;
  publish_sink_wanted();
  cnsm_log_set_debug(cnsm_cfg.debug);
  if (!cnsm_cfg.endpoint && !cnsm_cfg.disable)
    cnsm_debug("no CODENSM_ENDPOINT and no CODENSM_API_KEY: counting only, "
               "sending nothing");
  if (cnsm_cfg.disable)
    cnsm_debug("CODENSM_DISABLE is set: sending nothing");
}

/* Reads the environment once. */
void cnsm_config_ensure(void) { pthread_once(&config_once, config_load); }

/* Takes a codensm_init() duration when set (non-zero) and valid; 1 after
 * a warning when it is not. */
static int init_seconds(const char *field, double v, double *out) {
  if (v == 0)
    return 0;
  if (v > 0 && v <= 86400) {
    *out = v;
    return 0;
  }
  cnsm_warn("%s=%g is not a number of seconds; using %g", field, v, *out);
  return 1;
}

/* codensm_init's work (api.c): cfg over the environment. */
int cnsm_config_apply(const struct codensm_config *cfg) {
  if (!cfg)
    return 0;
  int bad = 0;
  struct codensm_config c = {0};
  size_t size = cfg->struct_size;
  if (size == 0 || size > sizeof c)
    size = sizeof c;
  memcpy(&c, cfg, size);
  pthread_mutex_lock(&config_lock);
  if (c.endpoint && *c.endpoint) {
    if (cnsm_endpoint_valid(c.endpoint)) {
      cnsm_cfg.endpoint = strdup(c.endpoint);
      cnsm_cfg.endpoint_is_default = 0;
    } else {
      /* The program named a destination: never keep sending elsewhere. */
      cnsm_warn("endpoint \"%s\" is not an http://host/..., https://host/... "
                "or file:///absolute URL; sending nothing",
                c.endpoint);
      cnsm_cfg.endpoint = NULL;
      cnsm_cfg.endpoint_is_default = 0;
      cnsm_cfg.endpoint_refused = 1;
      bad = 1;
    }
  }
  if (c.api_key && *c.api_key) {
    cnsm_cfg.api_key = strdup(c.api_key);
    use_hosted_default_if_chosen(&cnsm_cfg);
  }
  bad |= init_seconds("flush_interval_s", c.flush_interval_s,
                      &cnsm_cfg.flush_interval_s);
  bad |= init_seconds("exit_timeout_s", c.exit_timeout_s,
                      &cnsm_cfg.exit_timeout_s);
  if (c.spool_dir && *c.spool_dir)
    cnsm_cfg.spool_dir = strdup(c.spool_dir);
  struct cnsm_prefix_map map;
  if (c.departments) {
    if (cnsm_prefix_map_parse(&map, c.departments, "departments", 0) == 0)
      cnsm_cfg.departments = map;
    else
      bad = 1;
  }
  if (c.weights) {
    if (cnsm_prefix_map_parse(&map, c.weights, "weights", 1) == 0)
      cnsm_cfg.weights = map;
    else
      bad = 1;
  }
  if (c.disable)
    cnsm_cfg.disable = 1;
  if (c.report)
    __atomic_store_n(&cnsm_cfg.report, 1, __ATOMIC_RELAXED);
  if (c.debug) {
    cnsm_cfg.debug = 1;
    cnsm_log_set_debug(1);
  }
  cnsm_cfg.generation++;
  publish_sink_wanted();
  pthread_mutex_unlock(&config_lock);
  return bad ? -1 : 0;
}

/* $XDG_CACHE_HOME/codensm/spool, ~/.cache/codensm/spool, or /tmp. */
static char *default_spool_dir(void) {
  char buf[4096];
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  if (xdg && xdg[0] == '/')
    snprintf(buf, sizeof buf, "%s/codensm/spool", xdg);
  else if (home && home[0] == '/')
    snprintf(buf, sizeof buf, "%s/.cache/codensm/spool", home);
  else
    snprintf(buf, sizeof buf, "/tmp/codensm-%u/spool", (unsigned)getuid());
  return strdup(buf);
}

struct cnsm_overrides cnsm_config_overrides(void) {
  pthread_mutex_lock(&config_lock);
  struct cnsm_overrides o = {cnsm_cfg.departments, cnsm_cfg.weights,
                             cnsm_cfg.generation};
  pthread_mutex_unlock(&config_lock);
  return o;
}

int cnsm_config_told(void) {
  return __atomic_load_n(&cnsm_sink_wanted, __ATOMIC_ACQUIRE) ||
         __atomic_load_n(&cnsm_cfg.report, __ATOMIC_RELAXED);
}

struct cnsm_config cnsm_config_current(void) {
  pthread_mutex_lock(&config_lock);
  if (!cnsm_cfg.spool_dir) /* chosen at the first use, as it always was */
    cnsm_cfg.spool_dir = default_spool_dir();
  struct cnsm_config copy = cnsm_cfg;
  pthread_mutex_unlock(&config_lock);
  return copy;
}
