/* SPDX-License-Identifier: MIT */
/*
 * The arrival-ordered list of fifo.c, shared with lru.c: exact LRU is FIFO
 * in which every access makes the page arrive again. Internal.
 */
#ifndef VMSIM_POLICIES_FIFO_H
#define VMSIM_POLICIES_FIFO_H

#include <vmsim/policy.h>

/* List 0 holds evictable pages, newest at the head; list 1 mlocked ones. */
enum { FIFO_LIST, FIFO_UNEVICTABLE, FIFO_NR_LISTS };

int vmsim__fifo_init(vmsim_lruvec *lruvec, void *state);
void vmsim__fifo_fini(vmsim_lruvec *lruvec, void *state);
void vmsim__fifo_page_add(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page);
void vmsim__fifo_page_del(vmsim_lruvec *lruvec, void *state, struct vmsim_page *page);
/* Evict from the tail (oldest end); see fifo.c. */
void vmsim__fifo_shrink(vmsim_lruvec *lruvec, void *state, vmsim_scan_control *sc);

#endif
