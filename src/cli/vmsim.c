/* SPDX-License-Identifier: MIT */
/*
 * vmsim: run scenarios and replay traces from the command line.
 *
 *   vmsim                          the built-in default scenario
 *   vmsim run SCENARIO.yaml [--policy NAME] [--seed N] [--output text|json|csv]
 *                                  [--timeline FILE.csv] [--plugin PATH.so]...
 *   vmsim replay TRACE --trace-format lackey|oracleGeneral|text [--frames N]
 *                                  [--engine auto|machine|frames] [--policy NAME]
 *                                  [--output text|json] [--plugin PATH.so]...
 *   vmsim policies [--plugin PATH.so]...
 *
 * Exit status: 0 success; 2 usage, configuration or trace error; 1 a failure
 * while simulating.
 */
#include <vmsim/vmsim.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_SIM = 1, EXIT_USAGE = 2 };
enum output { OUT_TEXT, OUT_JSON, OUT_CSV };

#define MAX_PROCS_REPORTED 256

struct options {
  enum output output;
  const char *policy;
  const char *timeline;
  const char *trace_format;
  uint64_t seed;
  bool have_seed;
  uint64_t frames;
  enum vmsim_replay_engine engine;
  uint64_t check;
};

static const char usage_text[] =
    "usage: vmsim                     run the built-in default scenario\n"
    "       vmsim run SCENARIO.yaml [--policy NAME] [--seed N] [--output text|json|csv]\n"
    "                               [--timeline FILE.csv] [--check N] [--plugin PATH.so]...\n"
    "       vmsim replay TRACE --trace-format lackey|oracleGeneral|text [--frames N]\n"
    "                               [--engine auto|machine|frames] [--policy NAME]\n"
    "                               [--output text|json] [--check N] [--plugin PATH.so]...\n"
    "       vmsim policies [--plugin PATH.so]...\n"
    "       vmsim --help | --version\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "vmsim: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n%s", usage_text);
  return EXIT_USAGE;
}

/* Errors in what the user gave us exit 2; failures of the simulation 1. */
static int exit_code(int err) {
  switch (err) {
  case VMSIM_EPARSE:
  case VMSIM_ECONFIG:
  case VMSIM_EABI:
  case VMSIM_EINVAL:
  case VMSIM_ENOENT:
  case VMSIM_EIO:
  case VMSIM_ERANGE:
    return EXIT_USAGE;
  default:
    return EXIT_SIM;
  }
}

static bool parse_u64(const char *s, uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-')
    return false;
  unsigned long long v = strtoull(s, &end, 0);
  if (*end)
    return false;
  *out = v;
  return true;
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The index of `arg` among names[0..n), or -1. */
static int choice(const char *arg, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(arg, names[i]) == 0)
      return (int)i;
  return -1;
}

/* ---- progress on a terminal ------------------------------------------- */

static void progress(void *ctx, uint64_t done, uint64_t planned) {
  (void)ctx;
  if (planned != UINT64_MAX && planned)
    fprintf(stderr, "\rvmsim: %" PRIu64 " accesses (%.0f%%)  ", done, 100.0 * (double)done / (double)planned);
  else
    fprintf(stderr, "\rvmsim: %" PRIu64 " accesses  ", done);
  fflush(stderr);
}

static void progress_done(const vmsim_run_options *ro) {
  if (ro->progress)
    fprintf(stderr, "\r%60s\r", "");
}

/* ---- host measurements ---------------------------------------------------- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

/* ---- reports -------------------------------------------------------------- */

struct report {
  const char *kind;     /* "run" or "replay" */
  const vmsim_replay_result *replay; /* a replay's counts, or NULL */
  const char *source;   /* scenario or trace */
  vmsim_sim *sim;
  uint64_t accesses, misses;
  const vmsim_run_process *procs;
  uint32_t nr_procs;
  double wall;
  int check;            /* vmsim_check() result */
  char check_msg[512];
};

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static const char *state_name(enum vmsim_process_state st) {
  return st == VMSIM_PROC_KILLED ? "killed" : st == VMSIM_PROC_EXITED ? "exited" : "running";
}

/* What both replay engines' JSON reports give, after accesses and misses. */
static void json_replay_counts(const vmsim_replay_result *res) {
  printf("  \"major_faults\": %" PRIu64 ",\n  \"segv\": %" PRIu64
         ",\n  \"distinct_pages\": %" PRIu64 ",\n  \"nr_procs\": %u,\n",
         res->major_faults, res->segv, res->distinct_pages, res->nr_procs);
}

static void print_json(const struct report *r) {
  vmsim_tlb_info tlb;
  vmsim_tlb_get_info(r->sim, UINT32_MAX, &tlb);
  printf("{\n  \"kind\": \"%s\",\n", r->kind);
  if (r->replay)
    printf("  \"engine\": \"machine\",\n");
  printf("  \"source\": ");
  json_string(stdout, r->source);
  printf(",\n  \"policy\": ");
  json_string(stdout, vmsim_sim_config(r->sim)->policy);
  printf(",\n  \"accesses\": %" PRIu64 ",\n  \"misses\": %" PRIu64 ",\n", r->accesses, r->misses);
  if (r->replay)
    json_replay_counts(r->replay);
  printf("  \"vmstat\": {");
  for (int i = 0; i < VMSIM_NR_VMSTAT; i++)
    printf("%s\n    \"%s\": %" PRIu64, i ? "," : "", vmsim_vmstat_name(i), vmsim_vmstat(r->sim, i));
  printf("\n  },\n");
  printf("  \"tlb\": {\"hits\": %" PRIu64 ", \"misses\": %" PRIu64 ", \"shootdowns\": %" PRIu64
         ", \"l1_hits\": %" PRIu64 ", \"l2_hits\": %" PRIu64 "},\n",
         tlb.l1_hits + tlb.l2_hits, tlb.misses, tlb.shootdowns, tlb.l1_hits, tlb.l2_hits);
  printf("  \"rmap_walks\": %" PRIu64 ",\n", vmsim_rmap_walks(r->sim));
  printf("  \"sim_time_ns\": %" PRIu64 ",\n", vmsim_time_now(r->sim));
  printf("  \"integrity_errors\": %" PRIu64 ",\n", vmsim_integrity_errors(r->sim));
  printf("  \"check\": ");
  json_string(stdout, r->check ? r->check_msg : "ok");
  printf(",\n  \"processes\": [");
  for (uint32_t i = 0; i < r->nr_procs; i++) {
    const vmsim_run_process *p = &r->procs[i];
    printf("%s\n    {\"name\": ", i ? "," : "");
    json_string(stdout, p->name);
    printf(", \"pid\": %u, \"state\": \"%s\", \"accesses\": %" PRIu64 ", \"misses\": %" PRIu64
           ", \"faults\": %" PRIu64 ", \"major_faults\": %" PRIu64 ", \"segv\": %" PRIu64
           ", \"time_ns\": %" PRIu64 "}",
           p->pid, state_name(p->state), p->accesses, p->misses, p->faults, p->major_faults,
           p->segv, p->time_ns);
  }
  printf("%s],\n", r->nr_procs ? "\n  " : "");
  printf("  \"host\": {\"wall_time_s\": %.6f, \"accesses_per_sec\": %.0f, \"peak_rss_kib\": %ld}\n}\n",
         r->wall, r->wall > 0 ? (double)r->accesses / r->wall : 0.0, peak_rss_kib());
}

static void print_csv(const struct report *r) {
  vmsim_tlb_info tlb;
  vmsim_tlb_get_info(r->sim, UINT32_MAX, &tlb);
  printf("key,value\n");
  printf("policy,%s\naccesses,%" PRIu64 "\nmisses,%" PRIu64 "\n", vmsim_sim_config(r->sim)->policy,
         r->accesses, r->misses);
  for (int i = 0; i < VMSIM_NR_VMSTAT; i++)
    printf("vmstat.%s,%" PRIu64 "\n", vmsim_vmstat_name(i), vmsim_vmstat(r->sim, i));
  printf("tlb.hits,%" PRIu64 "\ntlb.misses,%" PRIu64 "\ntlb.shootdowns,%" PRIu64 "\n",
         tlb.l1_hits + tlb.l2_hits, tlb.misses, tlb.shootdowns);
  printf("sim_time_ns,%" PRIu64 "\nintegrity_errors,%" PRIu64 "\n", vmsim_time_now(r->sim),
         vmsim_integrity_errors(r->sim));
  for (uint32_t i = 0; i < r->nr_procs; i++) {
    const vmsim_run_process *p = &r->procs[i];
    printf("process.%s.state,%s\nprocess.%s.accesses,%" PRIu64 "\nprocess.%s.misses,%" PRIu64
           "\nprocess.%s.time_ns,%" PRIu64 "\n",
           p->name, state_name(p->state), p->name, p->accesses, p->name, p->misses, p->name,
           p->time_ns);
  }
  printf("host.wall_time_s,%.6f\nhost.peak_rss_kib,%ld\n", r->wall, peak_rss_kib());
}

static void print_counters(vmsim_sim *sim, const char *title, const int *items, size_t n) {
  printf("%s\n", title);
  for (size_t i = 0; i < n; i++)
    printf("  %-32s %15" PRIu64 "\n", vmsim_vmstat_name(items[i]), vmsim_vmstat(sim, items[i]));
}

static void print_text(const struct report *r) {
  static const int memory[] = {
    VMSIM_VM_nr_free_pages, VMSIM_VM_nr_anon_pages, VMSIM_VM_nr_file_pages,
    VMSIM_VM_nr_inactive_anon, VMSIM_VM_nr_active_anon, VMSIM_VM_nr_inactive_file,
    VMSIM_VM_nr_active_file, VMSIM_VM_nr_unevictable, VMSIM_VM_nr_swapcached,
    VMSIM_VM_nr_dirty, VMSIM_VM_nr_page_table_pages,
  };
  static const int events[] = {
    VMSIM_VM_pgfault, VMSIM_VM_pgmajfault, VMSIM_VM_pswpin, VMSIM_VM_pswpout,
    VMSIM_VM_pgpgin, VMSIM_VM_pgpgout, VMSIM_VM_kswapd_wakeups, VMSIM_VM_pageoutrun,
    VMSIM_VM_pgscan_kswapd, VMSIM_VM_pgsteal_kswapd, VMSIM_VM_pgscan_direct,
    VMSIM_VM_pgsteal_direct, VMSIM_VM_allocstall, VMSIM_VM_pgactivate, VMSIM_VM_pgdeactivate,
    VMSIM_VM_workingset_refault_anon, VMSIM_VM_workingset_refault_file,
    VMSIM_VM_workingset_activate_anon, VMSIM_VM_workingset_activate_file, VMSIM_VM_oom_kill,
  };
  const vmsim_config *cfg = vmsim_sim_config(r->sim);
  uint64_t swap = 0;
  for (uint32_t i = 0; i < cfg->nr_swap; i++)
    swap += cfg->swap[i].pages;
  vmsim_tlb_info tlb;
  vmsim_tlb_get_info(r->sim, UINT32_MAX, &tlb);
  uint64_t lookups = tlb.l1_hits + tlb.l2_hits + tlb.misses;

  printf("vmsim %s: %s\n", r->kind, r->source);
  printf("machine: %u node(s), %u CPU(s), %" PRIu64 " MiB memory, %" PRIu64
         " MiB swap; policy %s\n",
         vmsim_nr_nodes(r->sim), vmsim_nr_cpus(r->sim), vmsim_nr_pages(r->sim) / 256, swap / 256,
         cfg->policy);
  printf("ran %" PRIu64 " accesses (%" PRIu64 " misses, %.2f%%) in %.3f s of simulated time\n\n",
         r->accesses, r->misses, r->accesses ? 100.0 * (double)r->misses / (double)r->accesses : 0.0,
         (double)vmsim_time_now(r->sim) / 1e9);
  if (r->nr_procs) {
    printf("%-16s %-8s %12s %10s %10s %10s %12s\n", "process", "state", "accesses", "misses",
           "faults", "major", "time (ms)");
    for (uint32_t i = 0; i < r->nr_procs; i++) {
      const vmsim_run_process *p = &r->procs[i];
      printf("%-16s %-8s %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %12.3f\n",
             p->name, state_name(p->state), p->accesses, p->misses, p->faults, p->major_faults,
             (double)p->time_ns / 1e6);
    }
    printf("\n");
  }
  print_counters(r->sim, "memory (pages):", memory, ARRAY_LEN(memory));
  print_counters(r->sim, "events:", events, ARRAY_LEN(events));
  printf("tlb:\n  %-32s %14.2f%%\n  %-32s %15" PRIu64 "\n", "hit ratio",
         lookups ? 100.0 * (double)(tlb.l1_hits + tlb.l2_hits) / (double)lookups : 0.0,
         "shootdowns", tlb.shootdowns);
  printf("policy:\n  %-32s %15" PRIu64 "\n", "rmap walks (page_referenced)",
         vmsim_rmap_walks(r->sim));
  printf("\nintegrity: %" PRIu64 " errors; invariant check: %s\n", vmsim_integrity_errors(r->sim),
         r->check ? r->check_msg : "passed");
  printf("host: %.3f s, %.1f M accesses/s, peak %ld MiB\n", r->wall,
         r->wall > 0 ? (double)r->accesses / r->wall / 1e6 : 0.0, peak_rss_kib() / 1024);
}

static int report(struct report *r, enum output out) {
  r->check = vmsim_check(r->sim, r->check_msg, sizeof(r->check_msg));
  if (out == OUT_JSON)
    print_json(r);
  else if (out == OUT_CSV)
    print_csv(r);
  else
    print_text(r);
  fflush(stdout);
  if (r->check || vmsim_integrity_errors(r->sim)) {
    fprintf(stderr, "vmsim: %s\n",
            r->check ? r->check_msg : "integrity errors were seen while simulating");
    return EXIT_SIM;
  }
  return 0;
}

/* ---- commands ------------------------------------------------------------- */

static int load_plugin(const char *path) {
  char msg[512];
  const char *name;
  int err = vmsim_policy_load(path, &name, msg, sizeof(msg));
  if (err) {
    fprintf(stderr, "vmsim: %s\n", msg);
    return EXIT_USAGE;
  }
  return 0;
}

static void run_options(vmsim_run_options *ro, const struct options *o) {
  vmsim_run_options_default(ro);
  if (isatty(STDERR_FILENO)) {
    ro->progress = progress;
  }
  ro->check_interval = o->check;
}

static int cmd_run(vmsim_scenario *scn, const struct options *o) {
  char err[1024];
  if (o->policy)
    snprintf(scn->cfg.policy, sizeof(scn->cfg.policy), "%s", o->policy);
  if (o->have_seed) {
    scn->seed = o->seed;
    scn->cfg.seed = o->seed;
  }
  vmsim_run_options ro;
  run_options(&ro, o);
  FILE *timeline = NULL;
  if (o->timeline) {
    timeline = fopen(o->timeline, "w");
    if (!timeline) {
      fprintf(stderr, "vmsim: %s: cannot write the timeline\n", o->timeline);
      return EXIT_USAGE;
    }
    ro.timeline = timeline;
  }
  vmsim_run_process procs[MAX_PROCS_REPORTED];
  vmsim_sim *sim;
  double t0 = now_seconds();
  int rc = vmsim_scenario_run(scn, &ro, &sim, procs, MAX_PROCS_REPORTED, err, sizeof(err));
  double wall = now_seconds() - t0;
  progress_done(&ro);
  if (timeline && fclose(timeline) != 0 && !rc) {
    fprintf(stderr, "vmsim: %s: error writing the timeline\n", o->timeline);
    vmsim_sim_destroy(sim);
    return EXIT_SIM;
  }
  if (rc) {
    fprintf(stderr, "vmsim: %s\n", err);
    return exit_code(rc);
  }
  struct report r = {.kind = "run", .source = scn->source, .sim = sim, .procs = procs,
                     .nr_procs = scn->nr_procs < MAX_PROCS_REPORTED ? scn->nr_procs : MAX_PROCS_REPORTED,
                     .wall = wall};
  for (uint32_t i = 0; i < r.nr_procs; i++) {
    r.accesses += procs[i].accesses;
    r.misses += procs[i].misses;
  }
  rc = report(&r, o->output);
  vmsim_sim_destroy(sim);
  return rc;
}

/* The report of a replay on the frames engine: no machine, its counts. */
static void print_frames(const char *path, const char *policy, const struct options *o,
                         const vmsim_replay_result *res, double wall) {
  double ratio = res->accesses ? (double)res->misses / (double)res->accesses : 0.0;
  double rate = wall > 0 ? (double)res->accesses / wall : 0.0;
  if (o->output == OUT_JSON) {
    printf("{\n  \"kind\": \"replay\",\n  \"engine\": \"frames\",\n  \"source\": ");
    json_string(stdout, path);
    printf(",\n  \"policy\": ");
    json_string(stdout, policy);
    printf(",\n  \"frames\": %" PRIu64 ",\n  \"accesses\": %" PRIu64 ",\n  \"misses\": %" PRIu64
           ",\n",
           o->frames, res->accesses, res->misses);
    json_replay_counts(res);
    printf("  \"evictions\": %" PRIu64 ",\n  \"dirty_evictions\": %" PRIu64
           ",\n  \"swap_writes\": %" PRIu64 ",\n",
           res->evictions, res->dirty_evictions, res->swap_writes);
    printf("  \"check\": \"ok\",\n"); /* vmsim_replay() checked the engine's invariants */
    printf("  \"host\": {\"wall_time_s\": %.6f, \"accesses_per_sec\": %.0f, \"peak_rss_kib\": "
           "%ld}\n}\n",
           wall, rate, peak_rss_kib());
    return;
  }
  printf("vmsim replay: %s\n", path);
  printf("frames engine: %" PRIu64 " frames; policy %s\n", o->frames, policy);
  printf("ran %" PRIu64 " accesses (%" PRIu64 " misses, %.2f%%) of %u process(es), %" PRIu64
         " distinct pages\n\n",
         res->accesses, res->misses, 100.0 * ratio, res->nr_procs, res->distinct_pages);
  printf("  %-32s %15" PRIu64 "\n  %-32s %15" PRIu64 "\n  %-32s %15" PRIu64 "\n", "first touches",
         res->misses - res->major_faults, "refaults (major faults)", res->major_faults,
         "segv (outside the address space)", res->segv);
  /* Swap writes are fivelist's alone: the textbook models have no swap. */
  printf("  %-32s %15" PRIu64 "\n  %-32s %15" PRIu64 "\n  %-32s %15" PRIu64 "\n", "evictions",
         res->evictions, "evictions of dirty pages", res->dirty_evictions,
         "swap writes (pswpout)", res->swap_writes);
  printf("\ninvariant check: passed\n");
  printf("host: %.3f s, %.1f M accesses/s, peak %ld MiB\n", wall, rate / 1e6,
         peak_rss_kib() / 1024);
}

/* The policy a replay runs without --policy: the default machine's. */
static const char *default_policy(void) {
  static vmsim_config cfg;
  vmsim_config_default(&cfg);
  return cfg.policy;
}

static int cmd_replay(const char *path, const struct options *o) {
  char err[1024];
  vmsim_replay_options opt = {
    .path = path, .frames = o->frames, .policy = o->policy, .engine = o->engine};
  if (!o->trace_format)
    return usage_error("replay needs --trace-format");
  if (vmsim_trace_format_parse(o->trace_format, &opt.format))
    return usage_error("unknown trace format '%s' (expected: lackey, oracleGeneral, text)",
                       o->trace_format);
  if (o->output == OUT_CSV)
    return usage_error("replay prints text or json");
  if (o->engine == VMSIM_REPLAY_FRAMES && !o->frames)
    return usage_error("--engine frames needs --frames N");
  vmsim_run_options ro;
  run_options(&ro, o);
  opt.run = &ro;
  vmsim_replay_result res;
  vmsim_sim *sim;
  double t0 = now_seconds();
  int rc = vmsim_replay(&opt, &sim, &res, err, sizeof(err));
  double wall = now_seconds() - t0;
  progress_done(&ro);
  if (rc) {
    fprintf(stderr, "vmsim: %s\n", err);
    return exit_code(rc);
  }
  if (res.engine == VMSIM_REPLAY_FRAMES) {
    print_frames(path, o->policy ? o->policy : default_policy(), o, &res, wall);
    return fflush(stdout) == 0 ? 0 : EXIT_SIM;
  }
  struct report r = {.kind = "replay", .replay = &res, .source = path, .sim = sim,
                     .accesses = res.accesses, .misses = res.misses, .wall = wall};
  rc = report(&r, o->output);
  vmsim_sim_destroy(sim);
  return rc;
}

/* The commands an option belongs to, by its letter in longopts[]. */
enum { FOR_RUN = 1, FOR_REPLAY = 2, FOR_POLICIES = 4 };

static unsigned option_commands(int c) {
  switch (c) {
  case 's': case 't': return FOR_RUN;
  case 'f': case 'n': case 'e': return FOR_REPLAY;
  case 'p': case 'o': case 'c': return FOR_RUN | FOR_REPLAY;
  default: return FOR_RUN | FOR_REPLAY | FOR_POLICIES; /* --plugin, --help, --version */
  }
}

/* A command's bit (no command: run), or 0 for one that does not exist. */
static unsigned command_bit(const char *command) {
  if (!command || strcmp(command, "run") == 0)
    return FOR_RUN;
  if (strcmp(command, "replay") == 0)
    return FOR_REPLAY;
  return strcmp(command, "policies") == 0 ? FOR_POLICIES : 0;
}

static int cmd_policies(void) {
  for (size_t i = 0; vmsim_policy_at(i); i++) {
    const vmsim_policy_ops *ops = vmsim_policy_at(i);
    printf("%-12s %s\n", ops->name, ops->description ? ops->description : "");
  }
  return 0;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
    {"policy", required_argument, NULL, 'p'},
    {"seed", required_argument, NULL, 's'},
    {"output", required_argument, NULL, 'o'},
    {"timeline", required_argument, NULL, 't'},
    {"trace-format", required_argument, NULL, 'f'},
    {"frames", required_argument, NULL, 'n'},
    {"engine", required_argument, NULL, 'e'},
    {"plugin", required_argument, NULL, 'P'},
    {"check", required_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
  };
  struct options o = {.engine = VMSIM_REPLAY_AUTO};
  const char *plugins[64];
  int nr_plugins = 0;

  int c;
  opterr = 0;
  optind = 1;
  const char *command = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
  if (command)
    optind = 2;
  unsigned cmd = command_bit(command);
  const char *positional = NULL;
  while (optind < argc) {
    if (argv[optind][0] != '-' || argv[optind][1] == '\0') {
      if (positional)
        return usage_error("unexpected argument '%s'", argv[optind]);
      positional = argv[optind++];
      continue;
    }
    int li = -1;
    c = getopt_long(argc, argv, "+:", longopts, &li);
    if (c == -1)
      break;
    if (cmd && !(option_commands(c) & cmd))
      return usage_error("--%s is an option of %s", longopts[li].name,
                         option_commands(c) == FOR_RUN      ? "run"
                         : option_commands(c) == FOR_REPLAY ? "replay"
                                                            : "run and replay");
    switch (c) {
    case 'p':
      o.policy = optarg;
      break;
    case 's':
      if (!parse_u64(optarg, &o.seed))
        return usage_error("--seed: '%s' is not a non-negative integer", optarg);
      o.have_seed = true;
      break;
    case 'o': {
      static const char *const outputs[] = {[OUT_TEXT] = "text", [OUT_JSON] = "json",
                                            [OUT_CSV] = "csv"};
      int i = choice(optarg, outputs, ARRAY_LEN(outputs));
      if (i < 0)
        return usage_error("--output: '%s' (expected: text, json, csv)", optarg);
      o.output = (enum output)i;
      break;
    }
    case 't':
      o.timeline = optarg;
      break;
    case 'f':
      o.trace_format = optarg;
      break;
    case 'n':
      if (!parse_u64(optarg, &o.frames) || o.frames == 0)
        return usage_error("--frames: '%s' is not a positive integer", optarg);
      break;
    case 'e': {
      static const char *const engines[] = {[VMSIM_REPLAY_MACHINE] = "machine",
                                            [VMSIM_REPLAY_FRAMES] = "frames",
                                            [VMSIM_REPLAY_AUTO] = "auto"};
      int i = choice(optarg, engines, ARRAY_LEN(engines));
      if (i < 0)
        return usage_error("--engine: '%s' (expected: auto, machine, frames)", optarg);
      o.engine = (enum vmsim_replay_engine)i;
      break;
    }
    case 'c':
      if (!parse_u64(optarg, &o.check))
        return usage_error("--check: '%s' is not a non-negative integer", optarg);
      break;
    case 'P':
      if (nr_plugins == 64)
        return usage_error("too many --plugin options");
      plugins[nr_plugins++] = optarg;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    case 'V':
      printf("vmsim %s\n", vmsim_version_string());
      return 0;
    case ':':
      return usage_error("option '%s' needs an argument", argv[optind - 1]);
    default:
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  for (int i = 0; i < nr_plugins; i++)
    if (load_plugin(plugins[i]))
      return EXIT_USAGE;

  char err[1024];
  if (!command || strcmp(command, "run") == 0) {
    vmsim_scenario *scn;
    int rc;
    if (!command) {
      if (positional)
        return usage_error("unexpected argument '%s'", positional);
      rc = vmsim_scenario_default(&scn, err, sizeof(err));
    } else {
      if (!positional)
        return usage_error("run needs a scenario file");
      rc = vmsim_scenario_load(&scn, positional, err, sizeof(err));
    }
    if (rc) {
      fprintf(stderr, "%s\n", err);
      return exit_code(rc);
    }
    rc = cmd_run(scn, &o);
    vmsim_scenario_free(scn);
    return rc;
  }
  if (strcmp(command, "replay") == 0) {
    if (!positional)
      return usage_error("replay needs a trace file");
    return cmd_replay(positional, &o);
  }
  if (strcmp(command, "policies") == 0)
    return positional ? usage_error("unexpected argument '%s'", positional) : cmd_policies();
  return usage_error("unknown command '%s'", command);
}
