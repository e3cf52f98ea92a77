/* gather.h — the kernels of the indexing operations (einx get_at, set_at, add_at, subtract_at):
 * reading (gather) and writing (scatter) a tensor at coordinates held in integer tensors.
 *
 * Both kernels walk a LOOP space of nloop dimensions. At every loop point l, the coordinate
 * tensors give one coordinate per indexed axis of the indexed tensor t; with them
 *
 *   gather:   e[l] = t[l, coords(l)]
 *   scatter:  t[l, coords(l)] = e[l]   (set)   or   += e[l]   (add)   or   -= e[l]   (subtract)
 *
 * where t[l, ...] means: t's strides over the loop dimensions (0 where t does not have that
 * dimension) plus coordinate * stride for each indexed axis. Coordinates must have been checked
 * by the caller: every value v of the coordinates for an axis of length n satisfies -n <= v < n; a
 * negative v stands for v + n (Python's rule). The kernels never read outside the coordinates the
 * caller validated and never write outside t.
 */
#ifndef EINC_GATHER_H
#define EINC_GATHER_H

#include "kernels.h"

typedef enum { EINC__SCATTER_SET, EINC__SCATTER_ADD, EINC__SCATTER_SUB } einc__scatter_op;

/* One coordinate tensor: `ncomp` coordinates (for the indexed axes first_axis .. first_axis +
 * ncomp - 1) at every loop point, the j-th at data + (sum_d l[d] * strides[d] + j * comp_stride)
 * elements. */
typedef struct einc__k_coords {
    const char *data;
    einc_dtype dtype; /* EINC_INT32 or EINC_INT64 */
    int ncomp;
    int first_axis;
    int64_t comp_stride;
    int64_t strides[EINC_MAX_DIMS]; /* [nloop], elements; 0: the same coordinates along that dim */
} einc__k_coords;

/* The geometry of one gather or scatter (strides in elements). */
typedef struct einc__k_index {
    einc_dtype dtype; /* of t and e (they must match) */
    int nloop;
    int64_t shape[EINC_MAX_DIMS]; /* [nloop]                                                        */
    char *t;                      /* the indexed tensor                                             */
    int64_t t_strides[EINC_MAX_DIMS];
    int naxes; /* its indexed axes: lengths and strides                          */
    int64_t axis_len[EINC_MAX_DIMS];
    int64_t axis_stride[EINC_MAX_DIMS];
    char *e; /* the other side: gather's result, scatter's values              */
    int64_t e_strides[EINC_MAX_DIMS];
    int ncoords; /* the coordinates provide naxes values per loop point in total    */
    einc__k_coords coords[EINC_MAX_DIMS];
} einc__k_index;

/* e [loop] <- t [loop, indexed axes] at the coordinates. e must not be a broadcast view (a loop
 * dim with e stride 0 would be written repeatedly). Work is split by (ith, nth) over disjoint
 * parts of e; coordinate-independent loop dims become contiguous rows where strides allow. */
void einc__k_gather(const einc__k_index *g, int ith, int nth);
/* The oracle: one loop point at a time, in row-major order. */
void einc__k_gather_ref(const einc__k_index *g, int ith, int nth);

/* t [loop, indexed axes] <op>= e [loop] at the coordinates (e may be broadcast). Loop dims along
 * which t has stride 0 (several loop points may then reach one element of t) are visited in
 * row-major order, so for every element of t the updates arrive in row-major order of the loop:
 * `set` keeps the last one, `add`/`subtract` accumulate them in that order. Loop dims with a
 * nonzero t stride must reach distinct elements of t (t is a fresh tensor, not a broadcast view).
 * Work is split by (ith, nth) over those distinct elements only, so the result does not depend
 * on nth. add/subtract take float32, float64, int32 and int64; set any dtype. */
void einc__k_scatter(einc__scatter_op op, const einc__k_index *g, int ith, int nth);
/* The oracle: worker 0 does everything, one loop point at a time in row-major order. */
void einc__k_scatter_ref(einc__scatter_op op, const einc__k_index *g, int ith, int nth);

#endif /* EINC_GATHER_H */
