/* SPDX-License-Identifier: MIT */
/*
 * vmsim_check(): the invariant checker. A brute-force pass over the whole
 * machine that verifies what every other module promises, so tests (and
 * users chasing a bug in their policy) can run it after any step:
 *
 *  - every frame is free in exactly one buddy block, on exactly one LRU
 *    list, or allocated outside the reclaim domain; none is left isolated;
 *  - the free and LRU counters match the lists;
 *  - every present PTE maps a listed user page whose reverse map holds it,
 *    and mapcounts and rss counters equal the PTEs found; an anon page
 *    mapped more than once is write-protected everywhere (copy-on-write);
 *  - every swap PTE names a slot whose reference count equals the swap
 *    PTEs that name it; the swap and page caches point back and forth;
 *  - every TLB entry agrees with the PTE it caches;
 *  - the content tokens of all live data add up to the write ledger, and no
 *    integrity error was seen.
 *
 * Cost: O(frames + PTEs + swap slots + file pages + TLB entries), with
 * host memory for one byte and one counter per frame.
 */
#include "lru.h"
#include "swap.h"
#include "vmscan.h"

#include <stdio.h>

enum { F_NONE, F_FREE, F_LRU };

struct checker {
  vmsim_sim *sim;
  uint8_t *state;      /* per pfn: F_* */
  uint32_t *mapped;    /* per pfn: PTEs found mapping it */
  uint32_t **swapref;  /* per device, per slot: swap PTEs found */
  char *msg;
  size_t len;
  int err;
};

#define CHECK(c, cond, ...)                                                  \
  do {                                                                       \
    if (!(cond) && !(c)->err)                                                \
      (c)->err = vmsim__errf((c)->msg, (c)->len, VMSIM_ECORRUPT, __VA_ARGS__); \
  } while (0)

/* `pfn` is in `z` and heads a free block of `order` there. */
static bool free_block(vmsim_sim *sim, const struct vmsim_zone *z, uint64_t pfn, unsigned order) {
  return vmsim__zone_spans_pfn(z, pfn) && vmsim__page_is_buddy(sim, (vmsim_pfn_t)pfn, order);
}

/* Each pair map bit says whether exactly one block of its pair is free.
 * Checked last: a page wrongly marked free shows up first as what it is. */
static void check_buddy_pairs(struct checker *c) {
  for_each_zone(c->sim, z) {
    for (unsigned o = 0; z->spanned_pages && o < VMSIM_MAX_ORDER - 1 && !c->err; o++) {
      uint64_t pair = UINT64_C(2) << o, half = pair / 2, end = z->start_pfn + z->spanned_pages;
      for (uint64_t a = z->start_pfn & ~(pair - 1); a < end && !c->err; a += pair) {
        bool want = free_block(c->sim, z, a, o) != free_block(c->sim, z, a + half, o);
        CHECK(c, vmsim__buddy_pair_bit(z, (vmsim_pfn_t)a, o) == want,
              "buddy: the order-%u pair map says %s of pfns %" PRIu64 " and %" PRIu64 " is free",
              o, want ? "neither or both" : "one", a, a + half);
      }
    }
  }
}

static void check_buddy(struct checker *c) {
  vmsim_sim *sim = c->sim;
  uint64_t total = 0;
  for_each_zone(sim, z) {
    uint64_t nr = 0;
    for (unsigned o = 0; o < VMSIM_MAX_ORDER && !c->err; o++) {
      const vmsim_list *fl = &z->free_area[o].free_list;
      uint64_t n = 0;
      for (vmsim_pfn_t pfn = fl->head; pfn != VMSIM_PFN_NONE && n <= fl->nr;
           pfn = sim->mem_map[pfn].lru_next, n++) {
        uint64_t size = UINT64_C(1) << o;
        CHECK(c, vmsim__page_is_buddy(sim, pfn, o),
              "buddy: pfn %u on the order-%u free list is not a free order-%u block", pfn, o, o);
        CHECK(c, (pfn & (size - 1)) == 0 && pfn >= z->start_pfn &&
                     pfn + size <= z->start_pfn + z->spanned_pages,
              "buddy: block pfn %u order %u is misaligned or outside its zone", pfn, o);
        if (c->err)
          return;
        for (uint64_t i = 0; i < size; i++) {
          CHECK(c, c->state[pfn + i] == F_NONE, "buddy: pfn %" PRIu64 " is in two free blocks",
                pfn + i);
          CHECK(c, sim->mem_map[pfn + i].refcount == 0, "buddy: free pfn %" PRIu64 " has references",
                pfn + i);
          c->state[pfn + i] = F_FREE;
        }
        nr += size;
      }
      CHECK(c, n == fl->nr, "buddy: order-%u list of zone %s/%u counts %" PRIu64 " blocks, has %" PRIu64,
            o, vmsim__zone_name(z->type), z->node->id, fl->nr, n);
    }
    CHECK(c, nr == z->nr_free, "buddy: zone %s of node %u counts %" PRIu64 " free pages, lists hold %" PRIu64,
          vmsim__zone_name(z->type), z->node->id, z->nr_free, nr);
    total += nr;
  }
  CHECK(c, total == sim->vmstat[VMSIM_VM_nr_free_pages],
        "vmstat: nr_free_pages is %" PRIu64 ", the free lists hold %" PRIu64,
        sim->vmstat[VMSIM_VM_nr_free_pages], total);
}

static void check_lru(struct checker *c) {
  vmsim_sim *sim = c->sim;
  for (uint32_t nid = 0; nid < sim->nr_nodes && !c->err; nid++) {
    vmsim_lruvec *lv = sim->nodes[nid].lruvec;
    uint64_t size[2][VMSIM_LRU_KIND_UNEVICTABLE + 1] = {{0}};
    for (unsigned l = 0; l < lv->ops->nr_lists && !c->err; l++) {
      const vmsim_list *list = &lv->lists[l];
      uint64_t n = 0;
      vmsim_pfn_t prev = VMSIM_PFN_NONE;
      for (vmsim_pfn_t pfn = list->head; pfn != VMSIM_PFN_NONE && n <= list->nr;
           prev = pfn, pfn = sim->mem_map[pfn].lru_next, n++) {
        struct vmsim_page *p = &sim->mem_map[pfn];
        CHECK(c, p->lru_prev == prev, "lru: pfn %u on list '%s' has a broken back link", pfn,
              lv->ops->list_names[l]);
        CHECK(c, vmsim_page_test(p, VMSIM_PG_lru) && vmsim_page_lru(p) == l,
              "lru: pfn %u is on list '%s' but its page says otherwise", pfn,
              lv->ops->list_names[l]);
        CHECK(c, vmsim_page_test(p, VMSIM_PG_active) ==
                     (lv->ops->list_kinds[l] == VMSIM_LRU_KIND_ACTIVE),
              "lru: pfn %u on list '%s' has PG_active %s", pfn, lv->ops->list_names[l],
              vmsim_page_test(p, VMSIM_PG_active) ? "set" : "clear");
        CHECK(c, vmsim_page_nid(p) == nid, "lru: pfn %u of node %u is on node %u's lists", pfn,
              vmsim_page_nid(p), nid);
        CHECK(c, c->state[pfn] == F_NONE, "lru: pfn %u is free, or on two lists", pfn);
        if (c->err)
          return;
        c->state[pfn] = F_LRU;
        size[vmsim_page_test(p, VMSIM_PG_swapbacked)][lv->ops->list_kinds[l]]++;
      }
      CHECK(c, n == list->nr && list->tail == prev,
            "lru: list '%s' of node %u counts %" PRIu64 " pages, links hold %" PRIu64,
            lv->ops->list_names[l], nid, list->nr, n);
    }
    CHECK(c, memcmp(size, lv->size, sizeof(size)) == 0,
          "lru: node %u's list sizes by kind do not match its lists", nid);
  }
  CHECK(c, !sim->vmstat[VMSIM_VM_nr_isolated_anon] && !sim->vmstat[VMSIM_VM_nr_isolated_file],
        "lru: pages are left isolated outside reclaim");
}

/* An anon page mapped by several PTEs (shared since fork) is copy-on-write:
 * none of them may allow writes, or a write would reach the other mappers. */
static void check_cow_shared(struct checker *c, const struct vmsim_page *p) {
  vmsim_sim *sim = c->sim;
  for (uint32_t i = p->rmap; i && !c->err; i = sim->rmap[i].next) {
    vmsim_pte_t *ptep = vmsim__mm_pte(sim, sim->rmap[i].pid, sim->rmap[i].vaddr, NULL);
    CHECK(c, ptep && !vmsim_pte_write(*ptep),
          "cow: anon pfn %u is mapped by %d PTEs but pid %u may write it at %#" PRIx64,
          vmsim__page_to_pfn(sim, p), p->mapcount, sim->rmap[i].pid, sim->rmap[i].vaddr);
  }
}

/* Every frame has exactly one state, and user pages are listed. */
static void check_frames(struct checker *c) {
  vmsim_sim *sim = c->sim;
  uint64_t anon = 0, dirty = 0, mapped = 0, swapcached = 0;
  for (uint64_t pfn = 0; pfn < sim->nr_pages && !c->err; pfn++) {
    struct vmsim_page *p = &sim->mem_map[pfn];
    bool user = vmsim_page_test(p, VMSIM_PG_anon) || p->mapping;
    if (c->state[pfn] == F_FREE)
      continue;
    CHECK(c, !vmsim_page_test(p, VMSIM_PG_buddy),
          "buddy: pfn %" PRIu64 " is marked free (PG_buddy) but %s", pfn,
          c->state[pfn] == F_LRU ? "is on an LRU list" : "is in no free block");
    CHECK(c, !vmsim_page_test(p, VMSIM_PG_lru) || c->state[pfn] == F_LRU,
          "lru: pfn %" PRIu64 " has PG_lru but is on no list", pfn);
    CHECK(c, !vmsim_page_test(p, VMSIM_PG_isolated), "lru: pfn %" PRIu64 " is isolated", pfn);
    CHECK(c, !user || c->state[pfn] == F_LRU,
          "lru: user pfn %" PRIu64 " is in use but on no LRU list", pfn);
    CHECK(c, c->state[pfn] != F_NONE || p->refcount > 0,
          "pfn %" PRIu64 " is neither free, listed, nor allocated", pfn);
    CHECK(c, p->mapcount == (int32_t)c->mapped[pfn],
          "rmap: pfn %" PRIu64 " has mapcount %d but %u PTEs map it", pfn, p->mapcount,
          c->mapped[pfn]);
    uint32_t chain = 0;
    for (uint32_t i = p->rmap; i && chain <= c->mapped[pfn]; i = sim->rmap[i].next)
      chain++;
    if (!p->rmap && p->mapcount > 0 && vmsim_page_test(p, VMSIM_PG_anon))
      chain = 1; /* the implicit mapping (page->mapping, page->index) */
    CHECK(c, chain == c->mapped[pfn], "rmap: pfn %" PRIu64 " has %u reverse-map items for %u PTEs",
          pfn, chain, c->mapped[pfn]);
    if (vmsim_page_test(p, VMSIM_PG_anon) && c->mapped[pfn] > 1 && !c->err)
      check_cow_shared(c, p);
    anon += vmsim_page_test(p, VMSIM_PG_anon);
    dirty += vmsim_page_test(p, VMSIM_PG_dirty) && !vmsim_page_test(p, VMSIM_PG_anon) && user;
    mapped += p->mapcount > 0 && !vmsim_page_test(p, VMSIM_PG_anon);
    swapcached += vmsim_page_test(p, VMSIM_PG_swapcache);
    if (vmsim_page_test(p, VMSIM_PG_swapcache)) {
      struct vmsim_swap_device *d = vmsim__swap_dev(sim, p->swap);
      CHECK(c, d && d->slots[vmsim_swp_offset(p->swap)].cache == pfn + 1 &&
                   (d->slots[vmsim_swp_offset(p->swap)].map & SWAP_HAS_CACHE),
            "swap: pfn %" PRIu64 " is in the swap cache but its slot does not point back", pfn);
    }
  }
  const uint64_t *v = sim->vmstat;
  CHECK(c, v[VMSIM_VM_nr_anon_pages] == anon, "vmstat: nr_anon_pages %" PRIu64 ", found %" PRIu64,
        v[VMSIM_VM_nr_anon_pages], anon);
  CHECK(c, v[VMSIM_VM_nr_dirty] == dirty, "vmstat: nr_dirty %" PRIu64 ", found %" PRIu64,
        v[VMSIM_VM_nr_dirty], dirty);
  CHECK(c, v[VMSIM_VM_nr_mapped] == mapped, "vmstat: nr_mapped %" PRIu64 ", found %" PRIu64,
        v[VMSIM_VM_nr_mapped], mapped);
  CHECK(c, v[VMSIM_VM_nr_swapcached] == swapcached,
        "vmstat: nr_swapcached %" PRIu64 ", found %" PRIu64, v[VMSIM_VM_nr_swapcached], swapcached);
}

struct pte_walk {
  struct checker *c;
  struct vmsim_mm *mm;
  uint64_t rss[NR_MM_COUNTERS];
};

static int check_pte(void *arg, uint64_t vaddr, vmsim_pte_t *ptep) {
  struct pte_walk *w = arg;
  struct checker *c = w->c;
  vmsim_sim *sim = c->sim;
  vmsim_pte_t pte = *ptep;
  struct vmsim_vma *vma = vmsim__find_vma(w->mm, vaddr);

  CHECK(c, vma != NULL, "pte: pid %u maps %#" PRIx64 " outside every VMA", w->mm->pid, vaddr);
  if (vmsim_pte_present(pte)) {
    vmsim_pfn_t pfn = vmsim_pte_pfn(pte);
    CHECK(c, pfn < sim->nr_pages, "pte: pid %u %#" PRIx64 " maps pfn %u beyond memory",
          w->mm->pid, vaddr, pfn);
    if (c->err)
      return 1;
    struct vmsim_page *p = &sim->mem_map[pfn];
    CHECK(c, c->state[pfn] == F_LRU, "pte: pid %u %#" PRIx64 " maps pfn %u, which is not a listed page",
          w->mm->pid, vaddr, pfn);
    bool found = false;
    for (uint32_t i = p->rmap, n = 0; i && n < 1u << 30; i = sim->rmap[i].next, n++)
      found |= sim->rmap[i].pid == w->mm->pid && sim->rmap[i].vaddr == vaddr;
    if (!p->rmap && vmsim_page_test(p, VMSIM_PG_anon)) /* the implicit mapping */
      found = p->mapping == w->mm->pid && p->index == vaddr >> VMSIM_PAGE_SHIFT;
    CHECK(c, found, "rmap: pfn %u lacks the mapping of pid %u at %#" PRIx64, pfn, w->mm->pid,
          vaddr);
    c->mapped[pfn]++;
    w->rss[vmsim_page_test(p, VMSIM_PG_anon) ? MM_ANONPAGES : MM_FILEPAGES]++;
  } else if (vmsim_pte_is_swap(pte)) {
    struct vmsim_swap_device *d = vmsim__swap_dev(sim, pte);
    CHECK(c, d != NULL, "pte: pid %u %#" PRIx64 " holds an invalid swap entry", w->mm->pid, vaddr);
    if (c->err)
      return 1;
    c->swapref[d - sim->swapinfo->dev][vmsim_swp_offset(pte)]++;
    w->rss[MM_SWAPENTS]++;
  } else {
    CHECK(c, vmsim_pte_is_file(pte) && vma && !vma_is_anonymous(vma),
          "pte: pid %u %#" PRIx64 " holds a bad non-present entry %#" PRIx64, w->mm->pid, vaddr,
          pte);
  }
  return c->err != 0;
}

static void check_page_tables(struct checker *c) {
  vmsim_sim *sim = c->sim;
  for (uint32_t pid = 1; pid < sim->nr_mms && !c->err; pid++) {
    struct vmsim_mm *mm = sim->mms[pid];
    if (mm->state != VMSIM_PROC_RUNNING)
      continue;
    struct pte_walk w = {c, mm, {0}};
    vmsim__pgtable_walk(&mm->pgt, 0, VMSIM_TASK_SIZE, check_pte, &w);
    CHECK(c, memcmp(w.rss, mm->rss, sizeof(w.rss)) == 0,
          "rss: pid %u counts file/anon/swap %" PRIu64 "/%" PRIu64 "/%" PRIu64
          ", its PTEs hold %" PRIu64 "/%" PRIu64 "/%" PRIu64,
          pid, mm->rss[0], mm->rss[1], mm->rss[2], w.rss[0], w.rss[1], w.rss[2]);
  }
}

/* Slots: references equal the swap PTEs; the cache points at its page. */
static void check_swap(struct checker *c, uint64_t *live) {
  vmsim_sim *sim = c->sim;
  struct vmsim_swap_info *si = sim->swapinfo;
  uint64_t all_inuse = 0;
  for (uint32_t t = 0; si && t < si->nr && !c->err; t++) {
    struct vmsim_swap_device *d = &si->dev[t];
    uint64_t inuse = 0;
    for (uint64_t s = 0; s < d->pages && !c->err; s++) {
      uint16_t map = d->slots[s].map;
      uint64_t e = d->slots[s].cache;
      inuse += map != 0;
      CHECK(c, (map & SWAP_MAP_MAX) == c->swapref[t][s],
            "swap: slot %u:%" PRIu64 " counts %u references, %u swap PTEs name it", t, s,
            map & SWAP_MAP_MAX, c->swapref[t][s]);
      CHECK(c, !!(map & SWAP_HAS_CACHE) == cache_entry_is_page(e),
            "swap: slot %u:%" PRIu64 " and its swap-cache entry disagree", t, s);
      if (cache_entry_is_page(e)) {
        struct vmsim_page *p = &sim->mem_map[cache_entry_pfn(e)];
        CHECK(c, vmsim_page_test(p, VMSIM_PG_swapcache) && p->swap == vmsim_swp_entry(t, s),
              "swap: slot %u:%" PRIu64 " caches pfn %u, which is not its page", t, s,
              cache_entry_pfn(e));
      } else if (map) {
        *live += token_seq(d->slots[s].token); /* contents only on the device */
      }
    }
    CHECK(c, inuse == d->inuse, "swap: device %u counts %" PRIu64 " slots in use, %" PRIu64 " are", t,
          d->inuse, inuse);
    all_inuse += d->inuse;
  }
  if (si && !c->err)
    CHECK(c, all_inuse == si->inuse, "swap: %" PRIu64 " slots counted in use, the devices have %" PRIu64,
          si->inuse, all_inuse);
}

static void check_page_cache(struct checker *c, uint64_t *live) {
  vmsim_sim *sim = c->sim;
  uint64_t cached = 0;
  for (uint32_t id = 1; id < sim->nr_files && !c->err; id++) {
    struct vmsim_file *f = sim->files[id];
    uint64_t n = 0;
    for (uint64_t i = 0; i < f->nr_pages && !c->err; i++) {
      uint64_t e = f->cache[i];
      if (!cache_entry_is_page(e)) {
        *live += token_seq(f->disk[i]);
        continue;
      }
      struct vmsim_page *p = &sim->mem_map[cache_entry_pfn(e)];
      CHECK(c, !vmsim_page_test(p, VMSIM_PG_anon) && p->mapping == id && p->index == i,
            "page cache: file %u page %" PRIu64 " points at pfn %u, which is another page", id, i,
            cache_entry_pfn(e));
      CHECK(c, c->state[cache_entry_pfn(e)] == F_LRU,
            "page cache: file %u page %" PRIu64 " is not on an LRU list", id, i);
      *live += token_seq(p->token);
      n++;
    }
    CHECK(c, n == f->nr_cached, "page cache: file %u counts %" PRIu64 " pages, holds %" PRIu64, id,
          f->nr_cached, n);
    cached += n;
  }
  CHECK(c, cached == sim->vmstat[VMSIM_VM_nr_file_pages],
        "vmstat: nr_file_pages %" PRIu64 ", the page cache holds %" PRIu64,
        sim->vmstat[VMSIM_VM_nr_file_pages], cached);
}

static void check_tlb_level(struct checker *c, uint32_t cpu, const struct vmsim_tlb_level *lv) {
  vmsim_sim *sim = c->sim;
  for (uint64_t i = 0; lv->ways && i < (uint64_t)(lv->set_mask + 1) * lv->ways && !c->err; i++) {
    uint64_t tag = lv->tags[i];
    if (tag == VMSIM_TLB_TAG_INVALID)
      continue;
    const struct vmsim_tlb_entry *e = &lv->ents[i];
    uint32_t asid = (uint32_t)(tag >> VMSIM_TLB_ASID_SHIFT);
    uint64_t vaddr = (tag & ((UINT64_C(1) << VMSIM_TLB_ASID_SHIFT) - 1)) << VMSIM_PAGE_SHIFT;
    vmsim_pte_t *ptep = vmsim__mm_pte(sim, asid, vaddr, NULL);
    vmsim_pte_t pte = ptep ? *ptep : 0;
    CHECK(c, ptep == e->ptep && vmsim_pte_present(pte) && vmsim_pte_pfn(pte) == e->pfn &&
                 (!e->writable || vmsim_pte_write(pte)) && (!e->dirty || vmsim_pte_dirty(pte)),
          "tlb: cpu %u caches pid %u %#" PRIx64 " -> pfn %u, which its PTE no longer says", cpu,
          asid, vaddr, e->pfn);
    /* What lets a flush skip the TLBs of an old PTE (hw/mmu.h). */
    CHECK(c, vmsim_pte_young(pte),
          "tlb: cpu %u caches pid %u %#" PRIx64 ", whose PTE is old (accessed cleared "
          "without a flush)", cpu, asid, vaddr);
  }
}

/* Sum of the write counts of all anon pages in memory. */
static uint64_t anon_tokens(vmsim_sim *sim, const uint8_t *state) {
  uint64_t live = 0;
  for (uint64_t pfn = 0; pfn < sim->nr_pages; pfn++)
    if (state[pfn] == F_LRU && vmsim_page_test(&sim->mem_map[pfn], VMSIM_PG_anon))
      live += token_seq(sim->mem_map[pfn].token);
  return live;
}

int vmsim_check(vmsim_sim *sim, char *msg, size_t len) {
  if (!sim)
    return VMSIM_EINVAL;
  struct checker c = {sim, NULL, NULL, NULL, msg, len, 0};
  struct vmsim_swap_info *si = sim->swapinfo;
  c.state = vmsim__calloc(sim->nr_pages, 1);
  c.mapped = vmsim__calloc(sim->nr_pages, sizeof(*c.mapped));
  c.swapref = vmsim__calloc(VMSIM_MAX_SWAP_DEVICES, sizeof(*c.swapref));
  bool ok = c.state && c.mapped && c.swapref;
  for (uint32_t t = 0; ok && si && t < si->nr; t++)
    ok = (c.swapref[t] = vmsim__calloc(si->dev[t].pages, sizeof(uint32_t))) != NULL;
  if (!ok) {
    c.err = vmsim__errf(msg, len, VMSIM_ENOMEM, "check: out of host memory");
    goto out;
  }

  uint64_t live = 0;
  check_buddy(&c);
  check_lru(&c);
  check_page_tables(&c);
  check_frames(&c);
  check_swap(&c, &live);
  check_page_cache(&c, &live);
  check_buddy_pairs(&c);
  CHECK(&c, !sim->kswapd || sim->kswapd_due <= vmsim__kswapd_due(sim),
        "kswapd: hand-offs are skipped until %" PRIu64 " ns, but a kswapd has work from %" PRIu64
        " ns",
        sim->kswapd_due, vmsim__kswapd_due(sim));
  for (uint32_t cpu = 0; cpu < sim->nr_cpus && !c.err; cpu++) {
    check_tlb_level(&c, cpu, &sim->cpus[cpu].tlb.l1);
    check_tlb_level(&c, cpu, &sim->cpus[cpu].tlb.l2);
  }
  if (!c.err)
    live += anon_tokens(sim, c.state);
  CHECK(&c, live == sim->token_ledger,
        "integrity: live contents carry %" PRIu64 " writes, the ledger %" PRIu64
        " (data was lost or duplicated)",
        live, sim->token_ledger);
  CHECK(&c, sim->integrity_errors == 0, "integrity: %" PRIu64 " errors seen while simulating",
        sim->integrity_errors);
out:
  for (uint32_t t = 0; c.swapref && t < VMSIM_MAX_SWAP_DEVICES; t++)
    vmsim__free(c.swapref[t]);
  vmsim__free(c.swapref);
  vmsim__free(c.mapped);
  vmsim__free(c.state);
  return c.err;
}

uint64_t vmsim_integrity_errors(const vmsim_sim *sim) { return sim->integrity_errors; }
