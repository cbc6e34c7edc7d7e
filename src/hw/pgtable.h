/* SPDX-License-Identifier: MIT */
/*
 * Simulated page tables: an x86-64-like 4-level radix tree (PGD, PUD, PMD,
 * PTE table) translating 48-bit virtual addresses to 4 KiB frames. Only the
 * user half is modelled: virtual addresses are below 2^47.
 *
 * PTE format (one 64-bit word, as on x86-64):
 *
 *   present:  bit 0 PRESENT, 1 WRITE, 2 USER, 5 ACCESSED, 6 DIRTY,
 *             bits 12..51 the pfn.
 *   0:        pte_none, nothing mapped and nothing remembered.
 *   swap:     PRESENT clear, bit 1 SWP set, swap type (device) in bits 2..6,
 *             offset (slot) in bits 12..63.
 *   file:     PRESENT clear, bit 7 FILE set and nothing else: a file page
 *             that is not resident; the VMA says which page of which file.
 *
 * The bit tests on a present PTE (young, dirty, write) read raw bits: on a
 * non-present entry those bits belong to the swap encoding, so test
 * vmsim_pte_present() first.
 *
 * Host-memory layout: a leaf (PTE table) is exactly 512 vmsim_pte_t, one
 * 4 KiB host allocation with no header. An upper table (PGD, PUD, PMD) holds
 * 512 child pointers and, for each child, the number of its non-zero
 * entries, so that a table is known to be empty without scanning it. Tables
 * are allocated on demand and freed as soon as they become empty; the PGD
 * lives as long as the pgtable.
 */
#ifndef VMSIM_HW_PGTABLE_H
#define VMSIM_HW_PGTABLE_H

#include "internal.h"

typedef uint64_t vmsim_pte_t;

/* Bits of a present PTE. */
#define VMSIM_PTE_PRESENT (UINT64_C(1) << 0)
#define VMSIM_PTE_WRITE (UINT64_C(1) << 1)
#define VMSIM_PTE_USER (UINT64_C(1) << 2)
#define VMSIM_PTE_ACCESSED (UINT64_C(1) << 5)
#define VMSIM_PTE_DIRTY (UINT64_C(1) << 6)
#define VMSIM_PTE_PFN_SHIFT 12
#define VMSIM_PTE_PFN_MASK (((UINT64_C(1) << 40) - 1) << VMSIM_PTE_PFN_SHIFT)

/* Bits of a non-present PTE. */
#define VMSIM_PTE_SWP (UINT64_C(1) << 1)  /* a swap entry */
#define VMSIM_PTE_FILE (UINT64_C(1) << 7) /* a non-resident file page */
#define VMSIM_SWP_TYPE_SHIFT 2
#define VMSIM_SWP_TYPE_MASK UINT64_C(0x1f)
#define VMSIM_SWP_OFFSET_SHIFT 12
#define VMSIM_MAX_SWAPFILES 32  /* swap types 0..31 */
#define VMSIM_SWP_OFFSET_MAX ((UINT64_C(1) << (64 - VMSIM_SWP_OFFSET_SHIFT)) - 1)

/* Radix-tree geometry: 9 index bits per level, 4 levels, 48-bit VA. */
#define VMSIM_PT_LEVELS 4
#define VMSIM_PT_ENTRIES 512
#define VMSIM_PT_INDEX_BITS 9
/* First address the pgtable cannot map: the top of the user half. */
#define VMSIM_VA_LIMIT (UINT64_C(1) << 47)

/* A present PTE for `pfn` with VMSIM_PTE_* `flags` (PRESENT is added). */
static inline vmsim_pte_t vmsim_pte_mk(vmsim_pfn_t pfn, vmsim_pte_t flags) {
  return ((vmsim_pte_t)pfn << VMSIM_PTE_PFN_SHIFT) | flags | VMSIM_PTE_PRESENT;
}
static inline vmsim_pfn_t vmsim_pte_pfn(vmsim_pte_t pte) {
  return (vmsim_pfn_t)((pte & VMSIM_PTE_PFN_MASK) >> VMSIM_PTE_PFN_SHIFT);
}
static inline bool vmsim_pte_none(vmsim_pte_t pte) { return pte == 0; }
static inline bool vmsim_pte_present(vmsim_pte_t pte) { return pte & VMSIM_PTE_PRESENT; }
/* Raw bit tests, meaningful on a present PTE only (see above). */
static inline bool vmsim_pte_young(vmsim_pte_t pte) { return pte & VMSIM_PTE_ACCESSED; }
static inline bool vmsim_pte_dirty(vmsim_pte_t pte) { return pte & VMSIM_PTE_DIRTY; }
static inline bool vmsim_pte_write(vmsim_pte_t pte) { return pte & VMSIM_PTE_WRITE; }

static inline bool vmsim_pte_is_swap(vmsim_pte_t pte) {
  return (pte & (VMSIM_PTE_PRESENT | VMSIM_PTE_SWP)) == VMSIM_PTE_SWP;
}
static inline bool vmsim_pte_is_file(vmsim_pte_t pte) {
  return (pte & (VMSIM_PTE_PRESENT | VMSIM_PTE_SWP | VMSIM_PTE_FILE)) == VMSIM_PTE_FILE;
}
/* The "file page not resident" marker. */
static inline vmsim_pte_t vmsim_pte_mkfile(void) { return VMSIM_PTE_FILE; }

/* A swap entry for slot `offset` (< 2^52) of swap device `type` (< 32). */
static inline vmsim_pte_t vmsim_swp_entry(unsigned type, uint64_t offset) {
  assert(type < VMSIM_MAX_SWAPFILES && offset <= VMSIM_SWP_OFFSET_MAX);
  return (offset << VMSIM_SWP_OFFSET_SHIFT) |
         (((vmsim_pte_t)type & VMSIM_SWP_TYPE_MASK) << VMSIM_SWP_TYPE_SHIFT) | VMSIM_PTE_SWP;
}
static inline unsigned vmsim_swp_type(vmsim_pte_t pte) {
  return (unsigned)((pte >> VMSIM_SWP_TYPE_SHIFT) & VMSIM_SWP_TYPE_MASK);
}
static inline uint64_t vmsim_swp_offset(vmsim_pte_t pte) { return pte >> VMSIM_SWP_OFFSET_SHIFT; }

/* Modifiers of a present PTE: each returns the changed value. */
static inline vmsim_pte_t vmsim__pte_mkold(vmsim_pte_t pte) { return pte & ~VMSIM_PTE_ACCESSED; }
static inline vmsim_pte_t vmsim__pte_mkyoung(vmsim_pte_t pte) { return pte | VMSIM_PTE_ACCESSED; }
static inline vmsim_pte_t vmsim__pte_mkclean(vmsim_pte_t pte) { return pte & ~VMSIM_PTE_DIRTY; }
static inline vmsim_pte_t vmsim__pte_mkdirty(vmsim_pte_t pte) { return pte | VMSIM_PTE_DIRTY; }
static inline vmsim_pte_t vmsim__pte_wrprotect(vmsim_pte_t pte) { return pte & ~VMSIM_PTE_WRITE; }
static inline vmsim_pte_t vmsim__pte_mkwrite(vmsim_pte_t pte) { return pte | VMSIM_PTE_WRITE; }

/* Index of `vaddr` in a table of `level` (0 = PGD .. 3 = PTE table). */
static inline unsigned vmsim__pt_index(uint64_t vaddr, unsigned level) {
  unsigned shift = VMSIM_PAGE_SHIFT + VMSIM_PT_INDEX_BITS * (VMSIM_PT_LEVELS - 1 - level);
  return (unsigned)(vaddr >> shift) & (VMSIM_PT_ENTRIES - 1);
}

/*
 * An upper table. entry[i] is a child table (struct vmsim_pgdir for the PGD
 * and PUD, vmsim_pte_t[512] for the PMD) or NULL; nr_used[i] counts the
 * child's non-zero entries (non-NULL pointers, or non-zero PTEs).
 */
struct vmsim_pgdir {
  void *entry[VMSIM_PT_ENTRIES];
  uint16_t nr_used[VMSIM_PT_ENTRIES];
};

/*
 * One address space's page tables. The caller owns the struct.
 *
 * The PMD table of the last gigabyte a lookup went through is remembered
 * (pmd_gb, pmd), so that the next lookup in it reads two tables, not four:
 * a process's mappings are usually a few gigabytes at most, and each
 * fault walks the tables several times (the TLB miss, the fault, the
 * rmap walks of reclaim, the hints). The simulated walk still reads four
 * (*levels below). Freeing any upper table forgets it.
 */
#define VMSIM_PMD_GB_NONE UINT64_MAX
struct vmsim_pgtable {
  struct vmsim_pgdir *pgd;
  uint64_t pmd_gb;          /* vaddr >> VMSIM_PUD_SHIFT of pmd, or VMSIM_PMD_GB_NONE */
  struct vmsim_pgdir *pmd;  /* that gigabyte's PMD table */
  uint64_t nr_tables; /* page-table pages allocated, all levels, PGD included */
};
/* The reach of a PUD entry, hence of a PMD table: 1 GiB. */
#define VMSIM_PUD_SHIFT (VMSIM_PAGE_SHIFT + 2 * VMSIM_PT_INDEX_BITS)

/* Allocate the PGD. Errors: VMSIM_ENOMEM. */
int vmsim__pgtable_init(struct vmsim_pgtable *pt);
/* Free every table. Frames the PTEs point to are left alone. */
void vmsim__pgtable_destroy(struct vmsim_pgtable *pt);

/*
 * The PMD table of `vaddr`'s gigabyte, found from the PGD and remembered
 * (see struct vmsim_pgtable): vmsim__pte_lookup() when the remembered one
 * is another gigabyte's. NULL if a table on the way is absent or vaddr >=
 * VMSIM_VA_LIMIT, with *read set to the tables read (1 or 2; 0 out of
 * range).
 */
static inline struct vmsim_pgdir *vmsim__pmd_walk(struct vmsim_pgtable *pt, uint64_t vaddr,
                                                  unsigned *read) {
  _Static_assert(VMSIM_PT_LEVELS == 4, "PGD, PUD, PMD, leaf");
  if (unlikely(vaddr >= VMSIM_VA_LIMIT))
    return *read = 0, NULL;
  struct vmsim_pgdir *pud = pt->pgd->entry[vmsim__pt_index(vaddr, 0)];
  if (!pud)
    return *read = 1, NULL;
  struct vmsim_pgdir *pmd = pud->entry[vmsim__pt_index(vaddr, 1)];
  if (!pmd)
    return *read = 2, NULL;
  pt->pmd_gb = vaddr >> VMSIM_PUD_SHIFT;
  return pt->pmd = pmd;
}

/*
 * The PTE slot for `vaddr`, or NULL if a table on the way is absent or
 * vaddr >= VMSIM_VA_LIMIT. *levels (if not NULL) is set to the number of
 * tables the walk reads: 4 when the leaf was reached, 1..3 when it stopped
 * at an absent entry, 0 for an address out of range (the remembered PMD
 * table saves the host two reads, not the simulated walk).
 */
static inline vmsim_pte_t *vmsim__pte_lookup(struct vmsim_pgtable *pt, uint64_t vaddr,
                                             unsigned *levels) {
  /* Inline: the TLB-miss walk, the fault handler, the rmap walk and replay's
   * prefetch each do one per access. */
  const struct vmsim_pgdir *pmd = pt->pmd;
  unsigned read;
  if (unlikely(vaddr >> VMSIM_PUD_SHIFT != pt->pmd_gb) &&
      !(pmd = vmsim__pmd_walk(pt, vaddr, &read))) {
    if (levels)
      *levels = read;
    return NULL;
  }
  vmsim_pte_t *leaf = pmd->entry[vmsim__pt_index(vaddr, VMSIM_PT_LEVELS - 2)];
  if (levels)
    *levels = leaf ? VMSIM_PT_LEVELS : VMSIM_PT_LEVELS - 1;
  return leaf ? leaf + vmsim__pt_index(vaddr, VMSIM_PT_LEVELS - 1) : NULL;
}

/*
 * Like vmsim__pte_lookup, but creates the missing tables. NULL if
 * vaddr >= VMSIM_VA_LIMIT or on host allocation failure (then no table
 * created by this call is left behind). The slot is typically then written
 * with vmsim__pte_set; a table left empty is freed by writing 0 to it.
 */
vmsim_pte_t *vmsim__pte_alloc(struct vmsim_pgtable *pt, uint64_t vaddr);

/*
 * Write `val` to `ptep`, the slot of `vaddr`, keeping the counts of non-zero
 * entries. Writing 0 into a table that then has no non-zero entry frees it,
 * and every ancestor left empty (but never the PGD): `ptep` and any other
 * pointer into that table are then invalid.
 *
 * A write that changes a non-zero entry to another non-zero value changes
 * no count, so hot paths (the MMU's accessed/dirty bits, mkold, mkclean)
 * may store such values through ptep directly. Every other write must go
 * through this function.
 */
void vmsim__pte_set(struct vmsim_pgtable *pt, uint64_t vaddr, vmsim_pte_t *ptep, vmsim_pte_t val);

/*
 * Call fn(arg, vaddr, ptep) for each non-zero entry of a page overlapping
 * [start, end), in ascending address order; absent tables are skipped
 * without visiting their range. fn may write its own entry with
 * vmsim__pte_set (any value, 0 included, even if that frees the table) or
 * store non-zero values through ptep; it must not create tables or change
 * other entries' zero-ness. A non-zero return from fn stops the walk and is
 * returned; otherwise 0.
 */
int vmsim__pgtable_walk(struct vmsim_pgtable *pt, uint64_t start, uint64_t end,
                        int (*fn)(void *arg, uint64_t vaddr, vmsim_pte_t *ptep), void *arg);

#endif /* VMSIM_HW_PGTABLE_H */
