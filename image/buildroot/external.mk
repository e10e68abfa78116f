# Ruji's BR2_EXTERNAL tree: the package recipes under package/.
include $(sort $(wildcard $(BR2_EXTERNAL_RUJI_PATH)/package/*/*.mk))

# Once the kernel is configured, its .config must have every option of the defconfig's kernel
# fragments (board/common/linux.fragment) and the option of every module that the board's fast
# path loads (MODULES in board/BOARD/meta, BOARD as BR2_ROOTFS_POST_SCRIPT_ARGS): the kernel's
# configuration tools drop an option whose dependencies are missing without error, this stops
# the build there instead, naming the option and what it depends on. The same script runs in
# tests/image/check-kernel-config: in CI on Debian's mainline source of the same series (the
# Raspberry Pi kernel's own options excepted, board/common/linux.rpi-only), by hand on the
# Raspberry Pi kernel the defconfigs name.
RUJI_KERNEL_REPO = $(BR2_EXTERNAL_RUJI_PATH)/../..
# The board's file must exist (the script stops the build when it does not): a misspelt board
# must not quietly skip the module check.
RUJI_KERNEL_BOARD_META = $(RUJI_KERNEL_REPO)/board/$(call qstrip,$(BR2_ROOTFS_POST_SCRIPT_ARGS))/meta
define RUJI_KERNEL_CHECK_CONFIG
	$(BR2_EXTERNAL_RUJI_PATH)/board/common/check-kernel-config.sh -s $(LINUX_DIR) \
		-c $(LINUX_DIR)/.config -a $(KERNEL_ARCH) \
		$(addprefix -b ,$(RUJI_KERNEL_BOARD_META)) $(LINUX_KCONFIG_FRAGMENT_FILES)
endef
ifeq ($(BR2_LINUX_KERNEL),y)
LINUX_POST_CONFIGURE_HOOKS += RUJI_KERNEL_CHECK_CONFIG
endif
