/* SPDX-License-Identifier: MIT */
/*
 * Simulated files and their page cache (mm/filemap.c): a lookup by page
 * index, and a read from the backing store on a miss.
 */
#include "mm_types.h"

int vmsim_file_create(vmsim_sim *sim, uint64_t pages, uint32_t *file_id) {
  if (!sim || !file_id || pages == 0 || pages > VMSIM_MAX_FILE_PAGES)
    return VMSIM_EINVAL;
  if (sim->nr_files == sim->cap_files) {
    uint32_t cap = sim->cap_files ? sim->cap_files * 2 : 8;
    struct vmsim_file **files = vmsim__realloc(sim->files, cap * sizeof(*files));
    if (!files)
      return VMSIM_ENOMEM;
    if (sim->cap_files == 0)
      files[0] = NULL, sim->nr_files = 1; /* file id 0 means "no file" */
    sim->files = files;
    sim->cap_files = cap;
  }
  struct vmsim_file *f = vmsim__calloc(1, sizeof(*f));
  if (!f)
    return VMSIM_ENOMEM;
  f->cache = vmsim__calloc(pages, sizeof(*f->cache));
  f->disk = vmsim__malloc(pages * sizeof(*f->disk));
  if (!f->cache || !f->disk) {
    vmsim__free(f->cache);
    vmsim__free(f->disk);
    vmsim__free(f);
    return VMSIM_ENOMEM;
  }
  f->id = sim->nr_files;
  f->nr_pages = pages;
  for (uint64_t i = 0; i < pages; i++)
    f->disk[i] = file_token(f->id, i, 0);
  sim->files[sim->nr_files++] = f;
  *file_id = f->id;
  return 0;
}

struct vmsim_file *vmsim__file_get(const vmsim_sim *sim, uint32_t id) {
  return (id != 0 && id < sim->nr_files) ? sim->files[id] : NULL;
}

void vmsim__files_destroy(vmsim_sim *sim) {
  for (uint32_t id = 1; id < sim->nr_files; id++) {
    vmsim__free(sim->files[id]->cache);
    vmsim__free(sim->files[id]->disk);
    vmsim__free(sim->files[id]);
  }
  vmsim__free(sim->files);
  sim->files = NULL;
  sim->nr_files = sim->cap_files = 0;
}

/*
 * filemap_fault() / filemap_read() without readahead: find page `index` of
 * `file` in the page cache, or read it from the backing store into a new
 * frame (a major event: *major is set and the read latency charged).
 */
int vmsim__filemap_get_page(vmsim_sim *sim, uint32_t cpu, struct vmsim_mm *mm,
                            struct vmsim_file *file, uint64_t index, struct vmsim_page **out,
                            vmsim_time_t *cost, bool *major) {
  uint64_t e = file->cache[index];
  *major = false;
  if (cache_entry_is_page(e)) {
    *out = &sim->mem_map[cache_entry_pfn(e)];
    return 0;
  }
  struct vmsim_page *page = vmsim__alloc_user_page(sim, cpu, mm);
  if (!page)
    return vmsim__killed_or(mm, VMSIM_EOOM);
  page->mapping = file->id;
  page->index = index;
  page->token = file->disk[index];
  if (page->token >> 32 != file_token(file->id, index, 0) >> 32)
    sim->integrity_errors++; /* the backing store returned another page */
  file->cache[index] = (uint64_t)vmsim__page_to_pfn(sim, page) + 1;
  file->nr_cached++;
  sim->vmstat[VMSIM_VM_nr_file_pages]++;
  sim->vmstat[VMSIM_VM_pgpgin] += VMSIM_PAGE_SIZE >> 10; /* KiB, as /proc/vmstat */
  *cost += sim->cfg.cost.file_read;
  *major = true;
  if (mm)
    mm->misses++;
  if (e & VMSIM_SHADOW_BIT)
    vmsim__lru_refault(sim, page, e & ~VMSIM_SHADOW_BIT);
  vmsim__lru_add(sim, page);
  *out = page;
  return 0;
}
