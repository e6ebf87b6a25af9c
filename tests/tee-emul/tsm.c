// SPDX-License-Identifier: GPL-2.0
/*
 * configfs-tsm report providers named like the real drivers' (sev_guest, tdx_guest), with the
 * attributes those drivers show. Built only for kernels with CONFIG_TSM_REPORTS; the ops
 * layout is the one from 6.7 on (visibility callbacks taking the attribute index).
 */
#include <linux/tsm.h>
#include <linux/version.h>
#include "emul.h"

/* 6.16 renamed the report API when tsm_register() became the PCI TSM's; the layout stayed. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define emul_tsm_ops tsm_report_ops
#define emul_tsm_desc tsm_report_desc
#define emul_tsm_register tsm_report_register
#define emul_tsm_unregister tsm_report_unregister
#else
#define emul_tsm_ops tsm_ops
#define emul_tsm_desc tsm_desc
#define emul_tsm_register tsm_register
#define emul_tsm_unregister tsm_unregister
#endif

static int snp_report_new(struct tsm_report *report, void *data)
{
	struct emul_tsm_desc *desc = &report->desc;

	if (desc->inblob_len != 64)
		return -EINVAL;
	return snp_tsm_report(desc->inblob, desc->privlevel, &report->outblob,
			      &report->outblob_len, &report->auxblob, &report->auxblob_len);
}

static bool snp_attr_visible(int n)
{
	return n == TSM_REPORT_GENERATION || n == TSM_REPORT_PROVIDER ||
	       n == TSM_REPORT_PRIVLEVEL || n == TSM_REPORT_PRIVLEVEL_FLOOR;
}

static bool snp_bin_attr_visible(int n)
{
	return n == TSM_REPORT_INBLOB || n == TSM_REPORT_OUTBLOB || n == TSM_REPORT_AUXBLOB;
}

static const struct emul_tsm_ops snp_tsm_ops = {
	.name = "sev_guest",
	.privlevel_floor = 0,
	.report_new = snp_report_new,
	.report_attr_visible = snp_attr_visible,
	.report_bin_attr_visible = snp_bin_attr_visible,
};

static int tdx_report_new(struct tsm_report *report, void *data)
{
	struct emul_tsm_desc *desc = &report->desc;

	if (desc->inblob_len != TDX_REPORTDATA_LEN)
		return -EINVAL;
	return tdx_tsm_quote(desc->inblob, &report->outblob, &report->outblob_len);
}

static bool tdx_attr_visible(int n)
{
	return n == TSM_REPORT_GENERATION || n == TSM_REPORT_PROVIDER;
}

static bool tdx_bin_attr_visible(int n)
{
	return n == TSM_REPORT_INBLOB || n == TSM_REPORT_OUTBLOB;
}

static const struct emul_tsm_ops tdx_tsm_ops = {
	.name = "tdx_guest",
	.report_new = tdx_report_new,
	.report_attr_visible = tdx_attr_visible,
	.report_bin_attr_visible = tdx_bin_attr_visible,
};

static const struct emul_tsm_ops *registered;

int emul_tsm_init(void)
{
	const struct emul_tsm_ops *ops = emul.mode == EMUL_SNP ? &snp_tsm_ops : &tdx_tsm_ops;
	int ret = emul_tsm_register(ops, NULL);

	if (ret)
		pr_err("tee_emul: configfs-tsm provider %s not registered (%d)\n", ops->name, ret);
	else
		registered = ops;
	return ret;
}

void emul_tsm_exit(void)
{
	if (registered)
		emul_tsm_unregister(registered);
	registered = NULL;
}
