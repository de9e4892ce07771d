# phasor: build, test, demo, bench, install.
#   make            check dependencies and build      make CUDA=0   without CUDA objects
#   make NCCL=0     CUDA without NCCL (otherwise used when nccl.h and libnccl lie under CUDA_HOME or NCCL_HOME)
#   make demo       install missing packages (root), build, run the demo into results/demo/
#   make test       install missing packages (root), build, run the TAP suite with prove
#   make sanitize   the same suite built with ASan + UBSan (into build-san/)
#   make fuzz [FUZZ_SECONDS=60]   libFuzzer on the input parsers (clang, into build-fuzz/)
#   make bench      benchmarks; figures go to docs/performance.md
#   make reproduce-NAME   run configs/NAME.ini's sweep here into runs/NAME (slurm/submit --local)
#   make reproduce-tracking [SEED=N]   the tracking study (SEED: one seed per model, about 40 min)
#   make reproduce-tracking-controls   the tracking challenges' shortcut controls
#   make install PREFIX=/usr/local

BUILD   ?= build
PREFIX  ?= /usr/local
SAN     ?= 0
# FUZZ=1: clang with libFuzzer's coverage, ASan and UBSan (make fuzz sets it, docs/fuzzing.md).
FUZZ    ?= 0
FUZZ_SECONDS ?= 60
NVCC    ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA    ?= $(if $(NVCC),1,0)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
# NCCL, found like cuDNN: the toolkit's own (CUDA_HOME/{include,lib64}), or NCCL_HOME with
# include/ and lib/ (a pip wheel's site-packages/nvidia/nccl, whose library is libnccl.so.2).
NCCL_HOME ?= $(CUDA_HOME)
NCCL_H   := $(firstword $(wildcard $(NCCL_HOME)/include/nccl.h))
NCCL_SO  := $(firstword $(wildcard $(foreach d,lib64 lib,$(NCCL_HOME)/$(d)/libnccl.so $(NCCL_HOME)/$(d)/libnccl.so.2)))
NP      ?= 2
ifeq ($(CUDA),1)
  NCCL  ?= $(if $(and $(NCCL_H),$(NCCL_SO)),1,0)
else
  override NCCL := 0
endif

CC      := mpicc
# -dirty: tracked files differ from HEAD, except results/, which the reproduce
# targets themselves rewrite (a second run in one checkout is not a changed build).
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- . ':(exclude)results' 2>/dev/null || echo -dirty)
# gsl: the scaling-law fits (common/stats/powerlaw.c).  Its pkg-config links GSL's own
# CBLAS (-lgslcblas), which Debian's libgsl needs anyway; nothing else here calls CBLAS
# (LAPACK reaches OpenBLAS through the Fortran symbols), and the fits' few parameters do
# not need OpenBLAS's speed.
PKGS    := hdf5-openmpi inih libpng libjpeg fftw3f cmocka libdeflate gsl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(FUZZ),1)
  # Open MPI's wrapper runs the compiler OMPI_CC names.
  CC      := OMPI_CC=clang mpicc
  CFLAGS  ?= -O1 -g
  # clang has no format-truncation warning; sanitizer instrumentation keeps it
  # from vectorising the `omp simd` loops, which it reports as -Wpass-failed.
  WNO     := -Wno-pass-failed
else
  CFLAGS  ?= -O2 -g
  # Messages are deliberately cut to fixed buffers, so format-truncation is not an error.
  WNO     := -Wno-format-truncation
endif
# Includes name a header from common/ or kernels/ ("core/error.h", "kernels.h"), or beside the file.
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(WNO) -MMD -MP -fopenmp -iquote common -iquote kernels \
           $(PKG_CFLAGS)
# libmvec: glibc's vector math (kernels/cpu/vmath.c uses it on x86-64)
LDLIBS  += $(PKG_LIBS) -ldnnl -llapacke $(if $(filter x86_64,$(shell uname -m)),-lmvec) -lm
LDFLAGS += -fopenmp
# The optimisers' loops take square roots; without errno to set, sqrtf is one vector
# instruction and their `omp simd` loops vectorise: the same IEEE results, AdamW 3-4x faster.
$(BUILD)/kernels/cpu/optim.o: CFLAGS += -fno-math-errno
ifeq ($(SAN),1)
  CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(FUZZ),1)
  # Library objects get libFuzzer's coverage hooks; only the harnesses link its main.
  CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif

# Every .c below common/ (challenges may be folders) and kernels/ (CPU and shared).
LIB_SRC := $(sort $(shell find common kernels -name '*.c')) $(BUILD)/gen/git_commit.c \
           $(BUILD)/gen/reference_data.c
CU_SRC  := $(wildcard kernels/cuda/*.cu)
ifeq ($(CUDA),1)
  CFLAGS  += -DPHASOR_CUDA=1
  # kernels/cuda_none.c is the CUDA row (no ops) of builds without nvcc
  LIB_SRC := $(filter-out kernels/cuda_none.c,$(LIB_SRC))
  CU_OBJ  := $(CU_SRC:%.cu=$(BUILD)/%.o)
  # Static cudart: without a driver or GPU the binaries start and report "no device".
  # cuBLAS and cuDNN are shared libraries of the toolkit, found through the rpath.
  LDLIBS  += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudnn -lcublas -lcufft \
             -lcudart_static -ldl -lrt -lpthread -lstdc++
  # sm_90 machine code for the H200/H100, PTX from compute_75 so older GPUs JIT it.
  NVFLAGS := -O2 -std=c++20 -Xcompiler -Wall,-Werror -gencode arch=compute_90,code=sm_90 \
             -gencode arch=compute_75,code=compute_75
endif
# NCCL=1: kernels/cuda/nccl_comm.cu sums the gradients on the GPU (kernels/nccl_comm.h);
# otherwise kernels/nccl_comm_none.c says the build has no NCCL.
ifeq ($(NCCL),1)
  ifeq ($(and $(NCCL_H),$(NCCL_SO)),)
    $(error NCCL=1, but NCCL_HOME=$(NCCL_HOME) lacks include/nccl.h or lib64/ or lib/libnccl.so[.2])
  endif
  CFLAGS  += -DPHASOR_NCCL=1
  NVFLAGS += -DPHASOR_NCCL=1 -I$(patsubst %/,%,$(dir $(NCCL_H)))
  LIB_SRC := $(filter-out kernels/nccl_comm_none.c,$(LIB_SRC))
  # a shared library (with its own CUDA runtime), found through the rpath like cuDNN's; its
  # folder first (LDFLAGS precede LDLIBS), so NCCL_HOME's wins over a copy in CUDA_HOME
  NCCL_LIBDIR := $(patsubst %/,%,$(dir $(NCCL_SO)))
  LDFLAGS += -L$(NCCL_LIBDIR) -Wl,-rpath,$(NCCL_LIBDIR)
  LDLIBS  += $(if $(filter %.so,$(NCCL_SO)),-lnccl,-l:$(notdir $(NCCL_SO)))
else
  CU_OBJ  := $(filter-out %/nccl_comm.o,$(CU_OBJ))
endif
LIB_OBJ := $(patsubst $(BUILD)/%.c,$(BUILD)/%.o,$(filter $(BUILD)/%,$(LIB_SRC))) \
           $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(BUILD)/%,$(LIB_SRC))) $(CU_OBJ)

# The commit string lives in one generated file, rewritten only when it changes.
$(shell mkdir -p $(BUILD)/gen && echo 'const char ph_git_commit[] = "$(GIT_COMMIT)";' \
  | cmp -s - $(BUILD)/gen/git_commit.c || echo 'const char ph_git_commit[] = "$(GIT_COMMIT)";' \
  > $(BUILD)/gen/git_commit.c)
$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) -I. -c $< -o $@

# The studies' reference tables (published and human numbers, common/studies/STUDY/*.tsv)
# are compiled into the library as strings; reports parse them when they run.
REFERENCE_DATA := $(sort $(wildcard common/studies/*/*.tsv))
$(BUILD)/gen/reference_data.c: $(REFERENCE_DATA) scripts/embed_data.sh
	scripts/embed_data.sh $(REFERENCE_DATA) > $@.partial && mv $@.partial $@
LIB     := $(BUILD)/libphasor.a

STAGES  := $(patsubst stages/%/main.c,%,$(wildcard stages/*/main.c))
BINS    := $(STAGES:%=$(BUILD)/bin/phasor-%)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNITS   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%.t)
BENCH_SRC := $(wildcard bench/*.c)
BENCHES := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
ifeq ($(CUDA),1)
  BENCHES += $(patsubst bench/%.cu,$(BUILD)/bench/%,$(wildcard bench/*.cu))
endif
# libFuzzer harnesses (FUZZ=1 builds only) and the program that writes their seeds;
# every build has each harness without libFuzzer (replay_*) for tests/fuzz_regress.t.
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
REPLAYS := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/fuzz/replay_%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all build deps deps-check test check sanitize fuzz fuzz-build demo bench install clean clean-tree
all: deps-check
	@$(MAKE) --no-print-directory build

build: $(BINS) $(UNITS) $(BENCHES) $(REPLAYS) $(BUILD)/tests/libcount_mpi.so

deps-check:
	@scripts/deps.sh check

deps:
	@scripts/deps.sh install

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Objects reached through pattern rules are not intermediate files to delete.
.SECONDARY:

# A stage is every .c in its folder (main.c and what only it uses).
.SECONDEXPANSION:
$(BUILD)/bin/phasor-%: $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard stages/$$*/*.c))) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(filter %.o,$^) $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/%.t: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

# A PMPI wrapper the tests preload to count collectives (tests/train_exchange.t); built
# without sanitizers, which must come first in a process's library list.
$(BUILD)/tests/libcount_mpi.so: tests/pmpi/count_mpi.c
	@mkdir -p $(dir $@)
	mpicc -O2 -std=c11 -Wall -Wextra -Werror -shared -fPIC $< -o $@

# libFuzzer supplies main(); the objects already carry its coverage hooks.
$(BUILD)/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/fuzz/make_seeds: $(BUILD)/tests/fuzz/make_seeds.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

fuzz-build: $(FUZZERS) $(BUILD)/fuzz/make_seeds

$(BUILD)/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(filter %.o,$^) $(LIB) $(LDLIBS) -o $@

# The TAP suite: C unit tests (cmocka, TAP output) and shell tests, all through prove.
test: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory check

# Tests run MPI ranks with OpenMP threads on few cores: spinning OpenMP
# threads (libgomp's default) steal the cores other ranks need.
check:
	OMP_WAIT_POLICY=passive PHASOR_BUILD=$(abspath $(BUILD)) prove -j1 $(UNITS) tests/*.t

sanitize: deps
	@$(MAKE) --no-print-directory BUILD=build-san SAN=1 CUDA=0 build
	# Leak checks stay on; Open MPI keeps its plug-ins loaded and the slow unwinder walks
	# through system libraries, so the suppressions in tests/lsan.supp can name them.
	OMPI_MCA_mca_base_component_disable_dlclose=1 \
	ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
	LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0:fast_unwind_on_malloc=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MAKE) --no-print-directory BUILD=build-san SAN=1 CUDA=0 check

# Every harness for FUZZ_SECONDS with its seeds (docs/fuzzing.md); non-zero if any finds a crash.
fuzz: deps
	@command -v clang >/dev/null || { echo "make fuzz: clang is missing (apt-get install clang)"; exit 2; }
	@$(MAKE) --no-print-directory BUILD=build-fuzz FUZZ=1 CUDA=0 fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) PHASOR_FUZZ_BUILD=$(abspath build-fuzz) scripts/fuzz.sh

demo: deps
	@$(MAKE) --no-print-directory build
	NP=$(NP) PHASOR_BUILD=$(abspath $(BUILD)) scripts/demo.sh

# A report records the commit that made it, so reproduce-* refuses uncommitted changes
# to tracked files (results/, which they rewrite, aside); ALLOW_DIRTY=1 runs anyway and
# the report's build then says -dirty.
clean-tree:
	@git diff --quiet HEAD -- . ':(exclude)results' 2>/dev/null || \
	{ [ "$(ALLOW_DIRTY)" = 1 ] && echo "make: warning: uncommitted changes (git status): the report will say -dirty" >&2; } || \
	{ echo "make: uncommitted changes (git status): a report must come from a commit; commit them, or ALLOW_DIRTY=1 for a report marked -dirty" >&2; exit 2; }

# reproduce-svrt: the SVRT study's two local sweeps, then its report (docs/studies/svrt.md).
reproduce-svrt: deps clean-tree
	@$(MAKE) --no-print-directory build
	PHASOR_BUILD=$(abspath $(BUILD)) scripts/svrt_study.sh

# reproduce-tracking: the tracking study's test grids and training sweeps, then its report (docs/studies/tracking.md):
# three seeds per PathTracker model and per 8-frame FeatureTracker model, about 70 min on 2 cores (71 min measured
# from a clean clone), into runs/ and results/tracking.  SEED=N: one seed
# per model (seed N), about 40 min (38 measured from a clean clone), into runs/tracking_seedN/ and results/tracking_seedN.
reproduce-tracking: deps clean-tree
	@$(MAKE) --no-print-directory build
	PHASOR_BUILD=$(abspath $(BUILD)) scripts/tracking_study.sh $(if $(SEED),--set train.seed=$(SEED) \
	    --runs runs/tracking_seed$(SEED) --out results/tracking_seed$(SEED))

# reproduce-tracking-controls: the tracking challenges' shortcut controls (docs/challenges/pathtracker.md,
# "Controls"): original and matched negatives, the start-goal distance regression and the frame CNN
# (three seeds) on each, into runs/tracking_controls and results/tracking_controls.
reproduce-tracking-controls: deps clean-tree
	@$(MAKE) --no-print-directory build
	PHASOR_BUILD=$(abspath $(BUILD)) scripts/tracking_controls.sh

# reproduce-harmonization: the harmonizer study's sweep, neural predictivity and report (docs/studies/harmonization.md).
reproduce-harmonization: deps clean-tree
	@$(MAKE) --no-print-directory build
	PHASOR_BUILD=$(abspath $(BUILD)) scripts/harmonization_study.sh

# reproduce-NAME: configs/NAME.ini's sweep here, point by point, into runs/NAME (docs/slurm.md).
reproduce-%: deps clean-tree
	@$(MAKE) --no-print-directory build
	PHASOR_BUILD=$(abspath $(BUILD)) slurm/submit --local configs/$*.ini

bench: deps
	@$(MAKE) --no-print-directory build
	PHASOR_BUILD=$(abspath $(BUILD)) bench/run.sh

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
