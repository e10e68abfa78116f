# Ruji's BR2_EXTERNAL tree: the package recipes under package/.
include $(sort $(wildcard $(BR2_EXTERNAL_RUJI_PATH)/package/*/*.mk))
