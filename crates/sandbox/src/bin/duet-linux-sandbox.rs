//! The sandbox helper as a program of its own (`duet` is the same helper
//! when invoked as `duet-linux-sandbox`); used by this crate's tests.

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let code = duet_sandbox::helper_main(&args);
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}
