#!/bin/sh
# Descent's benchmark from a self-contained folder (built by `npm run bench:bundle`): needs no Node and no npm, only
# a Vulkan driver for the GPU. Usage: ./run.sh [benchmark options, e.g. --suite=matmul --sizes=256,512]
# Environment: VK_ICD_FILENAMES picks the Vulkan driver (else NVIDIA's container ICD when present, else the loader's
# own discovery); DESCENT_VULKAN_LOADER=system|bundled|auto (default auto: the bundled loader only when the machine
# has no libvulkan.so.1).
set -eu

case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)

say() { printf 'run.sh: %s\n' "$*"; }
die() {
	printf 'run.sh: %s\n' "$*" >&2
	exit 1
}

# Unpack a compressed file (.xz or .gz, as the build recorded) once; a partial unpack never takes the final name.
unpack() {
	src=$1 dst=$2
	[ -x "$dst" ] && return 0
	[ -w "$here" ] || die "the folder $here is not writable: run.sh unpacks its Node binary and Dawn there on first use"
	mkdir -p "${dst%/*}"
	say "unpacking ${src#"$here"/} (once)"
	case $src in
	*.xz) command -v xz >/dev/null 2>&1 || die "xz is needed to unpack $src: install xz-utils, or build the folder where xz is missing (it then uses gzip)"
		xz -dc "$src" >"$dst.partial" ;;
	*.gz) gzip -dc "$src" >"$dst.partial" ;;
	*) die "unknown compression: $src" ;;
	esac
	chmod 755 "$dst.partial"
	mv -f "$dst.partial" "$dst"
}

find_one() { # the first existing file among the arguments (a glob that matched nothing stays literal)
	for f in "$@"; do [ -e "$f" ] && { printf '%s\n' "$f"; return 0; }; done
	return 1
}

node_src=$(find_one "$here"/node.xz "$here"/node.gz) || die "the Node binary (node.xz or node.gz) is missing from $here"
dawn_src=$(find_one "$here"/dawn/dawn.node.xz "$here"/dawn/dawn.node.gz) || die "Dawn (dawn/dawn.node.xz or .gz) is missing from $here"
node="$here/bin/node"
unpack "$node_src" "$node"
# dawn/webgpu.mjs (the npm package's entry) loads dist/<platform>-<arch>/dawn.node beside itself.
unpack "$dawn_src" "$here/dawn/dist/linux-x64/dawn.node"

has_system_vulkan() {
	old_ifs=$IFS
	IFS=:
	for d in ${LD_LIBRARY_PATH:-}; do
		if [ -n "$d" ] && [ -e "$d/libvulkan.so.1" ]; then
			IFS=$old_ifs
			return 0
		fi
	done
	IFS=$old_ifs
	for l in /sbin/ldconfig /usr/sbin/ldconfig; do
		if [ -x "$l" ]; then
			case $("$l" -p 2>/dev/null) in *"libvulkan.so.1 "*) return 0 ;; esac
		fi
	done
	for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /lib64 /usr/lib /lib /usr/local/lib; do
		[ -e "$d/libvulkan.so.1" ] && return 0
	done
	return 1
}

# The Vulkan loader from the bundled .deb, unpacked once into lib/vulkan; sets vk_dir to the directory of libvulkan.so.1.
bundled_vulkan() {
	deb=$(find_one "$here"/vulkan/libvulkan1_*.deb) ||
		die "this machine has no libvulkan.so.1 and the folder has no Vulkan loader package (it was built with --no-vulkan-deb): install libvulkan1 (Debian, Ubuntu) or vulkan-loader (Fedora, Arch)"
	root="$here/lib/vulkan"
	if [ ! -d "$root" ]; then
		say "unpacking ${deb#"$here"/} into lib/vulkan (once)"
		rm -rf "$root.partial"
		mkdir -p "$root.partial"
		if command -v dpkg-deb >/dev/null 2>&1; then
			dpkg-deb -x "$deb" "$root.partial"
		elif command -v ar >/dev/null 2>&1; then
			(cd "$root.partial" && ar x "$deb" && tar -xf data.tar.* && rm -f data.tar.* control.tar.* debian-binary)
		else
			die "dpkg-deb or ar (binutils) is needed to unpack $deb"
		fi
		mv "$root.partial" "$root"
	fi
	for vk_dir in "$root"/usr/lib/x86_64-linux-gnu "$root"/lib/x86_64-linux-gnu "$root"/usr/lib64 "$root"/usr/lib; do
		[ -e "$vk_dir/libvulkan.so.1" ] && return 0
	done
	die "$deb holds no libvulkan.so.1"
}

prepend_lib() { LD_LIBRARY_PATH="$1${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; export LD_LIBRARY_PATH; }

loader=${DESCENT_VULKAN_LOADER:-auto}
case $loader in
auto) if has_system_vulkan; then loader=system; else loader=bundled; fi ;;
system | bundled) ;;
*) die "DESCENT_VULKAN_LOADER=$loader: expected system, bundled or auto" ;;
esac
if [ "$loader" = bundled ]; then
	bundled_vulkan
	prepend_lib "$vk_dir"
	say "Vulkan loader: bundled ($vk_dir/libvulkan.so.1)"
else
	has_system_vulkan || die "DESCENT_VULKAN_LOADER=system, but this machine has no libvulkan.so.1"
	say "Vulkan loader: the system's libvulkan.so.1"
fi

nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -n "${VK_ICD_FILENAMES:-}" ]; then
	say "Vulkan driver (ICD): $VK_ICD_FILENAMES (VK_ICD_FILENAMES, as given)"
elif [ -n "${VK_DRIVER_FILES:-}" ]; then
	say "Vulkan driver (ICD): $VK_DRIVER_FILES (VK_DRIVER_FILES, as given)"
elif [ -f "$nvidia_icd" ]; then
	VK_ICD_FILENAMES=$nvidia_icd
	export VK_ICD_FILENAMES
	# The NVIDIA container runtime mounts the driver's libraries here; its ICD names them without a path.
	for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && prepend_lib "$d"; done
	say "Vulkan driver (ICD): $nvidia_icd (NVIDIA's; set VK_ICD_FILENAMES to choose another)"
else
	found=
	for f in /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json; do
		[ -e "$f" ] && found="$found $f"
	done
	[ -n "$found" ] || found="none in /etc/vulkan/icd.d, /usr/local/share/vulkan/icd.d, /usr/share/vulkan/icd.d"
	say "Vulkan driver (ICD): the loader's default discovery (${found# }); set VK_ICD_FILENAMES to choose one"
fi

DESCENT_WEBGPU_MODULE="$here/dawn/webgpu.mjs"
XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
export DESCENT_WEBGPU_MODULE XDG_RUNTIME_DIR

case " $* " in
*" --help "*) ;;
*)
	# Which adapter Dawn finds on that driver, before minutes of benchmark: none is a clear error, not a crash later.
	"$node" --input-type=module -e '
const { pathToFileURL } = await import("node:url");
const { create, globals } = await import(pathToFileURL(process.env.DESCENT_WEBGPU_MODULE).href);
Object.assign(globalThis, globals);
const adapter = await create([]).requestAdapter({ powerPreference: "high-performance" });
if (!adapter) {
  console.error("run.sh: Dawn found no WebGPU adapter on this Vulkan driver: check VK_ICD_FILENAMES and that the GPU driver supports Vulkan 1.1+");
  process.exit(1);
}
const i = adapter.info;
const parts = [...new Set([i.vendor, i.architecture, i.device, i.description].filter(Boolean))];
console.log(`run.sh: adapter: ${parts.join(" / ")}`);
process.exit(0);
' || die "no usable WebGPU adapter (see above)"
	;;
esac

exec "$node" "$here/bench.mjs" "$@"
