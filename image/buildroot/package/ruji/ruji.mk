################################################################################
#
# ruji
#
################################################################################

# The source is this very repository: the Cargo workspace two levels above the BR2_EXTERNAL
# tree (image/buildroot/../..). With the local site method Buildroot rsyncs the work tree into
# its build directory (the version is then "custom"); a change to the code is picked up by
# `make ruji-rebuild`, a change to Cargo.lock by `make ruji-dirclean all`.
RUJI_SITE = $(BR2_EXTERNAL_RUJI_PATH)/../..
RUJI_SITE_METHOD = local
RUJI_LICENSE = Apache-2.0

# Not copied into the build directory: build output, the fast path's caches and images, the
# browser tests' node modules, and the repository's own .cargo/config.toml (it configures the
# fast path's aarch64-musl cross build; Buildroot brings its own toolchain and writes the
# vendoring configuration below).
RUJI_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude /target \
	--exclude /cache \
	--exclude /out \
	--exclude /.cargo \
	--exclude /tests/browser/node_modules

# The binary's package inside the workspace: the cargo infrastructure runs `cargo build` and
# `cargo install --path ./` there, and cargo uses the workspace's Cargo.lock (--locked).
RUJI_SUBDIR = firmware/ruji
RUJI_CARGO_BUILD_OPTS = -p ruji

# The release profile of the workspace's Cargo.toml (size-optimised, LTO, one codegen unit):
# the cargo infrastructure sets the profile from Buildroot's generic optimisation options
# through the environment, which would override it. These come later in the environment and
# win; the per-crate opt-level = 3 overrides of Cargo.toml (hashing, sealing) still apply.
RUJI_CARGO_ENV = \
	CARGO_PROFILE_RELEASE_OPT_LEVEL=s \
	CARGO_PROFILE_RELEASE_LTO=true \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1

# The cargo infrastructure vendors a package's crates when it downloads the package
# (support/download/cargo-post-process), and builds with --offline. A local package has no
# download step, so vendor the workspace's locked dependencies here, the same way, once
# host-rustc (a dependency of the package, hence ready before the configure step) is there.
# This step needs the network (crates.io), like any download.
define RUJI_VENDOR_CRATES
	mkdir -p $(BR_CARGO_HOME) $(@D)/.cargo
	cd $(@D) && $(TARGET_MAKE_ENV) $(PKG_COMMON_CARGO_ENV) \
		flock $(BR_CARGO_HOME)/.br-lock \
		cargo vendor --manifest-path Cargo.toml --locked VENDOR \
		> $(@D)/.cargo/config.toml
endef
RUJI_PRE_CONFIGURE_HOOKS += RUJI_VENDOR_CRATES

$(eval $(cargo-package))
