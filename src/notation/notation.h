/* notation.h — the einx notation front end: parse, normalise, expand ellipses, merge groups,
 * solve axis sizes. Private to the library.
 *
 * Pipeline (spec/einx-notation.md §2.2):
 *   einc__parse          text -> tree per operand (Op/Args moved to the top, carets kept)
 *   einc__expand         ellipsis repetition counts from ranks and constraints -> expanded trees
 *   einc__cse            merge parenthesised groups that always travel together (spec §2.4a)
 *   einc__solve          axis lengths from shapes and constraints (propagation to a fixpoint)
 * Every node keeps [begin, end) character positions into the expression text so that every error
 * can point at the offending characters with einx's caret line.
 */
#ifndef EINC_NOTATION_PRIVATE_H
#define EINC_NOTATION_PRIVATE_H

#include "../core/internal.h"

/* ---- arena: all front-end memory of one compilation, freed at once ------------------------ */

typedef struct einc__arena_chunk {
    struct einc__arena_chunk *next;
    size_t size, used;
} einc__arena_chunk;

typedef struct einc__arena {
    einc_ctx *ctx;
    einc__arena_chunk *head;
    bool failed; /* an allocation failed (EINC_ENOMEM recorded) */
} einc__arena;

void einc__arena_init(einc__arena *a, einc_ctx *ctx);
void *einc__arena_alloc(einc__arena *a, size_t size); /* zeroed; NULL on failure */
char *einc__arena_strdup(einc__arena *a, const char *s, size_t len);
void einc__arena_free(einc__arena *a);
/* The bytes the arena holds (its chunks with their headers): what einc__arena_free gives back. */
size_t einc__arena_bytes(const einc__arena *a);

/* Counts `k` steps of front-end work in the context (see einc_ctx.notation_steps). */
#define EINC__STEPS(ctx, k) ((ctx)->notation_steps += (uint64_t)(k))

/* ---- string table: names to small integers in expected O(1), memory from an arena ----------- */

typedef struct einc__strtab {
    einc__arena *a;
    int n, cap;        /* entries; slots (a power of two, kept at least twice n) */
    const char **keys; /* per slot, NULL when empty (keys are not copied)        */
    uint32_t *hash;
    int *val;
} einc__strtab;

void einc__strtab_init(einc__strtab *t, einc__arena *a);
/* The value stored for `key` (n bytes, no NUL needed), or -1. */
int einc__strtab_getn(const einc__strtab *t, const char *key, size_t n);
int einc__strtab_get(const einc__strtab *t, const char *key);
/* Stores key -> val unless key is present. Returns the value now stored for key (the old one if
 * it was present), or -2 when memory ran out. `key` must stay valid (NUL-terminated). */
int einc__strtab_put(einc__strtab *t, const char *key, int val);

/* ---- expression trees ---------------------------------------------------------------------- */

typedef enum einc__node_kind {
    EINC__N_LIST,     /* juxtaposition "a b c"                                           */
    EINC__N_AXIS,     /* named axis, or unnamed axis (value > 0 given as a number)        */
    EINC__N_FLAT,     /* flattened axis "(a b)": one dimension, row-major product         */
    EINC__N_CONCAT,   /* concatenated axis "(a + b)": one dimension, sum of pieces        */
    EINC__N_BRACKET,  /* "[...]": the elementary operation's axes                         */
    EINC__N_ELLIPSIS, /* "x...": x repeated; an anonymous "..." has an axis child ".."    */
    EINC__N_ARGS,     /* "x, y" (only during parsing)                                     */
    EINC__N_OP        /* "x -> y" (only during parsing)                                   */
} einc__node_kind;

typedef struct einc__node {
    einc__node_kind kind;
    int begin, end; /* character span in the expression text (begin == end: none) */
    int n;          /* children */
    struct einc__node **c;
    /* EINC__N_AXIS */
    const char *name; /* user name, "unnamed.K" for numbers, internal names contain '.' */
    int64_t value;    /* the number for unnamed axes, else -1                           */
    int sym;          /* symbol index after expansion (einc__expanded), else -1         */
    /* EINC__N_ELLIPSIS */
    int ellipsis_id;  /* distinct per ellipsis written in the text                      */
    unsigned scratch; /* per-pass flags of the algorithm walking the tree (cse.c)       */
    struct einc__node *parent;
} einc__node;

/* An operand list: inputs (and outputs when the expression has "->"). */
typedef struct einc__desc {
    const char *text; /* the expression exactly as passed */
    int ninputs, noutputs;
    bool has_arrow;
    einc__node **inputs, **outputs; /* each a LIST root */
} einc__desc;

/* Parses `text` (spec §1). Records EINC_ESYNTAX with einx's message and carets on failure. */
bool einc__parse(einc__arena *a, const char *text, einc__desc *out);

/* Deep copy of a tree (names shared). */
einc__node *einc__node_clone(einc__arena *a, const einc__node *n);
/* True if the node lies inside brackets (walks parents). */
bool einc__node_in_brackets(const einc__node *n);
/* Text of a tree in einx's canonical spelling ("b (h w) [c]"), appended to sb. */
struct einc__sb;
void einc__node_print(struct einc__sb *sb, const einc__node *n);

/* ---- string builder and error rendering ---------------------------------------------------- */

typedef struct einc__sb {
    char *buf;
    size_t cap, len; /* len < cap always; text truncated silently when full */
} einc__sb;

void einc__sb_init(einc__sb *sb, char *buf, size_t cap);
void einc__sb_printf(einc__sb *sb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void einc__sb_putn(einc__sb *sb, const char *s, size_t n);

/* Carets: a mask over the characters of the expression text. */
typedef struct einc__marks {
    int len;
    bool *on; /* len entries */
} einc__marks;

bool einc__marks_init(einc__arena *a, einc__marks *m, const char *text);
void einc__marks_range(einc__marks *m, int begin, int end);
/* Marks every occurrence of a literal ("->", ",", "...") in the text. */
void einc__marks_literal(einc__marks *m, const char *text, const char *literal);
/* Appends `Expression: "<text>"` and the caret line (13 spaces, then ^ per marked char). */
void einc__render_expression(einc__sb *sb, const char *text, const einc__marks *m);

/* ---- calling context for error messages (einx's "The operation was called with ...") ------- */

typedef struct einc__constraint {
    const char *name;
    int n;         /* number of values; 1 for a scalar                           */
    bool is_tuple; /* written as a tuple: "ds=2,2" / {"ds", 2, 2}; "b=()" has n=0 */
    int64_t values[EINC_MAX_DIMS];
} einc__constraint;

typedef struct einc__call {
    const char *text;
    int ntensors;
    const int *ndims;             /* per tensor                                     */
    const int64_t *const *shapes; /* per tensor                                     */
    int nconstraints;
    const einc__constraint *constraints;
} einc__call;

/* "1st", "2nd", ... for index i (0-based). Returns buf. */
const char *einc__ordinal(int i, char *buf, size_t size);

/* Appends the "The operation was called with the following arguments:" block. */
void einc__render_call(einc__sb *sb, const einc__call *call);

/* ---- after ellipsis expansion ---------------------------------------------------------------- */

/* One distinct axis of an expanded expression. */
typedef struct einc__sym {
    const char *name;        /* "a", "b.0", "unnamed.3", "cse.0"                               */
    int64_t fixed;           /* length written in the text (unnamed axes), else -1             */
    int64_t size;            /* solved length, -1 while unknown                                */
    bool in_brackets;        /* the axis is an argument of the elementary operation            */
    bool user_visible;       /* a name the user wrote (for "cannot determine" messages)        */
    const einc__node *first; /* an occurrence, for carets                                  */
    int cse_of;              /* for merged groups: index into the group table, else -1         */
} einc__sym;

typedef struct einc__expr {
    const einc__desc *desc;
    einc__arena *arena;
    const einc__call *call;
    int ninputs, noutputs;
    einc__node **in, **out; /* expanded roots: LIST nodes without ELLIPSIS nodes             */
    int nsyms, symcap;
    einc__sym *syms;
    int nconstraints; /* expanded constraints: sym = value                            */
    int *con_sym;
    int64_t *con_value;
} einc__expr;

/* Expands ellipses (spec §2.3). `ranks[i]` is the rank of input i (-1: unknown). Records
 * EINC_ERANK with einx's messages on failure. */
bool einc__expand(einc__arena *a, const einc__desc *d, const int *ranks, const einc__call *call, einc__expr *out);

/* Merges parenthesised groups that always travel together into one axis (spec §2.4a).
 * `in_brackets_ok`: groups may lie inside brackets (false for the solve functions). */
bool einc__cse(einc__expr *e, bool in_brackets_ok);
/* The same; `concat_ok` also merges groups holding concatenations, and a concatenation on its
 * own ("(a + b)"), as einx does for solve_shapes / matches / check (spec §2.4a (e)). */
bool einc__cse_with(einc__expr *e, bool in_brackets_ok, bool concat_ok);

/* Solves every axis length from the input shapes and constraints (spec §2.4). */
bool einc__solve(einc__expr *e);

/* The dimensions of a root: its items with top-level brackets unwrapped ("b [h w] c" has the four
 * dimensions b, h, w, c). Returns the count (at most `cap` are stored). */
int einc__root_dims(const einc__node *root, const einc__node **out, int cap);

/* Length of a (solved) node: product for lists and flattened axes, sum for concatenations. */
int64_t einc__node_size(const einc__expr *e, const einc__node *n);

/* What einc__notation_error lists after the expression. */
typedef enum {
    EINC__EQ_NONE, /* nothing                                                                   */
    EINC__EQ_RANK, /* "The following equation(s) were determined ...": written inputs = shapes  */
    EINC__EQ_AXES  /* "The expression, tensor shapes and contraints resulted in ...": expanded
                      inputs = shapes, then the constraints                                     */
} einc__eq_mode;

/* Records an error of `status` in einx's layout: the formatted message; when `m` is not NULL the
 * expression and its caret line (m may mark nothing); `tail` (may be NULL) on the next line; the
 * equations block chosen by `eq`; then the call's arguments. Returns false. */
bool einc__notation_error(const einc__expr *e, einc_status status, const einc__marks *m, const char *tail,
                          einc__eq_mode eq, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

#endif /* EINC_NOTATION_PRIVATE_H */
