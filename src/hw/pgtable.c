/* SPDX-License-Identifier: MIT */
/*
 * The simulated 4-level page tables (see pgtable.h for the format).
 *
 * Invariant: for an upper table T at level l < 3 and child C = T->entry[i],
 * T->nr_used[i] is the number of non-zero entries of C. The count of a table
 * lives in its parent, so leaves are bare 4 KiB arrays; the PGD's own count
 * is not kept (it is never freed). A table with no non-zero entry exists
 * only between vmsim__pte_alloc and the vmsim__pte_set that fills it.
 */
#include "pgtable.h"

#define PGD_LEVEL 0
#define PMD_LEVEL 2
#define LEAF_LEVEL 3

/* The tables a descent went through: dir[l] is the table at level l, idx[l]
 * the entry taken in it. */
struct pt_path {
  struct vmsim_pgdir *dir[LEAF_LEVEL];
  unsigned idx[LEAF_LEVEL];
};

/* The size of one entry's reach at `level`: 512 GiB, 1 GiB, 2 MiB, 4 KiB. */
static inline uint64_t level_span(unsigned level) {
  return UINT64_C(1) << (VMSIM_PAGE_SHIFT + VMSIM_PT_INDEX_BITS * (LEAF_LEVEL - level));
}

/* The first address after the `level` entry that holds `vaddr`. */
static inline uint64_t level_next(uint64_t vaddr, unsigned level) {
  return (vaddr | (level_span(level) - 1)) + 1;
}

/* The count of non-zero entries of the child of path->dir[l] being used. */
static inline uint16_t *child_count(struct pt_path *p, unsigned l) {
  return &p->dir[l]->nr_used[p->idx[l]];
}

int vmsim__pgtable_init(struct vmsim_pgtable *pt) {
  pt->pgd = vmsim__calloc(1, sizeof(*pt->pgd));
  pt->pmd_gb = VMSIM_PMD_GB_NONE;
  if (!pt->pgd)
    return VMSIM_ENOMEM;
  pt->nr_tables = 1;
  return 0;
}

static void free_table(struct vmsim_pgdir *dir, unsigned level) {
  if (level < PMD_LEVEL) {
    for (unsigned i = 0; i < VMSIM_PT_ENTRIES; i++)
      if (dir->entry[i])
        free_table(dir->entry[i], level + 1);
  } else {
    for (unsigned i = 0; i < VMSIM_PT_ENTRIES; i++)
      vmsim__free(dir->entry[i]);
  }
  vmsim__free(dir);
}

void vmsim__pgtable_destroy(struct vmsim_pgtable *pt) {
  if (pt->pgd)
    free_table(pt->pgd, PGD_LEVEL);
  pt->pgd = NULL;
  pt->pmd_gb = VMSIM_PMD_GB_NONE;
  pt->nr_tables = 0;
}

/*
 * Descend towards `vaddr` through the upper tables, filling `p`. Returns
 * the number of upper tables read whose entry was present (3 when p->dir[]
 * and the leaf are all valid), so the leaf is p->dir[2]->entry[p->idx[2]]
 * when the result is 3.
 */
static unsigned descend(struct vmsim_pgtable *pt, uint64_t vaddr, struct pt_path *p) {
  void *t = pt->pgd;
  for (unsigned l = 0; l < LEAF_LEVEL; l++) {
    p->dir[l] = t;
    p->idx[l] = vmsim__pt_index(vaddr, l);
    t = p->dir[l]->entry[p->idx[l]];
    if (!t)
      return l;
  }
  return LEAF_LEVEL;
}

static inline vmsim_pte_t *path_leaf(const struct pt_path *p) {
  return p->dir[PMD_LEVEL]->entry[p->idx[PMD_LEVEL]];
}

/*
 * The child of p->dir[l] at p->idx[l] has no non-zero entry left: free it,
 * and go on upwards while that leaves its parent empty. The PGD stays.
 */
static void unlink_empty(struct vmsim_pgtable *pt, struct pt_path *p, unsigned l) {
  for (;; l--) {
    if (l < PMD_LEVEL) /* a PMD table, or a PUD table above one, goes */
      pt->pmd_gb = VMSIM_PMD_GB_NONE;
    vmsim__free(p->dir[l]->entry[p->idx[l]]);
    p->dir[l]->entry[p->idx[l]] = NULL;
    pt->nr_tables--;
    if (l == PGD_LEVEL || --*child_count(p, l - 1) != 0)
      return;
  }
}

vmsim_pte_t *vmsim__pte_alloc(struct vmsim_pgtable *pt, uint64_t vaddr) {
  if (unlikely(vaddr >= VMSIM_VA_LIMIT))
    return NULL;
  struct pt_path p;
  for (unsigned l = descend(pt, vaddr, &p); l < LEAF_LEVEL; l++) {
    void *t = l < PMD_LEVEL ? vmsim__calloc(1, sizeof(struct vmsim_pgdir))
                            : vmsim__calloc(VMSIM_PT_ENTRIES, sizeof(vmsim_pte_t));
    if (unlikely(!t)) {
      /* Undo this call's tables: p->dir[l] is empty iff we created it. */
      if (l > PGD_LEVEL && *child_count(&p, l - 1) == 0)
        unlink_empty(pt, &p, l - 1);
      return NULL;
    }
    p.dir[l]->entry[p.idx[l]] = t;
    pt->nr_tables++;
    if (l > PGD_LEVEL)
      ++*child_count(&p, l - 1);
    if (l < PMD_LEVEL) {
      p.dir[l + 1] = t;
      p.idx[l + 1] = vmsim__pt_index(vaddr, l + 1);
    }
  }
  return &path_leaf(&p)[vmsim__pt_index(vaddr, LEAF_LEVEL)];
}

void vmsim__pte_set(struct vmsim_pgtable *pt, uint64_t vaddr, vmsim_pte_t *ptep, vmsim_pte_t val) {
  vmsim_pte_t old = *ptep;
  *ptep = val;
  if (old != 0 && val != 0)
    return;

  struct pt_path p;
  unsigned found = descend(pt, vaddr, &p);
  assert(found == LEAF_LEVEL && ptep == &path_leaf(&p)[vmsim__pt_index(vaddr, LEAF_LEVEL)]);
  (void)found;
  uint16_t *count = child_count(&p, PMD_LEVEL);
  if (val != 0) {
    ++*count;
    return;
  }
  if (old != 0)
    --*count;
  if (*count == 0)
    unlink_empty(pt, &p, PMD_LEVEL);
}

int vmsim__pgtable_walk(struct vmsim_pgtable *pt, uint64_t start, uint64_t end,
                        int (*fn)(void *arg, uint64_t vaddr, vmsim_pte_t *ptep), void *arg) {
  uint64_t va = start & ~(VMSIM_PAGE_SIZE - 1);
  end = MIN(end, VMSIM_VA_LIMIT);
  while (va < end) {
    struct pt_path p;
    unsigned found = descend(pt, va, &p);
    if (found < LEAF_LEVEL) {
      va = level_next(va, found); /* skip the absent table's whole reach */
      continue;
    }
    /*
     * Scan one leaf from the root each time we enter it: fn may free the
     * leaf (and its ancestors) only when it clears the leaf's last entry,
     * which the count tells us beforehand; we then leave the leaf and
     * descend again from the PGD, which is never freed.
     */
    vmsim_pte_t *leaf = path_leaf(&p);
    uint16_t *count = child_count(&p, PMD_LEVEL);
    uint64_t leaf_end = MIN(end, level_next(va, PMD_LEVEL));
    for (; va < leaf_end; va += VMSIM_PAGE_SIZE) {
      vmsim_pte_t *ptep = &leaf[vmsim__pt_index(va, LEAF_LEVEL)];
      if (*ptep == 0)
        continue;
      bool last = *count == 1;
      int rc = fn(arg, va, ptep);
      if (rc)
        return rc;
      if (last) {
        va += VMSIM_PAGE_SIZE;
        break;
      }
    }
  }
  return 0;
}
