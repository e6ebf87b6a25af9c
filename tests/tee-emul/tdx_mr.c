// SPDX-License-Identifier: GPL-2.0
/*
 * TDX measurement registers in sysfs, as the tdx-guest driver shows them from 6.16 on:
 * /sys/devices/virtual/misc/tdx_guest/measurements/ with rtmr0..3:sha384 (read; write 48 bytes
 * to extend), mrtd:sha384, mrconfigid, mrowner and mrownerconfig (read only). The kernel's
 * tsm-mr framework makes the files, with its own size checks and locking, from the same
 * register table the driver gives it. Built only where it exists (CONFIG_TSM_MEASUREMENTS).
 */
#include <linux/tsm-mr.h>
#include "emul.h"

/* Never set by the emulation: zero in the TDREPORT too. */
static u8 mrowner[48], mrownerconfig[48];

/* Order and flags as in the driver: the index of an RTMR is its index in this table. */
static struct tsm_measurement_register emul_mrs[] = {
	{ .mr_name = "rtmr0", .mr_value = emul.rtmr[0], .mr_size = 48, .mr_hash = HASH_ALGO_SHA384,
	  .mr_flags = TSM_MR_F_READABLE | TSM_MR_F_RTMR },
	{ .mr_name = "rtmr1", .mr_value = emul.rtmr[1], .mr_size = 48, .mr_hash = HASH_ALGO_SHA384,
	  .mr_flags = TSM_MR_F_READABLE | TSM_MR_F_RTMR },
	{ .mr_name = "rtmr2", .mr_value = emul.rtmr[2], .mr_size = 48, .mr_hash = HASH_ALGO_SHA384,
	  .mr_flags = TSM_MR_F_READABLE | TSM_MR_F_RTMR },
	{ .mr_name = "rtmr3", .mr_value = emul.rtmr[3], .mr_size = 48, .mr_hash = HASH_ALGO_SHA384,
	  .mr_flags = TSM_MR_F_READABLE | TSM_MR_F_RTMR },
	{ .mr_name = "mrtd", .mr_value = emul.mrtd, .mr_size = 48, .mr_hash = HASH_ALGO_SHA384,
	  .mr_flags = TSM_MR_F_READABLE },
	{ .mr_name = "mrconfigid", .mr_value = emul.mrconfigid, .mr_size = 48,
	  .mr_flags = TSM_MR_F_READABLE | TSM_MR_F_NOHASH },
	{ .mr_name = "mrowner", .mr_value = mrowner, .mr_size = 48,
	  .mr_flags = TSM_MR_F_READABLE | TSM_MR_F_NOHASH },
	{ .mr_name = "mrownerconfig", .mr_value = mrownerconfig, .mr_size = 48,
	  .mr_flags = TSM_MR_F_READABLE | TSM_MR_F_NOHASH },
};

/*
 * The driver reloads the registers with a TDG.MR.REPORT TDCALL; here they are always current,
 * and only the eio fault makes that TDCALL fail.
 */
static int emul_mr_refresh(const struct tsm_measurements *tm)
{
	return emul.fault == FAULT_EIO ? -EIO : 0;
}

/* TDG.MR.RTMR.EXTEND: RTMR = SHA-384(RTMR || data), data being 48 bytes. */
static int emul_mr_extend(const struct tsm_measurements *tm,
			  const struct tsm_measurement_register *mr, const u8 *data)
{
	u8 *rtmr = mr->mr_value;
	u8 buf[96];
	int ret;

	mutex_lock(&emul_lock);
	if (emul.fault == FAULT_EIO) {
		ret = -EIO;
	} else {
		memcpy(buf, rtmr, 48);
		memcpy(buf + 48, data, 48);
		ret = emul_sha384(buf, sizeof(buf), rtmr);
	}
	mutex_unlock(&emul_lock);
	return ret;
}

static const struct tsm_measurements emul_measurements = {
	.mrs = emul_mrs,
	.nr_mrs = ARRAY_SIZE(emul_mrs),
	.refresh = emul_mr_refresh,
	.write = emul_mr_extend,
};

const struct attribute_group *tdx_mr_init(void)
{
	return tsm_mr_create_attribute_group(&emul_measurements);
}

void tdx_mr_exit(const struct attribute_group *group)
{
	tsm_mr_free_attribute_group(group);
}
