# shellcheck shell=bash
# EAL arguments shared by the demo, the tests and the benchmark.

# Memory flags: hugepages when some are free and mounted, else plain memory.
# DPP_HUGE=0 forces no hugepages, DPP_HUGE=1 requires them.
dpp_eal_mem_args() {
	local free mounted=0
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)
	grep -qs hugetlbfs /proc/mounts && mounted=1
	if [[ "${DPP_HUGE:-auto}" == 1 ]] && { ((free < 64)) || ((mounted == 0)); }; then
		echo "DPP_HUGE=1 but no free, mounted hugepages" >&2
		return 1
	fi
	if [[ "${DPP_HUGE:-auto}" != 0 ]] && ((free >= 64)) && ((mounted == 1)); then
		# --in-memory: no files left behind by killed runs, runs can overlap.
		echo "--in-memory -m ${DPP_MEM_MB:-128}"
	else
		echo "--no-huge --no-shconf -m ${DPP_MEM_MB:-256}"
	fi
}

# Lcores: main + N workers. With fewer CPUs than lcores, map them onto the
# CPUs we have (oversubscribed: fine for functional tests, not for speed).
dpp_eal_lcore_args() {
	local workers=${1:-1} cpus n
	cpus=$(nproc)
	n=$((workers + 1))
	if ((cpus >= n)); then
		echo "-l 0-$((n - 1))"
	else
		local spec="" i
		for ((i = 0; i < n; i++)); do
			spec+="${spec:+,}$i@$((i % cpus))"
		done
		echo "--lcores $spec"
	fi
}
