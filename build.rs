//! Build script: links the `earshot` binary with packed relative
//! relocations (`-z pack-relative-relocs`, DT_RELR) where the toolchain
//! supports them. A position-independent executable carries one 24-byte
//! relocation record per pointer in its read-only data (~64,000 here);
//! the loader reads them all at start and the pages stay resident: 1.5 MB
//! of the idle daemon's RSS. Packed, the table is a few kilobytes. glibc
//! 2.36 and binutils 2.38 (Debian 12) or lld 15 support it; where the
//! probe link fails the binary is linked as before. See BENCHMARKS.md
//! ("Memory and start-up").

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=EARSHOT_NO_RELR");
    let target = std::env::var("TARGET").unwrap_or_default();
    if !target.contains("linux-gnu") || std::env::var_os("EARSHOT_NO_RELR").is_some() {
        return;
    }
    if links_with_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    } else {
        println!("cargo:warning=linking without packed relative relocations (toolchain lacks -z pack-relative-relocs)");
    }
}

/// Links an empty C program with the flag using the linker rustc will use.
fn links_with_relr() -> bool {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let source = out.join("relr_probe.c");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_string());
    let status = Command::new(linker)
        .arg(&source)
        .arg("-pie")
        .arg("-fPIE")
        .arg("-Wl,-z,pack-relative-relocs")
        .arg("-Wl,--fatal-warnings")
        .arg("-o")
        .arg(out.join("relr_probe"))
        .output();
    matches!(status, Ok(o) if o.status.success())
}
