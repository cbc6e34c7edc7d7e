/* SPDX-License-Identifier: MIT */
/*
 * The simulated MMU: translates one access of a CPU through its TLBs and, on
 * a miss, the page tables, setting the accessed and dirty bits as x86-64
 * hardware does. It handles no fault: it reports one, and the OS fault
 * handler fixes the PTE, flushes the stale translation and retries.
 *
 * The TLB hit is inline, without allocation or indirect call; the page walk
 * and fill are out of line (vmsim__mmu_walk).
 */
#ifndef VMSIM_HW_MMU_H
#define VMSIM_HW_MMU_H

#include "internal.h"
#include "pgtable.h"
#include "tlb.h"

enum vmsim_mmu_result {
  VMSIM_MMU_OK = 0,
  VMSIM_MMU_FAULT_NOT_PRESENT, /* no table, or a non-present PTE */
  VMSIM_MMU_FAULT_PROT,        /* a write to a read-only translation */
};

/*
 * The TLB-miss path of vmsim__mmu_translate: charges the STLB probe (if the
 * CPU has an STLB) and one walk_level per table read, then, if the PTE is
 * present and allows the access, sets ACCESSED (and DIRTY for a write) and
 * fills both TLB levels.
 */
NOINLINE int vmsim__mmu_walk(struct vmsim_cpu *cpu, struct vmsim_pgtable *pt, uint64_t tag,
                             uint64_t vaddr, bool is_write, vmsim_pfn_t *pfn,
                             vmsim_time_t *cost, const vmsim_cost_config *costs);

/*
 * How every translation starts: the L1 probe is charged, and the tag made.
 * False for an address beyond the user half, whose vpn would spill into the
 * tag's ASID bits: it faults as not present, without a lookup.
 */
static ALWAYS_INLINE bool vmsim__mmu_begin(uint32_t asid, uint64_t vaddr, vmsim_time_t *cost,
                                    const vmsim_cost_config *costs, uint64_t *tag) {
  *cost += costs->l1_tlb_hit;
  if (unlikely(vaddr >= VMSIM_VA_LIMIT))
    return false;
  *tag = vmsim__tlb_tag(asid, vaddr);
  return true;
}

/*
 * Translate an access by `cpu` to `vaddr` of address space `asid`, whose
 * page tables are `pt`. Adds its cost to *cost:
 *
 *   L1 hit:   l1_tlb_hit
 *   STLB hit: l1_tlb_hit + l2_tlb_hit
 *   miss:     l1_tlb_hit + l2_tlb_hit (0 without an STLB) + levels * walk_level
 *
 * An address at or above VMSIM_VA_LIMIT faults as not present, for the L1
 * cost, without a TLB lookup.
 *
 * Returns VMSIM_MMU_OK with the frame in *pfn, or a fault. A write through
 * a writable TLB entry that has not yet seen a write sets DIRTY in the PTE
 * through the entry's ptep, without a walk (so does x86 the first time a
 * TLB entry sees a write). A write through a read-only entry faults with no
 * change to the PTE and drops the entry, as x86 drops the faulting
 * address's TLB entries on a page fault (SDM vol. 3, 4.10.4.1): the retry
 * walks and sees the PTE as the fault handler left it.
 *
 * The TLB holds pointers into the page tables: whoever changes a PTE other
 * than by setting ACCESSED or DIRTY must flush its translation from the TLBs
 * that may hold it (vmsim__ptep_clear_flush, vmsim__flush_tlb_pte).
 *
 * Only a walk fills a TLB, and it sets ACCESSED; clearing ACCESSED flushes
 * (vmsim__ptep_test_and_clear_young). So a present PTE whose ACCESSED bit is
 * clear is in no TLB, and its flush has nothing to drop; vmsim_check()
 * verifies this for every cached translation.
 */
static ALWAYS_INLINE int vmsim__mmu_translate(struct vmsim_cpu *cpu, struct vmsim_pgtable *pt,
                                              uint32_t asid, uint64_t vaddr, bool is_write,
                                              vmsim_pfn_t *pfn, vmsim_time_t *cost,
                                              const vmsim_cost_config *costs) {
  uint64_t tag;
  if (unlikely(!vmsim__mmu_begin(asid, vaddr, cost, costs, &tag)))
    return VMSIM_MMU_FAULT_NOT_PRESENT;
  enum vmsim_tlb_hit hit;
  struct vmsim_tlb_entry *e = vmsim__tlb_lookup(&cpu->tlb, tag, &hit);
  if (unlikely(!e))
    return vmsim__mmu_walk(cpu, pt, tag, vaddr, is_write, pfn, cost, costs);
  *cost += hit == VMSIM_TLB_L2_HIT ? costs->l2_tlb_hit : 0;
  if (unlikely(is_write && !(e->writable & e->dirty))) {
    if (!e->writable) {
      vmsim__tlb_invalidate(&cpu->tlb, tag);
      return VMSIM_MMU_FAULT_PROT;
    }
    assert(vmsim_pte_present(*e->ptep)); /* else someone forgot a flush */
    *e->ptep |= VMSIM_PTE_DIRTY;
    e->dirty = 1;
  }
  *pfn = e->pfn;
  return VMSIM_MMU_OK;
}

/*
 * vmsim__mmu_translate for the retry of an access whose fault was just
 * handled. The fault left no entry for the address in this CPU's TLBs: the
 * hardware drops them when it raises the fault, the handler flushes what it
 * changes, and only a walk fills. So both probes would miss; the retry
 * counts and charges them as vmsim__mmu_translate does, without making
 * them, and walks.
 */
static inline int vmsim__mmu_translate_retry(struct vmsim_cpu *cpu, struct vmsim_pgtable *pt,
                                             uint32_t asid, uint64_t vaddr, bool is_write,
                                             vmsim_pfn_t *pfn, vmsim_time_t *cost,
                                             const vmsim_cost_config *costs) {
  uint64_t tag;
  if (unlikely(!vmsim__mmu_begin(asid, vaddr, cost, costs, &tag)))
    return VMSIM_MMU_FAULT_NOT_PRESENT;
  assert(!vmsim__tlb_holds(&cpu->tlb, tag));
  cpu->tlb.stats.misses++;
  return vmsim__mmu_walk(cpu, pt, tag, vaddr, is_write, pfn, cost, costs);
}

/*
 * Clear ACCESSED in the present PTE `ptep` of `vaddr`; if it was set, shoot
 * the page's translation down on the CPUs of `cpumask` so that the next
 * access walks and sets it again (the kernel's ptep_clear_flush_young).
 * Returns whether it was set. A non-present entry is left alone (false).
 */
bool vmsim__ptep_test_and_clear_young(struct vmsim_cpu *cpus, uint32_t nr_cpus,
                                      const uint64_t *cpumask, uint32_t initiator, uint32_t asid,
                                      uint64_t vaddr, vmsim_pte_t *ptep);

/*
 * flush_tlb_page() after the PTE of `vaddr` changed from `old`: when `old`
 * was present, the CPUs of `cpumask` get the IPI and count it; they search
 * their TLBs only if `old` was young (an old PTE is cached nowhere, see
 * vmsim__mmu_translate). A non-present `old` was cached nowhere either,
 * and needs no IPI (pte_accessible()).
 */
void vmsim__flush_tlb_pte(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                          uint32_t initiator, uint32_t asid, uint64_t vaddr, vmsim_pte_t old);

/*
 * Clear the PTE `ptep` of `vaddr` with vmsim__pte_set (which may free its
 * table: ptep is invalid afterwards) and flush it (vmsim__flush_tlb_pte).
 * Returns the old value (the kernel's ptep_clear_flush).
 */
vmsim_pte_t vmsim__ptep_clear_flush(struct vmsim_pgtable *pt, struct vmsim_cpu *cpus,
                                    uint32_t nr_cpus, const uint64_t *cpumask,
                                    uint32_t initiator, uint32_t asid, uint64_t vaddr,
                                    vmsim_pte_t *ptep);

#endif /* VMSIM_HW_MMU_H */
