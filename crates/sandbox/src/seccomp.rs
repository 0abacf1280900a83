//! The seccomp filter every confined command runs under (Linux, x86_64 and
//! aarch64), installed by the helper right before it runs the command.
//!
//! Matched calls fail with `EPERM`; everything else is allowed. Always
//! refused: tracing and reading other processes (`ptrace`,
//! `process_vm_readv/writev`), mounting and namespaces (`mount`, `umount2`,
//! the new mount API, `unshare`, `setns`, `chroot`, `pivot_root`, `clone`
//! with a namespace flag), kernel keyrings, `bpf`, `perf_event_open`,
//! `io_uring` (it would run socket calls past this filter), module and
//! `kexec` loading, `swapon/swapoff`, `reboot`, `open_by_handle_at` (opens
//! files by handle, around the mount view), `userfaultfd`, `personality`
//! other than the default and 32-bit ones (no `ADDR_NO_RANDOMIZE` or
//! `READ_IMPLIES_EXEC`), and `ioctl(TIOCSTI/TIOCLINUX)`, which would type
//! into the caller's terminal. With the network off: `socket` and
//! `socketpair` for any family but `AF_UNIX`, `AF_UNIX` datagram sockets
//! (they can send to a host socket by path without `connect`), `connect`,
//! `bind`, `listen`, `accept`, `accept4`, `sendmmsg`, and `sendto` with a
//! destination address — so `socketpair(AF_UNIX, SOCK_STREAM)` and `send`
//! on it keep working, but no socket reaches anything outside. With the
//! network on, only `AF_VSOCK` (a VM's host) is refused. Under Landlock,
//! which cannot restrict them, `chmod`/`chown` in every form (and
//! `truncate` before Landlock ABI 3) are refused too.
//!
//! A small hand-written filter goes first: on x86_64 it refuses the x32
//! system call numbers (same architecture tag, different numbers, which the
//! main filter would otherwise let through), and it answers `clone3` with
//! `ENOSYS` — its flags sit in memory a filter cannot read, and `ENOSYS`
//! makes libc fall back to `clone`, whose flags are checked. Other
//! architectures (i386 through `int 0x80`) are killed by the main filter.
//!
//! This module does not decide when to install (that is `helper.rs`).
#![cfg(target_os = "linux")]

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen as ArgLen, SeccompCmpOp as Op, SeccompCondition,
    SeccompFilter, SeccompRule, TargetArch, sock_filter,
};
use std::collections::BTreeMap;

/// What the filter should refuse beyond the fixed list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeccompOptions {
    pub network_disabled: bool,
    /// Refuse `truncate(2)`: Landlock before ABI 3 cannot restrict it.
    pub deny_truncate: bool,
    /// Refuse `chmod` and `chown` in all their forms: Landlock cannot
    /// restrict metadata changes, so without this a command could change
    /// the mode or group of any file of its user.
    pub deny_metadata_changes: bool,
}

/// The `chmod` and `chown` system calls of this architecture.
fn metadata_changes() -> Vec<i64> {
    let mut calls = vec![
        libc::SYS_fchmod,
        libc::SYS_fchmodat,
        libc::SYS_fchmodat2,
        libc::SYS_fchown,
        libc::SYS_fchownat,
    ];
    #[cfg(target_arch = "x86_64")]
    calls.extend([libc::SYS_chmod, libc::SYS_chown, libc::SYS_lchown]);
    calls
}

const TIOCSTI: u64 = 0x5412;
const TIOCLINUX: u64 = 0x541C;

/// The system calls refused outright, whatever their arguments.
fn always_denied() -> Vec<i64> {
    vec![
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_fsopen,
        libc::SYS_fsconfig,
        libc::SYS_fsmount,
        libc::SYS_fspick,
        libc::SYS_move_mount,
        libc::SYS_open_tree,
        libc::SYS_mount_setattr,
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_chroot,
        libc::SYS_pivot_root,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_kexec_load,
        libc::SYS_kexec_file_load,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_swapon,
        libc::SYS_swapoff,
        libc::SYS_reboot,
        libc::SYS_open_by_handle_at,
        libc::SYS_userfaultfd,
    ]
}

fn condition(arg: u8, len: ArgLen, op: Op, value: u64) -> SeccompCondition {
    SeccompCondition::new(arg, len, op, value).expect("argument index is below 6")
}

fn rule(conditions: Vec<SeccompCondition>) -> SeccompRule {
    SeccompRule::new(conditions).expect("every rule has a condition")
}

/// The main filter's rules: system call number → rules, any of which
/// matching refuses the call (an empty list refuses it unconditionally).
pub fn filter_rules(options: SeccompOptions) -> BTreeMap<i64, Vec<SeccompRule>> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = always_denied()
        .into_iter()
        .map(|syscall| (syscall, Vec::new()))
        .collect();
    let dword = |arg: u8, op: Op, value: u64| condition(arg, ArgLen::Dword, op, value);

    let namespace_flags = [
        libc::CLONE_NEWNS,
        libc::CLONE_NEWCGROUP,
        libc::CLONE_NEWUTS,
        libc::CLONE_NEWIPC,
        libc::CLONE_NEWUSER,
        libc::CLONE_NEWPID,
        libc::CLONE_NEWNET,
    ];
    rules.insert(
        libc::SYS_clone,
        namespace_flags
            .iter()
            .map(|&flag| {
                let flag = u64::from(flag as u32);
                rule(vec![dword(0, Op::MaskedEq(flag), flag)])
            })
            .collect(),
    );
    rules.insert(
        libc::SYS_personality,
        vec![rule(vec![
            dword(0, Op::Ne, 0),
            dword(0, Op::Ne, 0x0008),
            dword(0, Op::Ne, 0xffff_ffff),
        ])],
    );
    rules.insert(
        libc::SYS_ioctl,
        vec![
            rule(vec![dword(1, Op::Eq, TIOCSTI)]),
            rule(vec![dword(1, Op::Eq, TIOCLINUX)]),
        ],
    );
    if options.deny_truncate {
        rules.insert(libc::SYS_truncate, Vec::new());
    }
    if options.deny_metadata_changes {
        for syscall in metadata_changes() {
            rules.insert(syscall, Vec::new());
        }
    }

    let af_unix = libc::AF_UNIX as u64;
    let sock_type = |value: i32| dword(1, Op::MaskedEq(0xf), value as u64);
    if options.network_disabled {
        let family_rules = || {
            vec![
                rule(vec![dword(0, Op::Ne, af_unix)]),
                rule(vec![dword(0, Op::Eq, af_unix), sock_type(libc::SOCK_DGRAM)]),
            ]
        };
        rules.insert(libc::SYS_socket, family_rules());
        rules.insert(libc::SYS_socketpair, family_rules());
        for syscall in [
            libc::SYS_connect,
            libc::SYS_bind,
            libc::SYS_listen,
            libc::SYS_accept,
            libc::SYS_accept4,
            libc::SYS_sendmmsg,
        ] {
            rules.insert(syscall, Vec::new());
        }
        rules.insert(
            libc::SYS_sendto,
            vec![rule(vec![condition(4, ArgLen::Qword, Op::Ne, 0)])],
        );
    } else {
        let vsock = libc::AF_VSOCK as u64;
        rules.insert(libc::SYS_socket, vec![rule(vec![dword(0, Op::Eq, vsock)])]);
        rules.insert(
            libc::SYS_socketpair,
            vec![rule(vec![dword(0, Op::Eq, vsock)])],
        );
    }
    rules
}

#[cfg(target_arch = "x86_64")]
const ARCH: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: TargetArch = TargetArch::aarch64;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

/// The main filter as BPF.
pub fn main_program(options: SeccompOptions) -> Result<BpfProgram, seccompiler::BackendError> {
    let filter = SeccompFilter::new(
        filter_rules(options),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        ARCH,
    )?;
    filter.try_into()
}

/// The hand-written guard: x32 numbers → `EPERM`, `clone3` → `ENOSYS`.
pub fn guard_program() -> BpfProgram {
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const JGE_K: u16 = 0x35;
    const RET_K: u16 = 0x06;
    let stmt = |code: u16, k: u32| sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |code: u16, k: u32, jt: u8, jf: u8| sock_filter { code, jt, jf, k };
    let errno = |errno: i32| libc::SECCOMP_RET_ERRNO | (errno as u32 & libc::SECCOMP_RET_DATA);
    let clone3 = libc::SYS_clone3 as u32;

    let mut body = vec![stmt(LD_W_ABS, 0)]; // the system call number
    if cfg!(target_arch = "x86_64") {
        body.push(jump(JGE_K, 0x4000_0000, 0, 1));
        body.push(stmt(RET_K, errno(libc::EPERM)));
    }
    body.push(jump(JEQ_K, clone3, 0, 1));
    body.push(stmt(RET_K, errno(libc::ENOSYS)));
    let allow = stmt(RET_K, libc::SECCOMP_RET_ALLOW);

    let mut program = vec![
        stmt(LD_W_ABS, 4), // the architecture
        // Another architecture skips the body; the main filter kills it.
        jump(
            JEQ_K,
            AUDIT_ARCH,
            0,
            u8::try_from(body.len()).expect("the body is a few instructions"),
        ),
    ];
    program.extend(body);
    program.push(allow);
    program
}

/// Install the guard and the main filter on the calling thread (sets
/// `PR_SET_NO_NEW_PRIVS` first). Inherited by every child and kept across
/// `exec`.
pub fn install(options: SeccompOptions) -> Result<(), String> {
    let main = main_program(options).map_err(|error| format!("building the filter: {error}"))?;
    seccompiler::apply_filter(&guard_program())
        .map_err(|error| format!("installing the guard filter: {error}"))?;
    seccompiler::apply_filter(&main).map_err(|error| format!("installing the filter: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_network_rules_follow_the_option() {
        let off = filter_rules(SeccompOptions {
            network_disabled: true,
            deny_truncate: false,
            deny_metadata_changes: false,
        });
        let on = filter_rules(SeccompOptions {
            network_disabled: false,
            deny_truncate: true,
            deny_metadata_changes: true,
        });
        for syscall in [libc::SYS_connect, libc::SYS_bind, libc::SYS_listen] {
            assert_eq!(off.get(&syscall), Some(&Vec::new()), "{syscall}");
            assert_eq!(on.get(&syscall), None, "{syscall}");
        }
        assert_eq!(off[&libc::SYS_socket].len(), 2);
        assert_eq!(on[&libc::SYS_socket].len(), 1);
        assert_eq!(off.get(&libc::SYS_truncate), None);
        assert_eq!(on.get(&libc::SYS_truncate), Some(&Vec::new()));
        assert_eq!(off.get(&libc::SYS_fchmodat), None);
        assert_eq!(on.get(&libc::SYS_fchmodat), Some(&Vec::new()));
        for syscall in always_denied() {
            assert_eq!(off.get(&syscall), Some(&Vec::new()), "{syscall}");
            assert_eq!(on.get(&syscall), Some(&Vec::new()), "{syscall}");
        }
    }

    #[test]
    fn both_programs_compile() {
        for network_disabled in [true, false] {
            let program = main_program(SeccompOptions {
                network_disabled,
                deny_truncate: true,
                deny_metadata_changes: true,
            })
            .expect("compiles");
            assert!(program.len() > 50);
        }
        let guard = guard_program();
        // The architecture jump lands exactly on the final "allow".
        let skip = usize::from(guard[1].jf);
        assert_eq!(guard[2 + skip], guard[guard.len() - 1]);
        assert_eq!(guard[guard.len() - 1].k, libc::SECCOMP_RET_ALLOW);
    }
}
