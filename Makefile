# SPDX-License-Identifier: GPL-2.0-only
# make                 build against the running kernel
# make KDIR=<tree>     build against any prepared kernel tree or headers
# make WERROR=1        warnings as errors (CI)
# make TEST=1          with the test-only seams (tests/ use this build)
KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(shell pwd)
WERROR ?= 0
TEST ?= 0
# $(MAKE) written out in the recipes, not hidden in a variable: only then
# does make hand its jobserver (-j) to the sub-make.
KFLAGS := -C $(KDIR) M=$(PWD) $(if $(filter 1,$(WERROR)),DMAGUARD_WERROR=y) \
	  $(if $(filter 1,$(TEST)),DMAGUARD_TEST=y)

all: modules

compat/features.h: FORCE
	@+scripts/compat-probe $(KDIR) $@ $(if $(ARCH),ARCH=$(ARCH)) $(if $(CROSS_COMPILE),CROSS_COMPILE=$(CROSS_COMPILE))

modules: compat/features.h
	$(MAKE) $(KFLAGS) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || true
	rm -f compat/features.h

.PHONY: all modules clean FORCE
