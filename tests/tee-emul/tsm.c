// SPDX-License-Identifier: GPL-2.0
/*
 * configfs-tsm report providers named like the real drivers' (sev_guest, tdx_guest), with the
 * attributes those drivers show. Built only for kernels with CONFIG_TSM_REPORTS; the tsm_ops
 * layout here is the 6.12 one (visibility callbacks taking the attribute index); later
 * kernels renamed the API (tsm_report_register, struct tsm_report_ops).
 */
#include <linux/tsm.h>
#include "emul.h"

static int snp_report_new(struct tsm_report *report, void *data)
{
	struct tsm_desc *desc = &report->desc;

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

static const struct tsm_ops snp_tsm_ops = {
	.name = "sev_guest",
	.privlevel_floor = 0,
	.report_new = snp_report_new,
	.report_attr_visible = snp_attr_visible,
	.report_bin_attr_visible = snp_bin_attr_visible,
};

static int tdx_report_new(struct tsm_report *report, void *data)
{
	struct tsm_desc *desc = &report->desc;

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

static const struct tsm_ops tdx_tsm_ops = {
	.name = "tdx_guest",
	.report_new = tdx_report_new,
	.report_attr_visible = tdx_attr_visible,
	.report_bin_attr_visible = tdx_bin_attr_visible,
};

static const struct tsm_ops *registered;

int emul_tsm_init(void)
{
	const struct tsm_ops *ops = emul.mode == EMUL_SNP ? &snp_tsm_ops : &tdx_tsm_ops;
	int ret = tsm_register(ops, NULL);

	if (ret)
		pr_err("tee_emul: configfs-tsm provider %s not registered (%d)\n", ops->name, ret);
	else
		registered = ops;
	return ret;
}

void emul_tsm_exit(void)
{
	if (registered)
		tsm_unregister(registered);
	registered = NULL;
}
