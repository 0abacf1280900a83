//! The smallest Rust program that does what each duet process in a sandboxed
//! command must do at least: start (dynamically linked, position-independent,
//! like duet) and `exec` the rest of its arguments. `sandbox_bench.py`
//! compiles it with `rustc -O` and chains it the way duet chains itself
//! (`floor bwrap … floor true`), which gives the floor of the design: what
//! `duet sandbox -- true` would take if duet started as fast as this program
//! and did no work at all.

use std::os::unix::process::CommandExt;

fn main() {
    let mut args = std::env::args_os().skip(1);
    if let Some(program) = args.next() {
        let error = std::process::Command::new(program).args(args).exec();
        eprintln!("start_floor: {error}");
        std::process::exit(127);
    }
}
