/* SPDX-License-Identifier: BSD-3-Clause */
/* The probe's own rings between lcores, with drops and a high-water mark. */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "dpp_rings.h"

struct dpp_ring *dpp_ring_create(const char *name, uint32_t count, uint32_t esize, int socket_id)
{
	struct dpp_ring *ring;

	if (name == NULL || strlen(name) >= DPP_RING_NAMESIZE || count == 0 || esize == 0 ||
	    esize % 4 != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	ring = rte_zmalloc_socket("dpp_ring", sizeof(*ring), RTE_CACHE_LINE_SIZE, socket_id);
	if (ring == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	/* EXACT_SZ: a ring of `count` holds exactly count elements, as the user asked. */
	ring->r = rte_ring_create_elem(name, esize, count, socket_id,
				       RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (ring->r == NULL && socket_id != SOCKET_ID_ANY)
		ring->r = rte_ring_create_elem(name, esize, count, SOCKET_ID_ANY,
					       RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (ring->r == NULL) {
		int err = rte_errno;

		rte_free(ring);
		rte_errno = err;
		return NULL;
	}
	ring->esize = esize;
	ring->size = rte_ring_get_capacity(ring->r);
	snprintf(ring->name, sizeof(ring->name), "%s", name);
	return ring;
}

void dpp_ring_free(struct dpp_ring *ring)
{
	if (ring == NULL)
		return;
	rte_ring_free(ring->r);
	rte_free(ring);
}
