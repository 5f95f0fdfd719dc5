/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c - codensm-collector's command line: parses arguments and
 * dispatches to serve (server.c), key (keys.c), report (report.c),
 * compact (retention.c) or probe (probe.c).  --db is a SQLite path or a
 * postgresql:// URI.
 *
 *   codensm-collector serve [--listen HOST:PORT] [--db PATH]
 *                           [--tls-cert FILE --tls-key FILE] [--threads N]
 *                           [--read-token TOKEN]... [--read-token-file PATH]...
 *                           [--metrics-all-functions]
 *                           [--retain-minutes D] [--retain-hours D]
 *                           [--retain-days D]
 *                           [--header-timeout D] [--body-timeout D]
 *   codensm-collector key create PROJECT [--db PATH]
 *   codensm-collector key list [--db PATH]
 *   codensm-collector key revoke KEY [--db PATH]
 *   codensm-collector report [--db PATH] [--project P] [--since DURATION]
 *                            [--until DURATION] [--compare previous|DURATION]
 *                            [--version V] [--instance I] [--json]
 *                            [--sort FIELD] [--limit N] [--filter TEXT]
 *   codensm-collector compact [--db PATH] [--now UNIX_SECONDS]
 *                             [--retain-minutes D] [--retain-hours D]
 *                             [--retain-days D]
 *   codensm-collector probe PROJECT FUNCTION --every-call --for DURATION
 *   codensm-collector probe PROJECT FUNCTION --cancel
 *   codensm-collector probe PROJECT --list          (each with [--db PATH])
 *
 * Options are parsed by getopt_long: "--name value" or "--name=value",
 * before or after the positional arguments, a unique prefix of a name
 * accepted.  Exit status: 0 ok, 1 failure, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "keys.h"
#include "probe.h"
#include "read_access.h"
#include "report.h"
#include "retention.h"
#include "rollup.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define CNSM_DEFAULT_LISTEN "127.0.0.1:8470"
#define CNSM_VERSION "0.1.0"

static const char k_usage[] =
    "usage: codensm-collector serve [--listen HOST:PORT] [--db PATH]\n"
    "                               [--tls-cert FILE --tls-key FILE] "
    "[--threads N]\n"
    "                               [--read-token TOKEN]... "
    "[--read-token-file PATH]...\n"
    "                               [--metrics-all-functions]\n"
    "                               [--retain-minutes D] [--retain-hours D] "
    "[--retain-days D]\n"
    "                               [--header-timeout D] [--body-timeout D]\n"
    "       codensm-collector key create PROJECT [--db PATH]\n"
    "       codensm-collector key list [--db PATH]\n"
    "       codensm-collector key revoke KEY [--db PATH]\n"
    "       codensm-collector report [--db PATH] [--project P] [--since "
    "DURATION]\n"
    "                                [--until DURATION] "
    "[--compare previous|DURATION]\n"
    "                                [--version V] [--instance I] [--json]\n"
    "                                [--sort FIELD] [--limit N] "
    "[--filter TEXT]\n"
    "       codensm-collector compact [--db PATH] [--now UNIX_SECONDS]\n"
    "                                 [--retain-minutes D] [--retain-hours D] "
    "[--retain-days D]\n"
    "       codensm-collector probe PROJECT FUNCTION --every-call --for "
    "DURATION [--db PATH]\n"
    "       codensm-collector probe PROJECT FUNCTION --cancel [--db PATH]\n"
    "       codensm-collector probe PROJECT --list [--db PATH]\n"
    "\n"
    "  --listen    address to serve on (default " CNSM_DEFAULT_LISTEN ")\n"
    "  --db        SQLite file (default $CODENSM_DB, else\n"
    "              $XDG_DATA_HOME/codensm/collector.db or "
    "~/.local/share/codensm/collector.db),\n"
    "              or a PostgreSQL database: postgresql://USER@HOST:PORT/DB\n"
    "  --since     window of the report: 15m, 24h, 7d, 2w or all (default "
    "24h)\n"
    "  --until     the window ends this long ago (default 0: now); "
    "--since 1h --until 1h\n"
    "              is the hour before --since 1h, without a minute in "
    "both\n"
    "  --compare   per function, the window against the one just before "
    "it (previous)\n"
    "              or against the one DURATION earlier (1d, 7d): calls, "
    "error rate,\n"
    "              time per call and p95 in both, regressions first "
    "(--json, --limit,\n"
    "              --filter apply; --sort does not)\n"
    "  --version, --instance  report only the counts sent with that "
    "CODENSM_VERSION\n"
    "              or CODENSM_INSTANCE (\"\" for counts sent without one)\n"
    "  --sort      order of report's function listing: name, department,\n"
    "              weight, calls, errors, error_rate, mean, total, value, "
    "oee,\n"
    "              debt, p50, p95, p99 (latency percentiles) or self (self "
    "time)\n"
    "              (figures largest first, texts A to Z; default value)\n"
    "  --limit     at most N functions listed (default 30; --json: all)\n"
    "  --filter    only functions whose name contains TEXT (case-sensitive)\n"
    "              (totals, departments, debt and underuse stay over all)\n"
    "  --read-token       require \"Authorization: Bearer TOKEN\" on /, /api/ "
    "and\n"
    "                     /metrics (repeatable; 16 to 512 visible ASCII "
    "characters)\n"
    "  --read-token-file  the same, one token per line (# comments, blank "
    "lines\n"
    "                     ignored); keeps tokens out of the process list\n"
    "  --metrics-all-functions  /metrics also lists functions never called\n"
    "  --retain-minutes   minute buckets older than this become hours "
    "(default 7d)\n"
    "  --retain-hours     hour buckets older than this become days "
    "(default 90d)\n"
    "  --retain-days      buckets older than this are dropped (default "
    "all: kept)\n"
    "              (\"all\" keeps that granularity forever; serve applies "
    "them every\n"
    "              10 minutes, compact once, as of --now)\n"
    "  --header-timeout   a request's line and headers must arrive within "
    "this\n"
    "                     (default 20s), else the connection is closed\n"
    "  --body-timeout     a request's body must arrive within this once its\n"
    "                     headers are in (default 60s); both 1s to 1h\n"
    "  --every-call --for D  probe: the programs time every call of FUNCTION "
    "for D\n"
    "              (90s, 10m, 1h; 1s to 24h), then sample again by "
    "themselves\n"
    "  --list, --cancel      probe: the active probes (seconds left), or end "
    "one\n"
    "See docs/collector.md.\n";

struct cli_args {
  const char *pos[4];
  int npos;
  const char *listen, *db, *tls_cert, *tls_key, *project, *since, *threads;
  const char *until, *compare;       /* report's window end, baseline */
  const char *version, *instance;    /* report's label filters, or NULL */
  const char *sort, *limit, *filter; /* report's function listing, or NULL */
  int json, metrics_all;
  const char *retain[3]; /* --retain-minutes, -hours, -days, or NULL */
  const char *header_timeout, *body_timeout; /* serve's, or NULL */
  const char *now;                           /* compact --now */
  const char *probe_for;                     /* probe --for */
  int every_call, list, cancel; /* probe --every-call, --list, --cancel */
  /* --read-token and --read-token-file, each as often as given; room
   * for argc of them is allocated by main. */
  const char **read_tokens, **read_token_files;
  size_t nread_tokens, nread_token_files;
};

/* getopt_long values of the long options: above every char, so an
 * option's value never reads as a short option. */
enum {
  CLI_LISTEN = 256,
  CLI_DB,
  CLI_TLS_CERT,
  CLI_TLS_KEY,
  CLI_PROJECT,
  CLI_SINCE,
  CLI_THREADS,
  CLI_JSON,
  CLI_READ_TOKEN,
  CLI_READ_TOKEN_FILE,
  CLI_METRICS_ALL,
  CLI_VERSION,
  CLI_INSTANCE,
  CLI_RETAIN_MINUTES,
  CLI_RETAIN_HOURS,
  CLI_RETAIN_DAYS,
  CLI_NOW,
  CLI_SORT,
  CLI_LIMIT,
  CLI_FILTER,
  CLI_EVERY_CALL,
  CLI_FOR,
  CLI_LIST,
  CLI_CANCEL,
  CLI_UNTIL,
  CLI_COMPARE,
  CLI_HEADER_TIMEOUT,
  CLI_BODY_TIMEOUT
};

static const struct option cli_options[] = {
    {"listen", required_argument, NULL, CLI_LISTEN},
    {"db", required_argument, NULL, CLI_DB},
    {"tls-cert", required_argument, NULL, CLI_TLS_CERT},
    {"tls-key", required_argument, NULL, CLI_TLS_KEY},
    {"project", required_argument, NULL, CLI_PROJECT},
    {"since", required_argument, NULL, CLI_SINCE},
    {"threads", required_argument, NULL, CLI_THREADS},
    {"json", no_argument, NULL, CLI_JSON},
    {"read-token", required_argument, NULL, CLI_READ_TOKEN},
    {"read-token-file", required_argument, NULL, CLI_READ_TOKEN_FILE},
    {"metrics-all-functions", no_argument, NULL, CLI_METRICS_ALL},
    {"version", required_argument, NULL, CLI_VERSION},
    {"instance", required_argument, NULL, CLI_INSTANCE},
    {"retain-minutes", required_argument, NULL, CLI_RETAIN_MINUTES},
    {"retain-hours", required_argument, NULL, CLI_RETAIN_HOURS},
    {"retain-days", required_argument, NULL, CLI_RETAIN_DAYS},
    {"now", required_argument, NULL, CLI_NOW},
    {"sort", required_argument, NULL, CLI_SORT},
    {"limit", required_argument, NULL, CLI_LIMIT},
    {"filter", required_argument, NULL, CLI_FILTER},
    {"every-call", no_argument, NULL, CLI_EVERY_CALL},
    {"for", required_argument, NULL, CLI_FOR},
    {"list", no_argument, NULL, CLI_LIST},
    {"cancel", no_argument, NULL, CLI_CANCEL},
    {"until", required_argument, NULL, CLI_UNTIL},
    {"compare", required_argument, NULL, CLI_COMPARE},
    {"header-timeout", required_argument, NULL, CLI_HEADER_TIMEOUT},
    {"body-timeout", required_argument, NULL, CLI_BODY_TIMEOUT},
    {NULL, 0, NULL, 0},
};

/* Says on stderr what is wrong with the option getopt_long just refused
 * (c is ':' for a missing value, '?' otherwise); argv[optind - 1] is the
 * word it was reading. */
static void cli_option_error(int c, char **argv) {
  const char *word = argv[optind - 1];
  if (c == ':')
    fprintf(stderr, "codensm-collector: option %s needs a value\n", word);
  else if (optopt >= CLI_LISTEN)
    fprintf(stderr, "codensm-collector: option %.*s takes no value\n",
            (int)strcspn(word, "="), word);
  else
    fprintf(stderr, "codensm-collector: unknown or ambiguous option %s\n",
            word);
}

/* Parses the words after the command, argv[1..argc) (argv[0] is the
 * command), into *a with getopt_long: "--name value" or "--name=value",
 * before, between or after the positional arguments, "--" ending the
 * options.  Returns 0, or 2 on a usage error (said on stderr). */
static int cli_parse(int argc, char **argv, struct cli_args *a) {
  opterr = 0; /* our messages, naming the program rather than argv[0] */
  optind = 1;
  int c;
  /* "-": positional words come back in order as 1, whatever
   * POSIXLY_CORRECT says; ":": a missing value is ':' rather than '?'. */
  while ((c = getopt_long(argc, argv, "-:", cli_options, NULL)) != -1) {
    switch (c) {
    case 1:
      if (a->npos == 4)
        return 2;
      a->pos[a->npos++] = optarg;
      break;
    case CLI_LISTEN:
      a->listen = optarg;
      break;
    case CLI_DB:
      a->db = optarg;
      break;
    case CLI_TLS_CERT:
      a->tls_cert = optarg;
      break;
    case CLI_TLS_KEY:
      a->tls_key = optarg;
      break;
    case CLI_PROJECT:
      a->project = optarg;
      break;
    case CLI_VERSION:
      a->version = optarg;
      break;
    case CLI_INSTANCE:
      a->instance = optarg;
      break;
    case CLI_SINCE:
      a->since = optarg;
      break;
    case CLI_THREADS:
      a->threads = optarg;
      break;
    case CLI_JSON:
      a->json = 1;
      break;
    case CLI_READ_TOKEN:
      a->read_tokens[a->nread_tokens++] = optarg;
      break;
    case CLI_READ_TOKEN_FILE:
      a->read_token_files[a->nread_token_files++] = optarg;
      break;
    case CLI_METRICS_ALL:
      a->metrics_all = 1;
      break;
    case CLI_RETAIN_MINUTES:
    case CLI_RETAIN_HOURS:
    case CLI_RETAIN_DAYS:
      a->retain[c - CLI_RETAIN_MINUTES] = optarg;
      break;
    case CLI_NOW:
      a->now = optarg;
      break;
    case CLI_SORT:
      a->sort = optarg;
      break;
    case CLI_LIMIT:
      a->limit = optarg;
      break;
    case CLI_FILTER:
      a->filter = optarg;
      break;
    case CLI_EVERY_CALL:
      a->every_call = 1;
      break;
    case CLI_FOR:
      a->probe_for = optarg;
      break;
    case CLI_LIST:
      a->list = 1;
      break;
    case CLI_CANCEL:
      a->cancel = 1;
      break;
    case CLI_UNTIL:
      a->until = optarg;
      break;
    case CLI_COMPARE:
      a->compare = optarg;
      break;
    case CLI_HEADER_TIMEOUT:
      a->header_timeout = optarg;
      break;
    case CLI_BODY_TIMEOUT:
      a->body_timeout = optarg;
      break;
    default:
      cli_option_error(c, argv);
      return 2;
    }
  }
  for (int i = optind; i < argc; i++) { /* after "--" */
    if (a->npos == 4)
      return 2;
    a->pos[a->npos++] = argv[i];
  }
  return 0;
}

/* Opens the database for a CLI command (one connection); only commands
 * that create something pass CNSM_STORE_CREATE, so a mistyped --db is
 * an error rather than a new empty database. */
static struct cnsm_store *cli_open(const char *path, int flags) {
  struct cnsm_store *st;
  char err[512];
  if (cnsm_store_open(path, 1, flags, &st, err, sizeof err) != 0) {
    fprintf(stderr, "codensm-collector: %s\n", err);
    return NULL;
  }
  return st;
}

/* key create|list|revoke. */
/* A whole number of 1 to 9 digits, or 0 (which the callers refuse). */
static unsigned cli_count(const char *text) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(text, &end, 10);
  if (errno || end == text || *end || text[0] == '-' || v > 999999999ul)
    return 0;
  return (unsigned)v;
}

static int cli_key(const struct cli_args *a, const char *db_path) {
  const char *verb = a->npos > 0 ? a->pos[0] : "";
  int need = strcmp(verb, "list") == 0 ? 1 : 2;
  if ((strcmp(verb, "create") != 0 && strcmp(verb, "list") != 0 &&
       strcmp(verb, "revoke") != 0) ||
      a->npos != need) {
    fputs(k_usage, stderr);
    return 2;
  }
  struct cnsm_store *st =
      cli_open(db_path, strcmp(verb, "create") == 0 ? CNSM_STORE_CREATE : 0);
  if (st == NULL)
    return 1;
  struct cnsm_conn *db = cnsm_store_acquire(st);
  int rc = 0;
  if (strcmp(verb, "create") == 0) {
    char key[CNSM_KEY_LEN + 1];
    rc = cnsm_key_create(db, a->pos[1], key) == 0 ? 0 : 1;
    if (rc == 0)
      printf("%s\n", key);
  } else if (strcmp(verb, "list") == 0) {
    rc = cnsm_key_list(db, stdout) == 0 ? 0 : 1;
  } else {
    int n = cnsm_key_revoke(db, a->pos[1]);
    if (n == 1) {
      printf("revoked\n");
    } else {
      fprintf(
          stderr, "codensm-collector: %s\n",
          n < 0
              ? cnsm_store_error(db)
              : "no live key matches (give the whole key or its listed hint)");
      rc = 1;
    }
  }
  cnsm_store_release(st, db);
  cnsm_store_close(st);
  return rc;
}

/* report's --json, --sort, --limit and --filter into *v.  Returns 0, or
 * 2 with the problem said on stderr. */
static int cli_report_view(const struct cli_args *a,
                           struct cnsm_report_view *v) {
  v->json = a->json;
  v->sort = a->sort;
  v->filter = a->filter;
  v->limit = a->limit ? cli_count(a->limit) : 0;
  if (a->sort && !cnsm_report_sort_valid(a->sort)) {
    fprintf(stderr,
            "codensm-collector: --sort takes one of " CNSM_REPORT_SORT_FIELDS
            " (not \"%s\")\n",
            a->sort);
    return 2;
  }
  if (a->limit && v->limit == 0) {
    fprintf(stderr, "codensm-collector: --limit takes a whole number from 1 "
                    "to 999999999\n");
    return 2;
  }
  return 0;
}

/* report's --since, --until and --compare into *w and *base.  Returns
 * 0, or 2 with the problem said on stderr. */
static int cli_report_window(const struct cli_args *a,
                             struct cnsm_report_window *w,
                             struct cnsm_report_baseline *base) {
  w->since_text = a->since ? a->since : "24h";
  w->until_text = a->until ? a->until : "0";
  if (cnsm_parse_duration(w->since_text, &w->since) != 0) {
    fprintf(stderr,
            "codensm-collector: --since takes 15m, 24h, 7d, 2w or all\n");
    return 2;
  }
  if (cnsm_parse_until(w->until_text, &w->until) != 0) {
    fprintf(stderr, "codensm-collector: --until (how long ago the window "
                    "ends) takes 0 (now), 15m, 1h, 7d or 2w\n");
    return 2;
  }
  base->text = a->compare;
  base->shift = 0;
  if (a->compare == NULL)
    return 0;
  if (strcmp(a->compare, "previous") != 0 &&
      (cnsm_parse_until(a->compare, &base->shift) != 0 || base->shift == 0)) {
    fprintf(stderr, "codensm-collector: --compare takes previous (the "
                    "window just before) or how much earlier: 1h, 1d, 7d\n");
    return 2;
  }
  if (w->since == 0) {
    fprintf(stderr, "codensm-collector: --compare needs a --since window "
                    "(all time has none before it)\n");
    return 2;
  }
  if (a->sort != NULL) {
    fprintf(stderr, "codensm-collector: --compare lists regressions first: "
                    "it takes no --sort\n");
    return 2;
  }
  return 0;
}

/* report. */
static int cli_report(const struct cli_args *a, const char *db_path) {
  struct cnsm_report_window window;
  struct cnsm_report_baseline baseline;
  if (a->npos != 0) {
    fputs(k_usage, stderr);
    return 2;
  }
  if (cli_report_window(a, &window, &baseline) != 0)
    return 2;
  if ((a->version && !cnsm_label_valid(a->version)) ||
      (a->instance && !cnsm_label_valid(a->instance))) {
    fprintf(stderr, "codensm-collector: --version and --instance take at most "
                    "128 characters of visible ASCII (! to ~)\n");
    return 2;
  }
  struct cnsm_report_view view;
  if (cli_report_view(a, &view) != 0)
    return 2;
  struct cnsm_store *st = cli_open(db_path, 0);
  if (st == NULL)
    return 1;
  struct cnsm_conn *db = cnsm_store_acquire(st);
  struct cnsm_label_filter labels = {a->version, a->instance};
  int rc = a->compare ? cnsm_report_compare(db, a->project, &window, &baseline,
                                            &labels, &view, stdout)
                      : cnsm_report_run(db, a->project, &window, &labels, &view,
                                        stdout);
  if (rc < 0)
    fprintf(stderr, "codensm-collector: %s\n", cnsm_store_error(db));
  cnsm_store_release(st, db);
  cnsm_store_close(st);
  return rc == 0 ? 0 : 1;
}

/* Gathers the read tokens of --read-token and --read-token-file into
 * *t.  Returns 0, or 2 with the first problem said on stderr (naming the
 * option or the file and line, never a token). */
static int cli_read_tokens(const struct cli_args *a,
                           struct cnsm_read_tokens *t) {
  char err[768];
  for (size_t i = 0; i < a->nread_tokens; i++) {
    if (cnsm_read_tokens_add(t, a->read_tokens[i], err, sizeof err) != 0) {
      fprintf(stderr, "codensm-collector: --read-token: %s\n", err);
      return 2;
    }
  }
  for (size_t i = 0; i < a->nread_token_files; i++) {
    if (cnsm_read_tokens_load_file(t, a->read_token_files[i], err,
                                   sizeof err) != 0) {
      fprintf(stderr, "codensm-collector: %s\n", err);
      return 2;
    }
  }
  return 0;
}

/* The retention policy of --retain-*, defaults for those not given.
 * Returns 0, or 2 with the problem said on stderr. */
static int cli_retention(const struct cli_args *a, struct cnsm_retention *r) {
  static const char *const names[] = {"--retain-minutes", "--retain-hours",
                                      "--retain-days"};
  int64_t *ages[] = {&r->minutes, &r->hours, &r->days};
  r->minutes = CNSM_RETAIN_MINUTES_DEFAULT;
  r->hours = CNSM_RETAIN_HOURS_DEFAULT;
  r->days = CNSM_RETAIN_DAYS_DEFAULT;
  for (int i = 0; i < 3; i++) {
    if (a->retain[i] != NULL &&
        cnsm_parse_duration(a->retain[i], ages[i]) != 0) {
      fprintf(stderr,
              "codensm-collector: %s takes a duration like 48h, 90d or "
              "all\n",
              names[i]);
      return 2;
    }
  }
  char err[128];
  if (cnsm_retention_check(r, err, sizeof err) != 0) {
    fprintf(stderr, "codensm-collector: %s\n", err);
    return 2;
  }
  return 0;
}

/* compact: the retention policy applied once, as of --now. */
static int cli_compact(const struct cli_args *a, const char *db_path) {
  struct cnsm_retention r;
  char *end = NULL;
  long long now = a->now ? strtoll(a->now, &end, 10) : cnsm_now_s();
  if (a->npos != 0 || (a->now && (*a->now == '\0' || *end != '\0'))) {
    fprintf(stderr, "codensm-collector: compact takes --now UNIX_SECONDS\n");
    return 2;
  }
  if (cli_retention(a, &r) != 0)
    return 2;
  struct cnsm_store *st = cli_open(db_path, 0);
  if (st == NULL)
    return 1;
  struct cnsm_conn *db = cnsm_store_acquire(st);
  struct cnsm_retention_stats s;
  int rc = cnsm_retention_run(db, &r, (int64_t)now, &s);
  if (rc == 0)
    printf("%lld rows rolled into hours, %lld into days, %lld dropped\n",
           (long long)s.into_hours, (long long)s.into_days,
           (long long)s.dropped);
  cnsm_store_release(st, db);
  cnsm_store_close(st);
  return rc == 0 ? 0 : 1;
}

/* Is project one the database knows (it has keys or functions)?  1,
 * 0, or -1 on a database error. */
static int cli_project_known(struct cnsm_conn *db, const char *project) {
  char **names;
  size_t n;
  if (cnsm_rollup_projects(db, &names, &n) != 0)
    return -1;
  int known = 0;
  for (size_t i = 0; i < n; i++) {
    known |= strcmp(names[i], project) == 0;
    free(names[i]);
  }
  free(names);
  return known;
}

/* probe PROJECT --list: one line per active probe. */
static int cli_probe_list(struct cnsm_conn *db, const char *project) {
  struct cnsm_probes p;
  int rc = cnsm_probe_list(db, project, cnsm_now_s(), &p);
  if (rc == 0 && p.n == 0)
    printf("no active probes in %s\n", project);
  else if (rc == 0)
    printf("%-60s %12s\n", "FUNCTION", "SECONDS_LEFT");
  for (size_t i = 0; rc == 0 && i < p.n; i++)
    printf("%-60s %12lld\n", p.v[i].name, (long long)p.v[i].seconds_left);
  cnsm_probes_free(&p);
  return rc == 0 ? 0 : 1;
}

/* probe PROJECT FUNCTION --every-call --for D, or --cancel. */
static int cli_probe_set(struct cnsm_conn *db, const char *project,
                         const char *name, int64_t seconds) {
  int64_t expires_at;
  enum cnsm_probe_outcome out =
      cnsm_probe_set(db, project, name, seconds, cnsm_now_s(), &expires_at);
  if (out == CNSM_PROBE_OK && seconds == 0) {
    printf("cancelled the probe of %s\n", name);
  } else if (out == CNSM_PROBE_OK) {
    char when[32];
    time_t t = (time_t)expires_at;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    printf("every call of %s timed until %s (%lld s)\n", name, when,
           (long long)seconds);
  } else if (out == CNSM_PROBE_FULL) {
    fprintf(stderr,
            "codensm-collector: %s has %d active probes already; cancel one "
            "or wait for one to expire\n",
            project, CNSM_PROBES_MAX);
  } else if (out == CNSM_PROBE_NONE) {
    fprintf(stderr, "codensm-collector: no active probe of %s in %s\n", name,
            project);
  } else {
    fprintf(stderr, "codensm-collector: %s\n", cnsm_store_error(db));
  }
  return out == CNSM_PROBE_OK ? 0 : 1;
}

/* Checks probe's words: 0 with *seconds (0: cancel; -1: --list), or 2
 * with the problem said on stderr. */
static int cli_probe_args(const struct cli_args *a, int64_t *seconds) {
  int list =
      a->list && a->npos == 1 && !a->cancel && !a->every_call && !a->probe_for;
  int cancel = a->cancel && a->npos == 2 && !a->every_call && !a->probe_for;
  int start = !a->list && !a->cancel && a->npos == 2;
  if (!list && !cancel && !start) {
    fprintf(stderr, "codensm-collector: probe takes PROJECT FUNCTION "
                    "--every-call --for DURATION, PROJECT FUNCTION --cancel "
                    "or PROJECT --list\n");
    return 2;
  }
  *seconds = list ? -1 : 0;
  if (start && !a->every_call) {
    fprintf(stderr, "codensm-collector: probe needs --every-call (the only "
                    "mode there is)\n");
    return 2;
  }
  if (start && cnsm_probe_parse_for(a->probe_for, seconds) != 0) {
    fprintf(stderr, "codensm-collector: --for takes a duration from 1s to "
                    "24h, like 90s, 10m or 1h\n");
    return 2;
  }
  if (!list && !cnsm_probe_name_valid(a->pos[1])) {
    fprintf(stderr, "codensm-collector: FUNCTION must be 1 to 512 bytes of "
                    "UTF-8 without control characters\n");
    return 2;
  }
  return 0;
}

/* probe: start, cancel or list. */
static int cli_probe(const struct cli_args *a, const char *db_path) {
  int64_t seconds;
  if (cli_probe_args(a, &seconds) != 0)
    return 2;
  struct cnsm_store *st = cli_open(db_path, 0);
  if (st == NULL)
    return 1;
  struct cnsm_conn *db = cnsm_store_acquire(st);
  int rc, known = cli_project_known(db, a->pos[0]);
  if (known <= 0) {
    fprintf(stderr, "codensm-collector: %s%s\n",
            known < 0 ? "" : "no project named ",
            known < 0 ? cnsm_store_error(db) : a->pos[0]);
    rc = 1;
  } else if (seconds < 0) {
    rc = cli_probe_list(db, a->pos[0]);
  } else {
    rc = cli_probe_set(db, a->pos[0], a->pos[1], seconds);
  }
  cnsm_store_release(st, db);
  cnsm_store_close(st);
  return rc;
}

/* A --header-timeout or --body-timeout (text; NULL: not given, *out
 * kept) into *out seconds: a duration of 1 s to an hour.  Returns 0, or
 * 2 with the problem said on stderr. */
static int cli_timeout(const char *name, const char *text, unsigned *out) {
  int64_t seconds = 0;
  if (text == NULL)
    return 0;
  if (cnsm_parse_duration(text, &seconds) != 0 || seconds < 1 ||
      seconds > CNSM_REQUEST_TIMEOUT_MAX_S) {
    fprintf(stderr,
            "codensm-collector: %s takes a duration from 1s to 1h, like 20s "
            "or 2m\n",
            name);
    return 2;
  }
  *out = (unsigned)seconds;
  return 0;
}

/* serve. */
static int cli_serve(const struct cli_args *a, const char *db_path) {
  if (a->npos != 0) {
    fputs(k_usage, stderr);
    return 2;
  }
  struct cnsm_read_tokens tokens = {0};
  struct cnsm_server_opts o = {
      .listen = a->listen ? a->listen : CNSM_DEFAULT_LISTEN,
      .db_path = db_path,
      .tls_cert = a->tls_cert,
      .tls_key = a->tls_key,
      .threads = a->threads ? cli_count(a->threads) : 4,
      .read_tokens = &tokens,
      .metrics_all_functions = a->metrics_all,
      .header_timeout_s = CNSM_HEADER_TIMEOUT_DEFAULT_S,
      .body_timeout_s = CNSM_BODY_TIMEOUT_DEFAULT_S,
  };
  if (o.threads < 1 || o.threads > 256) {
    fprintf(stderr, "codensm-collector: --threads takes 1 to 256\n");
    return 2;
  }
  if (cli_timeout("--header-timeout", a->header_timeout, &o.header_timeout_s) !=
          0 ||
      cli_timeout("--body-timeout", a->body_timeout, &o.body_timeout_s) != 0)
    return 2;
  int rc = cli_retention(a, &o.retention);
  if (rc == 0)
    rc = cli_read_tokens(a, &tokens);
  if (rc == 0)
    rc = cnsm_server_run(&o);
  cnsm_read_tokens_free(&tokens);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    fputs(k_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("codensm-collector %s\n", CNSM_VERSION);
    return 0;
  }
  struct cli_args a;
  memset(&a, 0, sizeof a);
  a.read_tokens = calloc((size_t)argc, sizeof *a.read_tokens);
  a.read_token_files = calloc((size_t)argc, sizeof *a.read_token_files);
  if (a.read_tokens == NULL || a.read_token_files == NULL ||
      cli_parse(argc - 1, argv + 1, &a) != 0) {
    free(a.read_tokens);
    free(a.read_token_files);
    fputs(k_usage, stderr);
    return 2;
  }
  char *db_path = a.db ? strdup(a.db) : cnsm_store_default_path();
  int rc;
  if (strcmp(argv[1], "serve") == 0)
    rc = cli_serve(&a, db_path);
  else if (strcmp(argv[1], "key") == 0)
    rc = cli_key(&a, db_path);
  else if (strcmp(argv[1], "report") == 0)
    rc = cli_report(&a, db_path);
  else if (strcmp(argv[1], "compact") == 0)
    rc = cli_compact(&a, db_path);
  else if (strcmp(argv[1], "probe") == 0)
    rc = cli_probe(&a, db_path);
  else {
    fprintf(stderr, "codensm-collector: unknown command %s\n", argv[1]);
    fputs(k_usage, stderr);
    rc = 2;
  }
  free(db_path);
  free(a.read_tokens);
  free(a.read_token_files);
  return rc;
}
