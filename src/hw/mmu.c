/* SPDX-License-Identifier: MIT */
/*
 * The MMU's slow path (the page walk on a TLB miss) and the PTE operations
 * that must flush TLBs. The fast path is inline in mmu.h.
 */
#include "mmu.h"

int vmsim__mmu_walk(struct vmsim_cpu *cpu, struct vmsim_pgtable *pt, uint64_t tag, uint64_t vaddr,
                    bool is_write, vmsim_pfn_t *pfn, vmsim_time_t *cost,
                    const vmsim_cost_config *costs) {
  unsigned levels;
  vmsim_pte_t *ptep = vmsim__pte_lookup(pt, vaddr, &levels);
  *cost += (cpu->tlb.l2.ways ? costs->l2_tlb_hit : 0) + levels * costs->walk_level;

  vmsim_pte_t pte = ptep ? *ptep : 0;
  if (!vmsim_pte_present(pte))
    return VMSIM_MMU_FAULT_NOT_PRESENT;
  if (is_write && !vmsim_pte_write(pte))
    return VMSIM_MMU_FAULT_PROT;

  /* Both values are present, hence non-zero: a plain store will do. */
  vmsim_pte_t young = pte | VMSIM_PTE_ACCESSED | (is_write ? VMSIM_PTE_DIRTY : 0);
  if (young != pte)
    *ptep = young;
  *pfn = vmsim_pte_pfn(young);
  /* Only a miss walks (vmsim__mmu_translate, and its retry, which asserts
   * it): the tag is in neither level. */
  vmsim__tlb_refill(&cpu->tlb, tag, ptep, *pfn, vmsim_pte_write(young), vmsim_pte_dirty(young));
  return VMSIM_MMU_OK;
}

bool vmsim__ptep_test_and_clear_young(struct vmsim_cpu *cpus, uint32_t nr_cpus,
                                      const uint64_t *cpumask, uint32_t initiator, uint32_t asid,
                                      uint64_t vaddr, vmsim_pte_t *ptep) {
  vmsim_pte_t pte = *ptep;
  if (!vmsim_pte_present(pte) || !vmsim_pte_young(pte))
    return false;
  *ptep = vmsim__pte_mkold(pte);
  vmsim__tlb_shootdown_page(cpus, nr_cpus, cpumask, initiator, asid, vaddr);
  return true;
}

vmsim_pte_t vmsim__ptep_clear_flush(struct vmsim_pgtable *pt, struct vmsim_cpu *cpus,
                                    uint32_t nr_cpus, const uint64_t *cpumask,
                                    uint32_t initiator, uint32_t asid, uint64_t vaddr,
                                    vmsim_pte_t *ptep) {
  vmsim_pte_t old = *ptep;
  vmsim__pte_set(pt, vaddr, ptep, 0);
  vmsim__flush_tlb_pte(cpus, nr_cpus, cpumask, initiator, asid, vaddr, old);
  return old;
}

void vmsim__flush_tlb_pte(struct vmsim_cpu *cpus, uint32_t nr_cpus, const uint64_t *cpumask,
                          uint32_t initiator, uint32_t asid, uint64_t vaddr, vmsim_pte_t old) {
  if (!vmsim_pte_present(old))
    return;
  if (vmsim_pte_young(old))
    vmsim__tlb_shootdown_page(cpus, nr_cpus, cpumask, initiator, asid, vaddr);
  else
    vmsim__tlb_shootdown_count(cpus, nr_cpus, cpumask, initiator);
}
