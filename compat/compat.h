/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one place kernel differences are absorbed. features.h is generated
 * at build time by scripts/compat-probe, which compiles each test in
 * compat/probes/ against the target kernel: logic code tests
 * DMAGUARD_HAS_* here, never kernel versions.
 */
#ifndef DMAGUARD_COMPAT_H
#define DMAGUARD_COMPAT_H

#include "features.h"

/* 6.10 dropped the source argument of __assign_str(). */
#ifdef DMAGUARD_HAS_ASSIGN_STR_1ARG
#define dg_assign_str(dst, src)	__assign_str(dst)
#else
#define dg_assign_str(dst, src)	__assign_str(dst, src)
#endif

/* Redirect an ftrace'd call: the helper's name changed in 6.8. */
#ifdef DMAGUARD_HAS_FTRACE_REGS_SET_IP
#define dg_ftrace_set_ip(fregs, ip) \
	ftrace_regs_set_instruction_pointer(fregs, ip)
#else
#define dg_ftrace_set_ip(fregs, ip) ftrace_instruction_pointer_set(fregs, ip)
#endif

/*
 * With ftrace_regs (WITH_ARGS) the instruction pointer can be changed
 * without saving all registers; otherwise ask for full pt_regs.
 */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define DG_FTRACE_OPS_FL_REGS	0
#else
#define DG_FTRACE_OPS_FL_REGS	FTRACE_OPS_FL_SAVE_REGS
#endif

#endif /* DMAGUARD_COMPAT_H */
