#!/usr/bin/env bash
# nccl_link.t: a build with NCCL (kernels/cuda/nccl_comm.o in libphasor.a: the Makefile found
# nccl.h and libnccl) links phasor-train against libnccl, which the binary finds through its
# rpath without LD_LIBRARY_PATH; a build without it (kernels/nccl_comm_none.o) links none.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
plan 3
LIB=$PHASOR_BUILD/libphasor.a BIN=$PHASOR_BUILD/bin/phasor-train
[ -f "$LIB" ] && [ -x "$BIN" ] || bail_out "no $LIB or $BIN (run make build)"
members=$(ar t "$LIB")
needed() { readelf -d "$BIN" | grep NEEDED | grep -q 'libnccl\.so'; }
if grep -qx nccl_comm.o <<<"$members"; then
    ok "built with NCCL: phasor-train needs libnccl" needed
    ok "... and finds it through its rpath" bash -c "env -u LD_LIBRARY_PATH ldd '$BIN' | grep -q 'libnccl\.so[.0-9]* => /'"
    ok "... and its exchange calls ncclAllReduce" bash -c "nm '$LIB' 2>/dev/null | grep -q ' U ncclAllReduce$'"
elif grep -qx nccl_comm_none.o <<<"$members"; then
    ok "built without NCCL: phasor-train does not need libnccl" bash -c "! readelf -d '$BIN' | grep NEEDED | grep -q libnccl"
    skip "built without NCCL (make NCCL=0 or CUDA=0, or no nccl.h and libnccl found)" 2
else
    bail_out "libphasor.a has neither nccl_comm.o nor nccl_comm_none.o"
fi
