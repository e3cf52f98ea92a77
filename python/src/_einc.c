/* _einc.c — the CPython extension einc._einc: einx 0.4.3's top-level operations over NumPy arrays,
 * written on einc's public C API only (like tools/einc.c).
 *
 * One einc context serves the whole process, guarded by one lock (einc_ctx must not be used by
 * two threads at once). A call takes the lock without holding the GIL while it waits, so a
 * thread blocked on the lock never stalls the interpreter, and releases the GIL while a kernel
 * with enough work runs. Inputs are wrapped in place (einc_tensor_wrap, any strides; the array is
 * kept alive by the wrap's release callback); results are NumPy arrays over einc's buffers whose
 * base is a capsule that releases the einc tensor, so an einc view of an input stays a view.
 * A capsule freed while another thread holds the lock (or from inside a call) queues its tensor;
 * the next call releases the queue. An input array einc lets go of is queued too and dropped when
 * the outermost call is done with einc, so no Python code (a finalizer) ever runs inside einc;
 * only a vmap function does, on the thread that holds the lock, and it may call einc again.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "einc.h"

#define MAX_TENSORS 64
#define MAX_AXES 256
/* Below this many input elements a call keeps the GIL: releasing and taking it back costs more
 * than such a kernel takes (NumPy keeps it for small arrays too). */
#define GIL_RELEASE_ELEMENTS 16384

static einc_ctx *g_ctx;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g_pending_lock = PTHREAD_MUTEX_INITIALIZER;
static einc_tensor **g_pending;
static size_t g_npending, g_cap_pending;

static PyObject *err_classes[EINC_EUNSUPPORTED + 1];

/* ---- the lock and deferred releases ---------------------------------------------------------- */

static void drain_pending(void) {
    for (;;) {
        pthread_mutex_lock(&g_pending_lock);
        if (g_npending == 0) {
            pthread_mutex_unlock(&g_pending_lock);
            return;
        }
        einc_tensor *t = g_pending[--g_npending];
        pthread_mutex_unlock(&g_pending_lock);
        einc_tensor_release(t);
    }
}

/* The thread holding g_lock and how often it took it: a vmap function runs inside an einc call and
 * may call einc again on the same thread (einc allows that on the context it is given). */
static pthread_t g_owner;
static int g_depth;

/* Takes the context lock (GIL held on entry and on return, so g_owner/g_depth are read safely
 * by the thread that set them). */
static void ctx_lock(void) {
    if (g_depth > 0 && pthread_equal(g_owner, pthread_self())) {
        g_depth++;
        return;
    }
    if (pthread_mutex_trylock(&g_lock) != 0) {
        Py_BEGIN_ALLOW_THREADS pthread_mutex_lock(&g_lock);
        Py_END_ALLOW_THREADS
    }
    g_owner = pthread_self();
    g_depth = 1;
    if (g_npending) drain_pending();
}

/* Input arrays whose wraps einc released (pushed by input_release, always under g_lock):
 * dropped when the outermost holder gives the lock back, after einc is done, so no Python code
 * (a finalizer) runs inside einc; a finalizer that calls einc re-enters as the owner. */
static PyObject **g_decref;
static size_t g_ndecref, g_cap_decref;

static void ctx_unlock(void) {
    if (g_depth == 1) {
        while (g_ndecref) {
            PyObject *o = g_decref[--g_ndecref];
            Py_DECREF(o);
        }
    }
    if (--g_depth == 0) {
        /* the context belongs to the thread that calls it (EINC_EBUSY otherwise): hand it on with
         * the lock, so the next holder, on whichever thread, owns it */
        if (g_ctx) einc_ctx_detach(g_ctx);
        pthread_mutex_unlock(&g_lock);
    }
}

/* The base of every result array: releases its einc tensor. */
static void result_capsule_free(PyObject *capsule) {
    einc_tensor *t = (einc_tensor *)PyCapsule_GetPointer(capsule, "einc.tensor");
    if (!t) {
        PyErr_Clear();
        return;
    }
    if (pthread_mutex_trylock(&g_lock) == 0) {
        /* as owner: a finalizer that runs when the input array goes may call einc again */
        g_owner = pthread_self();
        g_depth = 1;
        einc_tensor_release(t);
        ctx_unlock();
        return;
    }
    pthread_mutex_lock(&g_pending_lock);
    if (g_npending == g_cap_pending) {
        size_t cap = g_cap_pending ? 2 * g_cap_pending : 64;
        einc_tensor **p = (einc_tensor **)realloc(g_pending, cap * sizeof *p);
        if (!p) { /* cannot queue it: leak one handle rather than race on the context */
            pthread_mutex_unlock(&g_pending_lock);
            return;
        }
        g_pending = p;
        g_cap_pending = cap;
    }
    g_pending[g_npending++] = t;
    pthread_mutex_unlock(&g_pending_lock);
}

/* Release callback of a wrapped input (einc calls it under g_lock): the array may go once einc
 * is done (see ctx_unlock). */
static void input_release(void *data, void *user) {
    (void)data;
    if (g_ndecref == g_cap_decref) {
        size_t cap = g_cap_decref ? 2 * g_cap_decref : 64;
        PyObject **p = (PyObject **)realloc(g_decref, cap * sizeof *p);
        if (!p) return; /* cannot queue it: keep the array alive rather than run Python code here */
        g_decref = p;
        g_cap_decref = cap;
    }
    g_decref[g_ndecref++] = (PyObject *)user;
}

/* ---- the context's allocator: small blocks cached ------------------------------------------- */

/* Each call allocates a few small blocks (the input wraps' handles and storage records, a small
 * result's handle, record and buffer) and frees them again soon; posix_memalign/free cost more
 * than the rest of such a call. Blocks of up to SMALL_MAX bytes are kept in free lists by
 * 64-byte size class (each 64-byte aligned, at most SMALL_KEEP per class); larger ones go to the
 * C library. A mutex guards the lists: einc may allocate from its worker threads. */
#define SMALL_ALIGN 64
#define SMALL_MAX 1024
#define SMALL_CLASSES (SMALL_MAX / SMALL_ALIGN)
#define SMALL_KEEP 256

typedef struct small_block {
    struct small_block *next;
} small_block;

static small_block *small_free[SMALL_CLASSES];
static int small_count[SMALL_CLASSES];
static pthread_mutex_t small_lock = PTHREAD_MUTEX_INITIALIZER;

static void *cached_alloc(void *user, size_t size, size_t align) {
    (void)user;
    if (size == 0) size = 1;
    if (size <= SMALL_MAX && align <= SMALL_ALIGN) {
        size_t c = (size - 1) / SMALL_ALIGN;
        pthread_mutex_lock(&small_lock);
        small_block *b = small_free[c];
        if (b) {
            small_free[c] = b->next;
            small_count[c]--;
        }
        pthread_mutex_unlock(&small_lock);
        if (b) return b;
        size = (c + 1) * SMALL_ALIGN;
        align = SMALL_ALIGN;
    }
    if (align < sizeof(void *)) align = sizeof(void *);
    void *p = NULL;
    return posix_memalign(&p, align, size) == 0 ? p : NULL;
}

static void cached_free(void *user, void *ptr, size_t size) {
    (void)user;
    if (!ptr) return;
    if (size == 0) size = 1;
    if (size <= SMALL_MAX) {
        size_t c = (size - 1) / SMALL_ALIGN;
        pthread_mutex_lock(&small_lock);
        if (small_count[c] < SMALL_KEEP) {
            small_block *b = (small_block *)ptr;
            b->next = small_free[c];
            small_free[c] = b;
            small_count[c]++;
            ptr = NULL;
        }
        pthread_mutex_unlock(&small_lock);
    }
    free(ptr);
}

static const einc_allocator cached_allocator = {cached_alloc, cached_free, NULL};

/* ---- errors ---------------------------------------------------------------------------------- */

/* Raises the context's recorded error as the matching einc.errors / builtin class and clears it. */
static PyObject *raise_ctx_error(void) {
    einc_status st = einc_errcode(g_ctx);
    PyObject *cls = (st > EINC_OK && st <= EINC_EUNSUPPORTED) ? err_classes[st] : NULL;
    if (!cls) cls = PyExc_RuntimeError;
    PyErr_SetString(cls, einc_errmsg(g_ctx));
    einc_clear_error(g_ctx);
    return NULL;
}

/* ---- arguments ------------------------------------------------------------------------------- */

typedef struct call_args {
    const char *fname;
    const char *expr;
    int ntensors;
    einc_tensor *tensors[MAX_TENSORS];
    PyObject *arrays[MAX_TENSORS]; /* the input arrays (owned; NULL for Python scalars) */
    bool py_int[MAX_TENSORS];      /* the tensor is a Python int (NumPy 2's weak integer) */
    bool py_big[MAX_TENSORS];      /* ... outside int64: a 0-d uint64 (2**63 .. 2**64-1) or float64 */
    int64_t elements;              /* total input elements                              */
    einc_axis axes[MAX_AXES];
    int naxes;
    /* the operations' own keywords */
    int graph;
    int keepdims;
    int keepdims_given;
    PyObject *shift, *op, *dtype, *vmap_fn;
} call_args;

static void call_args_release(call_args *a) {
    for (int i = 0; i < a->ntensors; i++) einc_tensor_release(a->tensors[i]);
    a->ntensors = 0;
}

static bool dtype_of_npy(int type, einc_dtype *out) {
    switch (type) {
    case NPY_FLOAT: *out = EINC_FLOAT32; return true;
    case NPY_DOUBLE: *out = EINC_FLOAT64; return true;
    case NPY_BOOL: *out = EINC_BOOL; return true;
    case NPY_INT: *out = sizeof(int) == 8 ? EINC_INT64 : EINC_INT32; return sizeof(int) == 4 || sizeof(int) == 8;
    case NPY_LONG: *out = sizeof(long) == 8 ? EINC_INT64 : EINC_INT32; return true;
    case NPY_LONGLONG: *out = EINC_INT64; return sizeof(long long) == 8;
    case NPY_HALF: *out = EINC_FLOAT16; return true;
    case NPY_UBYTE: *out = EINC_UINT8; return true;
    case NPY_BYTE: *out = EINC_INT8; return true;
    case NPY_SHORT: *out = EINC_INT16; return sizeof(short) == 2;
    case NPY_UINT: *out = EINC_UINT64; return sizeof(unsigned) == 8;
    case NPY_ULONG: *out = EINC_UINT64; return sizeof(unsigned long) == 8;
    case NPY_ULONGLONG: *out = EINC_UINT64; return sizeof(unsigned long long) == 8;
    /* NumPy has no bfloat16; ml_dtypes' is a user-defined type that einc does not take */
    default: return false;
    }
}

static int npy_of_dtype(einc_dtype d) {
    switch (d) {
    case EINC_FLOAT32: return NPY_FLOAT32;
    case EINC_FLOAT64: return NPY_FLOAT64;
    case EINC_INT64: return NPY_INT64;
    case EINC_INT32: return NPY_INT32;
    case EINC_BOOL: return NPY_BOOL;
    case EINC_FLOAT16: return NPY_FLOAT16;
    case EINC_UINT8: return NPY_UINT8;
    case EINC_INT8: return NPY_INT8;
    case EINC_INT16: return NPY_INT16;
    case EINC_UINT64: return NPY_UINT64;
    case EINC_BFLOAT16: break; /* NumPy has none; never a result here (dtype_of_npy takes no such input) */
    }
    return NPY_FLOAT32;
}

/* Python scalars become 0-d tensors of the dtype np.asarray gives them. */
static einc_tensor *scalar_tensor(PyObject *obj, bool *ok, bool *big) {
    *ok = true, *big = false;
    if (PyBool_Check(obj)) return einc_tensor_scalar(g_ctx, EINC_BOOL, obj == Py_True ? 1.0 : 0.0);
    if (PyFloat_CheckExact(obj)) return einc_tensor_scalar(g_ctx, EINC_FLOAT64, PyFloat_AS_DOUBLE(obj));
    if (PyLong_CheckExact(obj)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            *ok = false;
            return NULL;
        }
        if (overflow) { /* weak too (weak_ints): exact as uint64 up to 2**64 - 1, else as a double */
            *big = true;
            unsigned long long u = overflow > 0 ? PyLong_AsUnsignedLongLong(obj) : 0;
            if (overflow > 0 && !PyErr_Occurred()) {
                einc_tensor *t = einc_tensor_empty(g_ctx, EINC_UINT64, 0, NULL);
                if (t) *(uint64_t *)einc_tensor_data(t) = (uint64_t)u;
                return t;
            }
            PyErr_Clear();
            double d = PyLong_AsDouble(obj); /* beyond a double: NumPy's OverflowError as well */
            if (d == -1.0 && PyErr_Occurred()) {
                *ok = false;
                return NULL;
            }
            return einc_tensor_scalar(g_ctx, EINC_FLOAT64, d);
        }
        /* an einc 0-d tensor is set from a double: go through the buffer for exact int64 */
        einc_tensor *t = einc_tensor_empty(g_ctx, EINC_INT64, 0, NULL);
        if (t) *(int64_t *)einc_tensor_data(t) = (int64_t)v;
        return t;
    }
    *ok = false;
    return NULL;
}

/* Adds positional argument `obj` as a tensor. Returns false with a Python error set. */
static bool add_tensor(call_args *a, PyObject *obj) {
    if (a->ntensors == MAX_TENSORS) {
        PyErr_Format(PyExc_ValueError, "%s: at most %d tensors", a->fname, MAX_TENSORS);
        return false;
    }
    int pos = a->ntensors;
    if (!PyArray_Check(obj)) {
        bool ok, big;
        einc_tensor *t = scalar_tensor(obj, &ok, &big);
        if (!ok && PyErr_Occurred()) return false; /* an int too large even for a double */
        if (ok) {
            if (!t) return raise_ctx_error(), false;
            a->arrays[pos] = NULL;
            a->py_int[pos] = PyLong_CheckExact(obj);
            a->py_big[pos] = big;
            a->tensors[pos] = t;
            a->ntensors++;
            a->elements += 1;
            return true;
        }
    }
    PyArrayObject *arr;
    if (PyArray_Check(obj)) {
        Py_INCREF(obj);
        arr = (PyArrayObject *)obj;
    } else {
        if (PyUnicode_Check(obj) || PyBytes_Check(obj) || obj == Py_None || PyCallable_Check(obj)) {
            PyErr_Format(PyExc_TypeError,
                         "%s: positional argument #%d has type %s, expected a tensor (a numpy array, anything "
                         "numpy.asarray takes, or a Python scalar)",
                         a->fname, pos + 1, Py_TYPE(obj)->tp_name);
            return false;
        }
        arr = (PyArrayObject *)PyArray_FromAny(obj, NULL, 0, 0, 0, NULL);
        if (!arr) {
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_Format(PyExc_TypeError,
                         "%s: positional argument #%d has type %s, which numpy.asarray cannot convert to a tensor",
                         a->fname, pos + 1, Py_TYPE(obj)->tp_name);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
            return false;
        }
    }
    einc_dtype dt;
    if (!dtype_of_npy(PyArray_TYPE(arr), &dt)) {
        PyObject *name = PyObject_Str((PyObject *)PyArray_DESCR(arr));
        PyErr_Format(PyExc_TypeError,
                     "%s: positional argument #%d has dtype %s; einc supports float32, float64, float16, int64, "
                     "int32, int16, int8, uint64, uint8 and bool (convert with .astype)",
                     a->fname, pos + 1, name ? PyUnicode_AsUTF8(name) : "?");
        Py_XDECREF(name);
        Py_DECREF(arr);
        return false;
    }
    int nd = PyArray_NDIM(arr);
    if (nd > EINC_MAX_DIMS) {
        PyErr_Format(PyExc_ValueError, "%s: positional argument #%d has %d dimensions; einc supports at most %d",
                     a->fname, pos + 1, nd, EINC_MAX_DIMS);
        Py_DECREF(arr);
        return false;
    }
    npy_intp itemsize = PyArray_ITEMSIZE(arr);
    bool strides_ok = PyArray_ISALIGNED(arr) && PyArray_ISNOTSWAPPED(arr);
    for (int i = 0; i < nd && strides_ok; i++)
        if (PyArray_STRIDES(arr)[i] % itemsize != 0) strides_ok = false;
    if (!strides_ok) { /* misaligned, byte-swapped or odd strides: one native copy */
        PyArrayObject *c = (PyArrayObject *)PyArray_FromAny(
            (PyObject *)arr, PyArray_DescrFromType(npy_of_dtype(dt)), 0, 0,
            NPY_ARRAY_ALIGNED | NPY_ARRAY_NOTSWAPPED | NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ENSURECOPY, NULL);
        Py_DECREF(arr);
        if (!c) return false;
        arr = c;
    }
    int64_t shape[EINC_MAX_DIMS], strides[EINC_MAX_DIMS];
    int64_t numel = 1;
    for (int i = 0; i < nd; i++) {
        shape[i] = PyArray_DIMS(arr)[i];
        strides[i] = PyArray_STRIDES(arr)[i] / itemsize;
        numel *= shape[i];
    }
    void *data = PyArray_DATA(arr);
    static char empty_data[16];
    if (!data) data = empty_data;
    einc_tensor *t = einc_tensor_wrap(g_ctx, dt, nd, shape, strides, data, input_release, arr);
    if (!t) {
        Py_DECREF(arr);
        raise_ctx_error();
        return false;
    }
    /* the wrap's release callback owns one reference; keep one for this call */
    Py_INCREF(arr);
    a->arrays[pos] = (PyObject *)arr;
    a->py_int[pos] = a->py_big[pos] = false;
    a->tensors[pos] = t;
    a->ntensors++;
    a->elements += numel;
    return true;
}

/* One axis constraint: an integer, or a tuple/list/array of integers (one per ellipsis repetition). */
static bool add_constraint(call_args *a, const char *name, PyObject *value) {
    if (PyLong_Check(value) || (!PySequence_Check(value) && PyIndex_Check(value)) ||
        (PyArray_Check(value) && PyArray_NDIM((PyArrayObject *)value) == 0)) {
        PyObject *idx = PyNumber_Index(value);
        if (!idx) goto bad;
        long long v = PyLong_AsLongLong(idx);
        Py_DECREF(idx);
        if (v == -1 && PyErr_Occurred()) return false;
        if (a->naxes == MAX_AXES) goto many;
        a->axes[a->naxes++] = (einc_axis){name, (int64_t)v};
        return true;
    }
    if (PyTuple_Check(value) || PyList_Check(value) || PyArray_Check(value)) {
        PyObject *seq = PySequence_Fast(value, "constraint");
        if (!seq) return false;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        if (a->naxes + n + 1 > MAX_AXES) {
            Py_DECREF(seq);
            goto many;
        }
        a->axes[a->naxes++] = (einc_axis){name, EINC_TUPLE};
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *idx = PyNumber_Index(PySequence_Fast_GET_ITEM(seq, i));
            if (!idx) {
                Py_DECREF(seq);
                goto bad;
            }
            long long v = PyLong_AsLongLong(idx);
            Py_DECREF(idx);
            if (v == -1 && PyErr_Occurred()) {
                Py_DECREF(seq);
                return false;
            }
            a->axes[a->naxes++] = (einc_axis){name, (int64_t)v};
        }
        Py_DECREF(seq);
        return true;
    }
bad:
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError, "%s: the constraint %s=... must be an integer or a tuple of integers, not %s",
                 a->fname, name, Py_TYPE(value)->tp_name);
    return false;
many:
    PyErr_Format(PyExc_ValueError, "%s: too many axis constraints", a->fname);
    return false;
}

enum { KW_KEEPDIMS = 1, KW_SHIFT = 2, KW_OP = 4, KW_DTYPE = 8 };

/* Parses (description, *tensors, **keywords). `want_tensors`: convert positionals to tensors
 * (the solvers take shapes instead and do that themselves). */
static bool parse_call(call_args *a, const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                       unsigned kw_allowed, bool want_tensors) {
    a->fname = fname;
    a->ntensors = 0;
    a->naxes = 0;
    a->elements = 0;
    a->graph = 0;
    a->keepdims = 0;
    a->keepdims_given = 0;
    a->shift = a->op = a->dtype = a->vmap_fn = NULL;
    if (nargs < 1) {
        PyErr_Format(PyExc_TypeError, "%s() missing the required argument 'description'", fname);
        return false;
    }
    if (!PyUnicode_Check(args[0])) {
        PyErr_Format(PyExc_TypeError, "%s: description must be a str, not %s", fname, Py_TYPE(args[0])->tp_name);
        return false;
    }
    a->expr = PyUnicode_AsUTF8(args[0]);
    if (!a->expr) return false;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k), *value = args[nargs + k];
        const char *name = PyUnicode_AsUTF8(key);
        if (!name) return false;
        if (strcmp(name, "graph") == 0) {
            if ((a->graph = PyObject_IsTrue(value)) < 0) return false;
        } else if (strcmp(name, "backend") == 0) {
            if (value != Py_None && !(PyUnicode_Check(value) && strcmp(PyUnicode_AsUTF8(value), "numpy") == 0)) {
                PyErr_Format(err_classes[0], "%s: einc runs on NumPy arrays only; backend must be None or 'numpy'",
                             fname);
                return false;
            }
        } else if ((kw_allowed & KW_KEEPDIMS) && strcmp(name, "keepdims") == 0) {
            if (value != Py_None && (a->keepdims = PyObject_IsTrue(value)) < 0) return false;
            if (value != Py_None) a->keepdims_given = 1;
        } else if ((kw_allowed & KW_SHIFT) && strcmp(name, "shift") == 0) {
            a->shift = value;
        } else if ((kw_allowed & KW_OP) && strcmp(name, "op") == 0) {
            a->op = value;
        } else if ((kw_allowed & KW_DTYPE) && strcmp(name, "dtype") == 0) {
            a->dtype = value;
        } else if (!add_constraint(a, name, value)) {
            return false;
        }
    }
    if (want_tensors) {
        for (Py_ssize_t i = 1; i < nargs; i++) {
            if (!add_tensor(a, args[i])) return false;
        }
    }
    return true;
}

/* Number of output expressions: top-level commas after the top-level "->" (or 0.3's "|"), plus one. */
static int count_outputs(const char *expr) {
    int depth = 0;
    const char *p = expr, *arrow = NULL;
    for (; *p; p++) {
        if (*p == '(' || *p == '[') depth++;
        else if (*p == ')' || *p == ']') depth--;
        else if (depth == 0 && ((p[0] == '-' && p[1] == '>') || p[0] == '|')) arrow = p;
    }
    if (!arrow) return 1;
    int n = 1;
    depth = 0;
    for (p = arrow; *p; p++) {
        if (*p == '(' || *p == '[') depth++;
        else if (*p == ')' || *p == ']') depth--;
        else if (depth == 0 && *p == ',') n++;
    }
    return n;
}

/* ---- results --------------------------------------------------------------------------------- */

/* True if the result aliases a read-only input (then it is read-only too, as NumPy's views are). */
static bool aliases_readonly_input(const call_args *a, const einc_tensor *t) {
    for (int i = 0; i < a->ntensors; i++) {
        PyArrayObject *arr = (PyArrayObject *)a->arrays[i];
        if (!arr || PyArray_ISWRITEABLE(arr)) continue;
        const char *lo = (const char *)PyArray_DATA(arr), *hi = lo;
        for (int d = 0; d < PyArray_NDIM(arr); d++) {
            npy_intp ext = (PyArray_DIMS(arr)[d] - 1) * PyArray_STRIDES(arr)[d];
            if (ext < 0) lo += ext;
            else hi += ext;
        }
        hi += PyArray_ITEMSIZE(arr);
        const char *p = (const char *)einc_tensor_data(t);
        if (p >= lo && p < hi) return true;
    }
    return false;
}

/* A NumPy array over the tensor's memory; steals the caller's handle `t` (released on failure). */
static PyObject *array_from_tensor(const call_args *a, einc_tensor *t) {
    int nd = einc_tensor_ndim(t);
    npy_intp dims[EINC_MAX_DIMS], strides[EINC_MAX_DIMS];
    int npy = npy_of_dtype(einc_tensor_dtype(t));
    npy_intp itemsize = (npy_intp)einc_dtype_size(einc_tensor_dtype(t));
    const int64_t *shape = einc_tensor_shape(t), *st = einc_tensor_strides(t);
    bool broadcast = false;
    for (int i = 0; i < nd; i++) {
        dims[i] = (npy_intp)shape[i];
        strides[i] = (npy_intp)(st[i] * itemsize);
        if (st[i] == 0 && shape[i] > 1) broadcast = true;
    }
    int flags = (broadcast || (a && aliases_readonly_input(a, t))) ? 0 : NPY_ARRAY_WRITEABLE;
    /* inside a vmap function einc's scope releases what it created when the function returns:
     * the array takes a reference of its own */
    if (einc_scope_depth(g_ctx) > 0) einc_tensor_retain(t);
    PyObject *capsule = PyCapsule_New(t, "einc.tensor", result_capsule_free);
    if (!capsule) {
        einc_tensor_release(t);
        return NULL;
    }
    void *data = einc_tensor_data(t);
    PyObject *arr = PyArray_NewFromDescr(&PyArray_Type, PyArray_DescrFromType(npy), nd, dims, strides,
                                         data ? data : (void *)strides, flags, NULL);
    if (!arr) {
        Py_DECREF(capsule);
        return NULL;
    }
    if (PyArray_SetBaseObject((PyArrayObject *)arr, capsule) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

/* Wraps `n` result tensors (all owned) as one array or a tuple; releases them on failure. */
static PyObject *results_to_python(const call_args *a, int n, einc_tensor **out) {
    if (n == 1) return array_from_tensor(a, out[0]);
    PyObject *tuple = PyTuple_New(n);
    if (!tuple) {
        for (int i = 0; i < n; i++) einc_tensor_release(out[i]);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        PyObject *arr = array_from_tensor(a, out[i]);
        if (!arr) {
            for (int k = i + 1; k < n; k++) einc_tensor_release(out[k]);
            Py_DECREF(tuple);
            return NULL;
        }
        PyTuple_SET_ITEM(tuple, i, arr);
    }
    return tuple;
}

static void drop_arrays(call_args *a, int n) {
    for (int i = 0; i < n; i++) Py_XDECREF(a->arrays[i]);
}

/* ---- einx operations ------------------------------------------------------------------------- */

static bool parse_shift(call_args *a, einc_op_options *o) {
    if (!a->shift) return true; /* einc reports "roll requires shift" */
    if (PyTuple_Check(a->shift) || PyList_Check(a->shift)) {
        Py_ssize_t n = PySequence_Size(a->shift);
        if (n > EINC_MAX_DIMS) {
            PyErr_Format(PyExc_ValueError, "%s: at most %d shifts", a->fname, EINC_MAX_DIMS);
            return false;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *item = PySequence_GetItem(a->shift, i);
            if (!item) return false;
            PyObject *idx = PyNumber_Index(item);
            Py_DECREF(item);
            if (!idx) goto bad;
            o->shift[i] = PyLong_AsLongLong(idx);
            Py_DECREF(idx);
            if (o->shift[i] == -1 && PyErr_Occurred()) return false;
        }
        o->nshift = (int)n;
        if (n == 0) {
            PyErr_Format(PyExc_ValueError, "%s: shift must not be empty", a->fname);
            return false;
        }
        return true;
    }
    PyObject *idx = PyNumber_Index(a->shift);
    if (!idx) goto bad;
    o->shift[0] = PyLong_AsLongLong(idx);
    Py_DECREF(idx);
    if (o->shift[0] == -1 && PyErr_Occurred()) return false;
    o->nshift = 1;
    return true;
bad:
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError, "%s: shift must be an integer or a tuple of integers, not %s", a->fname,
                 Py_TYPE(a->shift)->tp_name);
    return false;
}

static PyObject *explain_text(call_args *a, einc_op op, const einc_op_options *options) {
    char small[4096];
    int64_t need = einc_explain(g_ctx, op, a->expr, a->ntensors, a->tensors, (einc_axes){a->naxes, a->axes}, options,
                                small, sizeof small);
    if (need < 0) return raise_ctx_error();
    if ((size_t)need < sizeof small) return PyUnicode_FromString(small);
    char *big = (char *)malloc((size_t)need + 1);
    if (!big) return PyErr_NoMemory();
    einc_explain(g_ctx, op, a->expr, a->ntensors, a->tensors, (einc_axes){a->naxes, a->axes}, options, big,
                 (size_t)need + 1);
    PyObject *s = PyUnicode_FromString(big);
    free(big);
    return s;
}

/* Runs the einc call for an already parsed call (lock held). */
static PyObject *run_apply(call_args *a, einc_op op, const einc_op_options *options) {
    if (a->graph) return explain_text(a, op, options);
    int nout = count_outputs(a->expr);
    if (nout > MAX_TENSORS) nout = MAX_TENSORS;
    einc_tensor *out[MAX_TENSORS];
    einc_status st;
    if (a->elements >= GIL_RELEASE_ELEMENTS) {
        Py_BEGIN_ALLOW_THREADS st =
            einc_apply(g_ctx, op, a->expr, a->ntensors, a->tensors, nout, out, (einc_axes){a->naxes, a->axes}, options);
        Py_END_ALLOW_THREADS
    } else {
        st =
            einc_apply(g_ctx, op, a->expr, a->ntensors, a->tensors, nout, out, (einc_axes){a->naxes, a->axes}, options);
    }
    if (st != EINC_OK) return raise_ctx_error();
    return results_to_python(a, nout, out);
}

static bool int_range(einc_dtype d, int64_t *lo, int64_t *hi) {
    switch (d) {
    case EINC_UINT8: *lo = 0, *hi = 255; return true;
    case EINC_INT8: *lo = -128, *hi = 127; return true;
    case EINC_INT16: *lo = -32768, *hi = 32767; return true;
    case EINC_INT32: *lo = INT32_MIN, *hi = INT32_MAX; return true;
    case EINC_UINT64: *lo = 0, *hi = INT64_MAX; return true; /* a Python int from 2**63 on is no int64 tensor */
    default: return false; /* int64 holds every Python int that became a tensor; bool and floats take any */
    }
}

/* NumPy 2's weak Python scalars (NEP 50). einc's C rules already let a 0-d operand of the array's kind
 * or a lower one take the array's dtype (a Python float stays float16 with a float16 array, a Python
 * int stays uint8 with a uint8 array), and a higher kind promote (uint8 + 1.0 is float64), as NumPy
 * 2 does. What is left is a Python int outside the arrays' integer dtype: NumPy 2 raises
 * OverflowError for arithmetic (`uint8 + 300`) and uses the true values in comparisons and
 * logical_and/or (`uint8 < 300` is true), where einc's C layer would wrap the scalar into the
 * dtype. So arithmetic raises NumPy's error, and a comparison computes in int64 (the arrays are cast: a
 * copy, only in this rare case). A Python int beyond int64 (a 0-d uint64 up to 2**64 - 1, else a float64:
 * scalar_tensor) is held only by uint64 arrays (from 2**63) and by floats; with other integers arithmetic
 * raises NumPy's OverflowError and a comparison computes in float64; with bool arrays both raise, as in
 * NumPy. `where` is left alone: np.where wraps such a scalar into the dtype, as einc does. Lock held. */
static bool weak_ints(call_args *a, einc_op op) {
    if (op < EINC_OP_ADD || op >= EINC_OP_WHERE) return true;
    einc_dtype d = EINC_BOOL;
    int nd = -1;
    for (int i = 0; i < a->ntensors; i++) {
        if (a->py_int[i]) continue;
        einc_dtype di = einc_tensor_dtype(a->tensors[i]);
        int ndi = einc_tensor_ndim(a->tensors[i]);
        d = nd < 0 ? di : einc_promote_types(d, nd, di, ndi);
        nd = nd > ndi ? nd : ndi;
    }
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    bool is_int = int_range(d, &lo, &hi) || d == EINC_INT64;
    if (nd < 0 || (!is_int && d != EINC_BOOL)) return true; /* floats take any Python int */
    for (int i = 0; i < a->ntensors; i++) {
        if (!a->py_int[i]) continue;
        bool in;
        if (!a->py_big[i]) {
            int64_t v = *(const int64_t *)einc_tensor_data(a->tensors[i]);
            in = d == EINC_BOOL || (v >= lo && v <= hi);
        } else /* beyond int64: only a uint64 array holds it, and only from 2**63 to 2**64 - 1 */
            in = d == EINC_UINT64 && einc_tensor_dtype(a->tensors[i]) == EINC_UINT64;
        if (in) continue;
        if (op < EINC_OP_LESS || d == EINC_BOOL) { /* arithmetic (comparisons and logical_and/or follow) */
            if (a->py_big[i]) PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to C long");
            else
                PyErr_Format(PyExc_OverflowError, "Python integer %lld out of bounds for %s",
                             (long long)*(const int64_t *)einc_tensor_data(a->tensors[i]), einc_dtype_name(d));
            return false;
        }
        /* compare the true values: in int64, or in float64 for uint64 arrays (the int is negative,
         * and float64 keeps every uint64 at or above zero) and for ints beyond int64. Such an int
         * lies beyond every value of the arrays, whose float64 images reach +-2**64 (2**63 - 1
         * rounds to 2**63): it becomes the next double past +-2**64, on the same side of all of
         * them, so that rounding cannot make a bound equal to it. */
        einc_dtype wide = d == EINC_UINT64 || a->py_big[i] ? EINC_FLOAT64 : EINC_INT64;
        if (a->py_big[i]) {
            double v = einc_tensor_item(a->tensors[i]);
            einc_tensor *past =
                einc_tensor_scalar(g_ctx, EINC_FLOAT64, v > 0 ? 0x1.0000000000001p64 : -0x1.0000000000001p64);
            if (!past) return raise_ctx_error(), false;
            einc_tensor_release(a->tensors[i]);
            a->tensors[i] = past;
        }
        for (int k = 0; k < a->ntensors; k++) {
            if (a->py_int[k] || einc_tensor_dtype(a->tensors[k]) == wide) continue;
            einc_tensor *c = einc_tensor_cast(g_ctx, a->tensors[k], wide);
            if (!c) return raise_ctx_error(), false;
            einc_tensor_release(a->tensors[k]);
            a->tensors[k] = c;
        }
        return true;
    }
    return true;
}

static unsigned op_keywords(einc_op op) {
    if (op >= EINC_OP_SUM && op <= EINC_OP_LOGSUMEXP) return KW_KEEPDIMS;
    if (op == EINC_OP_ROLL) return KW_SHIFT;
    return 0;
}

/* self is the operation's number (a Python int). */
static PyObject *py_op(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    einc_op op = (einc_op)PyLong_AsLong(self);
    call_args a;
    einc_op_options options;
    memset(&options, 0, sizeof options);
    ctx_lock();
    PyObject *result = NULL;
    if (!parse_call(&a, einc_op_name(op), args, nargs, kwnames, op_keywords(op), true)) goto done;
    options.keepdims = a.keepdims != 0;
    if (a.keepdims_given &&
        PyErr_WarnEx(PyExc_DeprecationWarning,
                     "The 'keepdims' argument in einx reduction operations is deprecated and will be removed in a "
                     "future version. Please use a flattened axis instead.\nFor example, instead of\n\n    "
                     "einx.{op}(\"a [b]\", x, keepdims=True)\n\nwrite\n\n    einx.{op}(\"a ([b])\", x).\n",
                     1) < 0)
        goto done;
    if (op == EINC_OP_ROLL && !parse_shift(&a, &options)) goto done;
    if (!weak_ints(&a, op)) goto done;
    result = run_apply(&a, op, &options);
done:;
    int n = a.ntensors;
    call_args_release(&a);
    ctx_unlock();
    drop_arrays(&a, n);
    return result;
}

/* ---- einx 0.3 functions: rearrange, reduce, elementwise, vmap_with_axis (named op), arange ----- */

static PyObject *py_rearrange(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    (void)self;
    if (PyErr_WarnEx(PyExc_DeprecationWarning,
                     "einx.rearrange is deprecated and will be removed in a future release. Please use einx.id "
                     "instead.",
                     1) < 0)
        return NULL;
    PyObject *op = PyLong_FromLong(EINC_OP_ID);
    PyObject *r = py_op(op, args, nargs, kwnames);
    Py_DECREF(op);
    return r;
}

static PyObject *run_apply03(call_args *a, const char *func, const char *opname) {
    if (strcmp(func, "elementwise") == 0 && einc_op_from_name(opname) >= 0 &&
        !weak_ints(a, (einc_op)einc_op_from_name(opname)))
        return NULL;
    einc_options03 o;
    memset(&o, 0, sizeof o);
    o.op = opname;
    o.keepdims = a->keepdims != 0;
    int nout = strcmp(func, "check") == 0 ? 0 : count_outputs(a->expr);
    einc_tensor *out[MAX_TENSORS];
    einc_status st;
    Py_BEGIN_ALLOW_THREADS st =
        einc_apply03(g_ctx, func, a->expr, a->ntensors, a->tensors, nout, out, (einc_axes){a->naxes, a->axes}, &o);
    Py_END_ALLOW_THREADS if (st != EINC_OK) return raise_ctx_error();
    if (nout == 0) Py_RETURN_NONE;
    return results_to_python(a, nout, out);
}

static PyObject *py_vmap_callable(call_args *a, bool with_axis);

/* reduce(description, tensor, op="sum", keepdims=False), elementwise(description, *tensors, op="add"),
 * vmap_with_axis(description, *tensors, op="softmax" or a function). */
static PyObject *py_named03(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    const char *func = PyUnicode_AsUTF8(self);
    call_args a;
    bool is_vwa = strcmp(func, "vmap_with_axis") == 0;
    ctx_lock();
    PyObject *result = NULL;
    if (!parse_call(&a, func, args, nargs, kwnames, KW_OP | KW_KEEPDIMS | (is_vwa ? KW_DTYPE : 0u), true)) goto done;
    if (!a.op) {
        PyErr_Format(PyExc_TypeError, "%s() missing the required keyword argument 'op'", func);
        goto done;
    }
    if (is_vwa && PyCallable_Check(a.op)) {
        a.vmap_fn = a.op;
        result = py_vmap_callable(&a, true);
    } else if (PyUnicode_Check(a.op)) {
        result = run_apply03(&a, func, PyUnicode_AsUTF8(a.op));
    } else {
        /* a NumPy function such as np.sum or np.add: einc's operation of that name */
        PyObject *name = PyObject_GetAttrString(a.op, "__name__");
        const char *n = name && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
        PyErr_Clear();
        if (n && einc_op_from_name(n) >= 0) result = run_apply03(&a, func, n);
        else
            PyErr_Format(PyExc_TypeError,
                         "%s: op must name an einc operation (a str such as \"sum\", or a NumPy function of "
                         "that name), not %R",
                         func, a.op);
        Py_XDECREF(name);
    }
done:;
    int n = a.ntensors;
    call_args_release(&a);
    ctx_unlock();
    drop_arrays(&a, n);
    return result;
}

static bool parse_dtype(PyObject *obj, einc_dtype *out, einc_dtype dflt) {
    if (!obj || obj == Py_None) return (*out = dflt), true;
    PyArray_Descr *d = NULL;
    if (!PyArray_DescrConverter(obj, &d)) return false;
    bool ok = dtype_of_npy(d->type_num, out);
    Py_DECREF(d);
    if (!ok)
        PyErr_SetString(
            PyExc_TypeError,
            "einc supports the dtypes float32, float64, float16, int64, int32, int16, int8, uint64, uint8 and bool");
    return ok;
}

static PyObject *py_arange(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    (void)self;
    call_args a;
    ctx_lock();
    PyObject *result = NULL;
    einc_dtype dt;
    if (!parse_call(&a, "arange", args, nargs, kwnames, KW_DTYPE, true)) goto done;
    if (a.ntensors) {
        PyErr_SetString(PyExc_TypeError, "arange takes only the description and keyword arguments");
        goto done;
    }
    if (!parse_dtype(a.dtype, &dt, EINC_INT32)) goto done;
    einc_tensor *t = einc_arange(g_ctx, a.expr, dt, (einc_axes){a.naxes, a.axes});
    result = t ? array_from_tensor(NULL, t) : raise_ctx_error();
done:;
    int n = a.ntensors;
    call_args_release(&a);
    ctx_unlock();
    drop_arrays(&a, n);
    return result;
}

/* ---- vmap with a Python function ------------------------------------------------------------ */

typedef struct vmap_user {
    PyObject *fn;
    bool with_axis;
} vmap_user;

/* A NumPy copy of an einc tensor (callback inputs are views valid only during the call). */
static PyObject *copy_to_numpy(einc_tensor *t) {
    int nd = einc_tensor_ndim(t);
    npy_intp dims[EINC_MAX_DIMS], strides[EINC_MAX_DIMS];
    npy_intp itemsize = (npy_intp)einc_dtype_size(einc_tensor_dtype(t));
    for (int i = 0; i < nd; i++) {
        dims[i] = (npy_intp)einc_tensor_shape(t)[i];
        strides[i] = (npy_intp)(einc_tensor_strides(t)[i] * itemsize);
    }
    void *data = einc_tensor_data(t);
    PyObject *view = PyArray_NewFromDescr(&PyArray_Type, PyArray_DescrFromType(npy_of_dtype(einc_tensor_dtype(t))), nd,
                                          dims, strides, data ? data : (void *)dims, 0, NULL);
    if (!view) return NULL;
    PyObject *copy = PyArray_NewCopy((PyArrayObject *)view, NPY_CORDER);
    Py_DECREF(view);
    return copy;
}

static einc_status vmap_callback(einc_ctx *ctx, const einc_vmap_args *args, void *user) {
    vmap_user *u = (vmap_user *)user;
    PyObject *pargs = PyTuple_New(args->ninputs);
    if (!pargs) return einc_set_error(ctx, EINC_ENOMEM, "vmap: out of memory");
    for (int i = 0; i < args->ninputs; i++) {
        PyObject *x = copy_to_numpy(args->inputs[i]);
        if (!x) {
            Py_DECREF(pargs);
            return einc_set_error(ctx, EINC_EVALUE, "vmap: the function raised an exception");
        }
        PyTuple_SET_ITEM(pargs, i, x);
    }
    PyObject *kw = NULL;
    if (u->with_axis) {
        PyObject *axis = PyTuple_New(args->naxes);
        for (int i = 0; axis && i < args->naxes; i++) PyTuple_SET_ITEM(axis, i, PyLong_FromLong(args->axes[i]));
        kw = axis ? Py_BuildValue("{s:N}", "axis", axis) : NULL;
    }
    PyObject *res = PyObject_Call(u->fn, pargs, kw);
    Py_DECREF(pargs);
    Py_XDECREF(kw);
    if (!res) return einc_set_error(ctx, EINC_EVALUE, "vmap: the function raised an exception");
    PyObject *items = args->noutputs == 1 && !PyTuple_Check(res) ? PyTuple_Pack(1, res) : PySequence_Tuple(res);
    Py_DECREF(res);
    if (!items) return einc_set_error(ctx, EINC_EVALUE, "vmap: the function raised an exception");
    if (PyTuple_GET_SIZE(items) != args->noutputs) {
        Py_DECREF(items);
        PyErr_Format(PyExc_ValueError, "vmap: the function returned %zd values, expected %d", PyTuple_GET_SIZE(items),
                     args->noutputs);
        return einc_set_error(ctx, EINC_EVALUE, "vmap: the function returned the wrong number of values");
    }
    for (int i = 0; i < args->noutputs; i++) {
        einc_tensor *o = args->outputs[i];
        int nd = einc_tensor_ndim(o);
        npy_intp dims[EINC_MAX_DIMS], strides[EINC_MAX_DIMS];
        npy_intp itemsize = (npy_intp)einc_dtype_size(einc_tensor_dtype(o));
        for (int d = 0; d < nd; d++) {
            dims[d] = (npy_intp)einc_tensor_shape(o)[d];
            strides[d] = (npy_intp)(einc_tensor_strides(o)[d] * itemsize);
        }
        void *data = einc_tensor_data(o);
        PyObject *view = PyArray_NewFromDescr(&PyArray_Type, PyArray_DescrFromType(npy_of_dtype(einc_tensor_dtype(o))),
                                              nd, dims, strides, data ? data : (void *)dims, NPY_ARRAY_WRITEABLE, NULL);
        PyObject *src = view ? PyArray_FromAny(PyTuple_GET_ITEM(items, i), NULL, 0, 0, 0, NULL) : NULL;
        int rc = -1;
        if (src) {
            if (PyArray_NDIM((PyArrayObject *)src) != nd ||
                !PyArray_CompareLists(PyArray_DIMS((PyArrayObject *)src), dims, nd))
                PyErr_Format(PyExc_ValueError,
                             "vmap: output #%d of the function has the wrong shape (%d dimensions, expected %d)", i + 1,
                             PyArray_NDIM((PyArrayObject *)src), nd);
            else rc = PyArray_CopyInto((PyArrayObject *)view, (PyArrayObject *)src);
        }
        Py_XDECREF(src);
        Py_XDECREF(view);
        if (rc < 0) {
            Py_DECREF(items);
            return einc_set_error(ctx, EINC_EVALUE, "vmap: the function's output could not be stored");
        }
    }
    Py_DECREF(items);
    return EINC_OK;
}

/* The function stays on this thread with the GIL held (it is Python). */
static PyObject *py_vmap_callable(call_args *a, bool with_axis) {
    einc_dtype dt = EINC_FLOAT32;
    if (a->dtype) {
        if (!parse_dtype(a->dtype, &dt, EINC_FLOAT32)) return NULL;
    } else if (a->ntensors) {
        /* NumPy's promotion of the inputs' dtypes */
        dt = einc_tensor_dtype(a->tensors[0]);
        for (int i = 1; i < a->ntensors; i++) {
            PyArray_Descr *x = PyArray_DescrFromType(npy_of_dtype(dt));
            PyArray_Descr *y = PyArray_DescrFromType(npy_of_dtype(einc_tensor_dtype(a->tensors[i])));
            PyArray_Descr *r = PyArray_PromoteTypes(x, y);
            Py_DECREF(x);
            Py_DECREF(y);
            if (!r) return NULL;
            dtype_of_npy(r->type_num, &dt);
            Py_DECREF(r);
        }
    }
    vmap_user u = {a->vmap_fn, with_axis};
    einc_vmap_op op = {vmap_callback, &u, with_axis ? EINC_VMAP_WITH_AXIS : 0u, dt};
    int nout = count_outputs(a->expr);
    einc_tensor *out[MAX_TENSORS];
    if (nout > MAX_TENSORS) nout = MAX_TENSORS;
    einc_status st = einc_vmap(g_ctx, a->expr, a->ntensors, a->tensors, nout, out, &op, (einc_axes){a->naxes, a->axes});
    if (st != EINC_OK) {
        if (PyErr_Occurred()) { /* the function's own exception */
            einc_clear_error(g_ctx);
            return NULL;
        }
        return raise_ctx_error();
    }
    return results_to_python(a, nout, out);
}

static PyObject *py_vmap(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    (void)self;
    call_args a;
    ctx_lock();
    PyObject *result = NULL;
    if (!parse_call(&a, "vmap", args, nargs, kwnames, KW_OP | KW_DTYPE, true)) goto done;
    if (!a.op || !PyCallable_Check(a.op)) {
        PyErr_SetString(PyExc_TypeError, "vmap() needs op=, a function of the bracketed parts of the tensors");
        goto done;
    }
    a.vmap_fn = a.op;
    result = py_vmap_callable(&a, false);
done:;
    int n = a.ntensors;
    call_args_release(&a);
    ctx_unlock();
    drop_arrays(&a, n);
    return result;
}

/* ---- solvers --------------------------------------------------------------------------------- */

/* A solver argument: a tensor (anything with .shape), a scalar (shape ()), or None / a function
 * (unknown shape), as einx's _get_shape. */
static bool shape_arg(const char *fname, int pos, PyObject *obj, einc_shape *s) {
    memset(s, 0, sizeof *s);
    if (obj == Py_None) return (s->ndim = -1), true;
    if (PyArray_Check(obj)) {
        PyArrayObject *arr = (PyArrayObject *)obj;
        if (PyArray_NDIM(arr) > EINC_MAX_DIMS) goto rank;
        s->ndim = PyArray_NDIM(arr);
        for (int i = 0; i < s->ndim; i++) s->dims[i] = PyArray_DIMS(arr)[i];
        return true;
    }
    if (PyObject_HasAttrString(obj, "shape")) {
        PyObject *shape = PyObject_GetAttrString(obj, "shape");
        PyObject *seq = shape ? PySequence_Fast(shape, "shape") : NULL;
        Py_XDECREF(shape);
        if (!seq) return false;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        if (n > EINC_MAX_DIMS) {
            Py_DECREF(seq);
            goto rank;
        }
        s->ndim = (int)n;
        for (Py_ssize_t i = 0; i < n; i++) {
            s->dims[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
            if (s->dims[i] == -1 && PyErr_Occurred()) {
                Py_DECREF(seq);
                return false;
            }
        }
        Py_DECREF(seq);
        return true;
    }
    if (PyBool_Check(obj) || PyLong_Check(obj) || PyFloat_Check(obj) || PyComplex_Check(obj))
        return (s->ndim = 0), true;
    if (PyCallable_Check(obj)) return (s->ndim = -1), true;
    PyErr_Format(PyExc_ValueError, "Found <class '%s'> which is not a valid tensor argument.", Py_TYPE(obj)->tp_name);
    return false;
rank:
    PyErr_Format(PyExc_ValueError, "%s: argument #%d has more than %d dimensions", fname, pos + 1, EINC_MAX_DIMS);
    return false;
}

enum { SOLVE_AXES, SOLVE_SHAPES, SOLVE_MATCHES, SOLVE_CHECK };

static PyObject *solve_common(int kind, const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    call_args a;
    einc_shape shapes[MAX_TENSORS];
    PyObject *result = NULL;
    if (kind == SOLVE_CHECK &&
        PyErr_WarnEx(PyExc_DeprecationWarning,
                     "einx.check is deprecated and will be removed in a future release. Please call einx.id "
                     "instead.",
                     1) < 0)
        return NULL;
    ctx_lock();
    if (!parse_call(&a, fname, args, nargs, kwnames, 0, false)) goto done;
    int n = (int)nargs - 1;
    if (n > MAX_TENSORS) {
        PyErr_Format(PyExc_ValueError, "%s: at most %d tensors", fname, MAX_TENSORS);
        goto done;
    }
    for (int i = 0; i < n; i++)
        if (!shape_arg(fname, i, args[i + 1], &shapes[i])) goto done;
    einc_axes axes = {a.naxes, a.axes};
    if (kind == SOLVE_MATCHES) {
        bool m = einc_matches(g_ctx, a.expr, n, shapes, axes);
        if (einc_errcode(g_ctx) != EINC_OK) einc_clear_error(g_ctx); /* einx: any failure is False */
        result = PyBool_FromLong(m);
    } else if (kind == SOLVE_CHECK) {
        result =
            einc_check(g_ctx, a.expr, n, shapes, axes) == EINC_OK ? (Py_INCREF(Py_None), Py_None) : raise_ctx_error();
    } else if (kind == SOLVE_SHAPES) {
        einc_shape out[MAX_TENSORS];
        if (einc_solve_shapes(g_ctx, a.expr, n, shapes, out, axes) != EINC_OK) {
            raise_ctx_error();
            goto done;
        }
        result = PyTuple_New(n);
        for (int i = 0; result && i < n; i++) {
            PyObject *t = PyTuple_New(out[i].ndim);
            if (!t) {
                Py_CLEAR(result);
                break;
            }
            for (int d = 0; d < out[i].ndim; d++) PyTuple_SET_ITEM(t, d, PyLong_FromLongLong(out[i].dims[d]));
            PyTuple_SET_ITEM(result, i, t);
        }
    } else {
        einc_solution *s = einc_solve_axes(g_ctx, a.expr, n, shapes, axes);
        if (!s) {
            raise_ctx_error();
            goto done;
        }
        result = PyDict_New();
        for (int i = 0; result && i < s->naxes; i++) {
            const einc_solved_axis *ax = &s->axes[i];
            PyObject *v;
            if (ax->ndim == 0) {
                v = PyLong_FromLongLong(ax->values[0]);
            } else { /* einx gives an int32 array shaped like the ellipses' repetitions */
                npy_intp dims[EINC_MAX_DIMS];
                for (int d = 0; d < ax->ndim; d++) dims[d] = (npy_intp)ax->shape[d];
                v = PyArray_SimpleNew(ax->ndim, dims, NPY_INT32);
                if (v) {
                    int32_t *p = (int32_t *)PyArray_DATA((PyArrayObject *)v);
                    for (int64_t k = 0; k < ax->nvalues; k++) p[k] = (int32_t)ax->values[k];
                }
            }
            if (!v || PyDict_SetItemString(result, ax->name, v) < 0) Py_CLEAR(result);
            Py_XDECREF(v);
        }
        einc_solution_free(s);
    }
done:
    ctx_unlock();
    return result;
}

#define SOLVER(fn, kind, name)                                                                                         \
    static PyObject *fn(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {                  \
        (void)self;                                                                                                    \
        return solve_common(kind, name, args, nargs, kwnames);                                                         \
    }
SOLVER(py_solve_axes, SOLVE_AXES, "solve_axes")
SOLVER(py_solve, SOLVE_AXES, "solve")
SOLVER(py_solve_shapes, SOLVE_SHAPES, "solve_shapes")
SOLVER(py_matches, SOLVE_MATCHES, "matches")
SOLVER(py_check, SOLVE_CHECK, "check")

/* ---- module ---------------------------------------------------------------------------------- */

static PyObject *py_version(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyUnicode_FromString(einc_version());
}

static PyObject *py_set_threads(PyObject *self, PyObject *arg) {
    (void)self;
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    ctx_lock();
    einc_set_threads(g_ctx, (int)n);
    ctx_unlock();
    Py_RETURN_NONE;
}

static PyObject *py_get_threads(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    ctx_lock();
    int n = einc_get_threads(g_ctx);
    ctx_unlock();
    return PyLong_FromLong(n);
}

static PyObject *py_live_tensors(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    einc_memory_stats s;
    ctx_lock();
    einc_memory_stats_get(g_ctx, &s);
    ctx_unlock();
    return PyLong_FromSize_t(s.live_tensors);
}

#define FAST (METH_FASTCALL | METH_KEYWORDS)
static PyMethodDef module_methods[] = {
    {"rearrange", (PyCFunction)(void (*)(void))py_rearrange, FAST, "einx 0.3's name of id (deprecated)."},
    {"vmap", (PyCFunction)(void (*)(void))py_vmap, FAST,
     "vmap(description, *tensors, op=function, dtype=None, **constraints): calls op on the bracketed parts."},
    {"arange", (PyCFunction)(void (*)(void))py_arange, FAST,
     "arange(description, dtype='int32', **constraints): einx 0.3's coordinate grid."},
    {"solve_axes", (PyCFunction)(void (*)(void))py_solve_axes, FAST, "The length of every axis (a dict)."},
    {"solve", (PyCFunction)(void (*)(void))py_solve, FAST, "Alias of solve_axes."},
    {"solve_shapes", (PyCFunction)(void (*)(void))py_solve_shapes, FAST, "The shape of every operand."},
    {"matches", (PyCFunction)(void (*)(void))py_matches, FAST, "True if the tensors match the description."},
    {"check", (PyCFunction)(void (*)(void))py_check, FAST, "einx 0.3's check (deprecated): raises on a mismatch."},
    {"version", py_version, METH_NOARGS, "The einc C library's version."},
    {"set_threads", py_set_threads, METH_O, "Threads einc's kernels may use (0: all)."},
    {"get_threads", py_get_threads, METH_NOARGS, "Threads einc's kernels may use."},
    {"_live_tensors", py_live_tensors, METH_NOARGS, "Number of einc tensor handles alive (for tests)."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef op_def = {"op", (PyCFunction)(void (*)(void))py_op, FAST, NULL};
static PyMethodDef named03_def = {"op03", (PyCFunction)(void (*)(void))py_named03, FAST, NULL};
static PyMethodDef op_defs[EINC_OP_COUNT_];
static PyMethodDef named03_defs[3];

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "einc._einc", "einc's C operations.", -1, module_methods, NULL, NULL, NULL, NULL};

static const char *op_doc = "einx's operation of the same name, on einc (see docs/python.md).";

PyMODINIT_FUNC PyInit__einc(void);
PyMODINIT_FUNC PyInit__einc(void) {
    import_array();
    PyObject *errors = PyImport_ImportModule("einc.errors");
    if (!errors) return NULL;
    static const struct {
        einc_status st;
        const char *name;
    } classes[] = {
        {EINC_ESYNTAX, "SyntaxError"},
        {EINC_ESEMANTIC, "SemanticError"},
        {EINC_ERANK, "RankError"},
        {EINC_EAXISSIZE, "AxisSizeError"},
        {EINC_EUNSUPPORTED, "OperationNotSupportedError"},
    };
    PyObject *base = PyObject_GetAttrString(errors, "BackendResolutionError");
    if (!base) return NULL;
    err_classes[0] = base; /* used for a backend other than numpy */
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        err_classes[classes[i].st] = PyObject_GetAttrString(errors, classes[i].name);
        if (!err_classes[classes[i].st]) return NULL;
    }
    Py_DECREF(errors);
    err_classes[EINC_EVALUE] = PyExc_ValueError;
    err_classes[EINC_EINVAL] = PyExc_ValueError;
    err_classes[EINC_ESHAPE] = PyExc_ValueError;
    err_classes[EINC_EDTYPE] = PyExc_TypeError;
    err_classes[EINC_EINDEX] = PyExc_IndexError;
    err_classes[EINC_EOVERFLOW] = PyExc_OverflowError;
    err_classes[EINC_ENOMEM] = PyExc_MemoryError;
    err_classes[EINC_EIO] = PyExc_OSError;
    err_classes[EINC_EFORMAT] = PyExc_ValueError;

    einc_ctx_options opts;
    memset(&opts, 0, sizeof opts);
    opts.allocator = &cached_allocator;
    g_ctx = einc_ctx_create_with(&opts);
    if (!g_ctx) return PyErr_NoMemory();
    einc_ctx_detach(g_ctx); /* owned by whichever thread holds g_lock (ctx_lock) */

    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    for (int op = 0; op < EINC_OP_COUNT_; op++) {
        if (op == EINC_OP_REARRANGE) continue; /* its own function: it warns as einx does */
        op_defs[op] = op_def;
        op_defs[op].ml_name = einc_op_name((einc_op)op);
        op_defs[op].ml_doc = op_doc;
        PyObject *self = PyLong_FromLong(op);
        PyObject *fn = self ? PyCFunction_NewEx(&op_defs[op], self, NULL) : NULL;
        Py_XDECREF(self);
        if (!fn || PyModule_AddObject(m, op_defs[op].ml_name, fn) < 0) {
            Py_XDECREF(fn);
            Py_DECREF(m);
            return NULL;
        }
    }
    static const char *const names03[3] = {"reduce", "elementwise", "vmap_with_axis"};
    for (int i = 0; i < 3; i++) {
        named03_defs[i] = named03_def;
        named03_defs[i].ml_name = names03[i];
        named03_defs[i].ml_doc = "einx 0.3's function of this name, with op= naming the operation";
        PyObject *self = PyUnicode_FromString(names03[i]);
        PyObject *fn = self ? PyCFunction_NewEx(&named03_defs[i], self, NULL) : NULL;
        Py_XDECREF(self);
        if (!fn || PyModule_AddObject(m, names03[i], fn) < 0) {
            Py_XDECREF(fn);
            Py_DECREF(m);
            return NULL;
        }
    }
    return m;
}
