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
//! Two answers are not `EPERM`. On x86_64 the x32 system call numbers
//! (same architecture tag, numbers with bit 30 set) are refused whatever
//! they are, since the rules name the 64-bit numbers only. `clone3` gets
//! `ENOSYS`: its flags sit in memory a filter cannot read, and `ENOSYS`
//! makes libc fall back to `clone`, whose flags are checked. A call from
//! another architecture (i386 through `int 0x80`) kills the process.
//!
//! [`filter_rules`] is the one statement of the policy; `bpf.rs` compiles it
//! with the architecture, x32 and `clone3` answers into one short program
//! (about 90 instructions), which [`install`] installs with one `seccomp(2)`
//! call: the kernel's cost of installing a filter grows with its length and
//! each filter has a fixed cost, and the helper installs one before every
//! command.
//!
//! This module does not decide when to install (that is `helper.rs`).
#![cfg(target_os = "linux")]
#![allow(unsafe_code)]

pub use crate::bpf::{Cmp, CompileError, Cond, Rule, Width};
use crate::bpf::{Filter, compile};
use libc::sock_filter;
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
    /// Hand the calls that create, remove, rename or open for writing a
    /// directory entry to the supervisor ([`entry_calls`]): under Landlock
    /// it performs those its policy allows on the command's behalf
    /// (`entries.rs`).
    pub notify_entries: bool,
}

/// Write access or creation in `open` flags: `O_WRONLY`, `O_RDWR`,
/// `O_CREAT`, `O_TRUNC`.
pub const OPEN_WRITE_FLAGS: u64 =
    (libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC) as u64;

/// The calls handed to the supervisor when [`SeccompOptions::notify_entries`]
/// is set: every call that makes, removes or renames a directory entry, and
/// `open` with write access or creation (an `open` for reading never is),
/// `truncate` by path, and `chmod` and `chown` in all their forms.
/// `openat2` is handed over whatever its flags, which sit in memory.
pub fn entry_calls() -> BTreeMap<i64, Vec<Rule>> {
    let writes = |arg: u8| vec![Rule(vec![dword(arg, Cmp::AnySet(OPEN_WRITE_FLAGS))])];
    let mut calls = BTreeMap::from([
        (libc::SYS_openat, writes(2)),
        (libc::SYS_openat2, Vec::new()),
        (libc::SYS_mkdirat, Vec::new()),
        (libc::SYS_mknodat, Vec::new()),
        (libc::SYS_unlinkat, Vec::new()),
        (libc::SYS_renameat, Vec::new()),
        (libc::SYS_renameat2, Vec::new()),
        (libc::SYS_linkat, Vec::new()),
        (libc::SYS_symlinkat, Vec::new()),
        // Refused outright instead when Landlock cannot judge it (ABI < 3).
        (libc::SYS_truncate, Vec::new()),
    ]);
    // Landlock cannot judge these at all: the service allows them on
    // writable entries and refuses the rest.
    for syscall in metadata_changes() {
        calls.insert(syscall, Vec::new());
    }
    #[cfg(target_arch = "x86_64")]
    {
        calls.insert(libc::SYS_open, writes(1));
        for syscall in [
            libc::SYS_creat,
            libc::SYS_mkdir,
            libc::SYS_mknod,
            libc::SYS_rmdir,
            libc::SYS_unlink,
            libc::SYS_rename,
            libc::SYS_link,
            libc::SYS_symlink,
        ] {
            calls.insert(syscall, Vec::new());
        }
    }
    calls
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

fn dword(arg: u8, cmp: Cmp) -> Cond {
    Cond {
        arg,
        width: Width::Dword,
        cmp,
    }
}
/// The calls refused with `EPERM`: system call number → rules, any of
/// which holding refuses the call (an empty list refuses it outright).
pub fn filter_rules(options: SeccompOptions) -> BTreeMap<i64, Vec<Rule>> {
    let mut rules: BTreeMap<i64, Vec<Rule>> = always_denied()
        .into_iter()
        .map(|syscall| (syscall, Vec::new()))
        .collect();

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
                Rule(vec![dword(
                    0,
                    Cmp::MaskedEq {
                        mask: flag,
                        value: flag,
                    },
                )])
            })
            .collect(),
    );
    rules.insert(
        libc::SYS_personality,
        vec![Rule(vec![
            dword(0, Cmp::Ne(0)),
            dword(0, Cmp::Ne(0x0008)),
            dword(0, Cmp::Ne(0xffff_ffff)),
        ])],
    );
    rules.insert(
        libc::SYS_ioctl,
        vec![
            Rule(vec![dword(1, Cmp::Eq(TIOCSTI))]),
            Rule(vec![dword(1, Cmp::Eq(TIOCLINUX))]),
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
    let sock_type = |value: i32| {
        dword(
            1,
            Cmp::MaskedEq {
                mask: 0xf,
                value: value as u64,
            },
        )
    };
    if options.network_disabled {
        let family_rules = || {
            vec![
                Rule(vec![dword(0, Cmp::Ne(af_unix))]),
                Rule(vec![
                    dword(0, Cmp::Eq(af_unix)),
                    sock_type(libc::SOCK_DGRAM),
                ]),
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
            vec![Rule(vec![Cond {
                arg: 4,
                width: Width::Qword,
                cmp: Cmp::Ne(0),
            }])],
        );
    } else {
        let vsock = libc::AF_VSOCK as u64;
        for syscall in [libc::SYS_socket, libc::SYS_socketpair] {
            rules.insert(syscall, vec![Rule(vec![dword(0, Cmp::Eq(vsock))])]);
        }
    }
    rules
}

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

/// The x32 ABI's bit in x86_64 system call numbers.
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: Option<u32> = Some(0x4000_0000);
#[cfg(target_arch = "aarch64")]
const X32_SYSCALL_BIT: Option<u32> = None;

/// The whole filter as one BPF program.
pub fn program(options: SeccompOptions) -> Result<Vec<sock_filter>, CompileError> {
    compile(&filter(options))
}

fn filter(options: SeccompOptions) -> Filter {
    Filter {
        arch: AUDIT_ARCH,
        refuse_from: X32_SYSCALL_BIT,
        enosys: vec![libc::SYS_clone3],
        refuse: filter_rules(options),
        notify: if options.notify_entries {
            entry_calls()
        } else {
            BTreeMap::new()
        },
    }
}

/// Install the filter on the calling thread (sets `PR_SET_NO_NEW_PRIVS`
/// first). Inherited by every child and kept across `exec`.
pub fn install(options: SeccompOptions) -> Result<(), String> {
    let program = program(options).map_err(|error| format!("building the filter: {error}"))?;
    install_program(&program)
}

/// Install an already compiled [`program`] on the calling thread (sets
/// `PR_SET_NO_NEW_PRIVS` first). Makes two system calls and allocates
/// nothing, so a child can call it between `fork` and `exec`.
pub fn install_program(program: &[sock_filter]) -> Result<(), String> {
    install_with_flags(program, 0)
        .map(drop)
        .map_err(|(message, _)| message)
}

/// [`install_program`] for a program that hands calls to a supervisor:
/// returns the listener the supervisor receives them from (close-on-exec;
/// the caller must pass it on and close it before it runs anything), or
/// `None`, having installed nothing, when this process already answers to
/// another supervisor (the kernel allows one listener per process tree:
/// a sandbox inside a sandbox).
pub fn install_program_with_listener(
    program: &[sock_filter],
) -> Result<Option<std::os::fd::OwnedFd>, String> {
    use std::os::fd::FromRawFd;
    match install_with_flags(
        program,
        libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as libc::c_uint,
    ) {
        // SAFETY: with NEW_LISTENER, seccomp returns a new descriptor that
        // nothing else owns.
        Ok(fd) => Ok(Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })),
        Err((_, Some(libc::EBUSY))) => Ok(None),
        Err((message, _)) => Err(message),
    }
}

/// Install `program` with `flags`: the call's result, or what failed and
/// its errno.
fn install_with_flags(
    program: &[sock_filter],
    flags: libc::c_uint,
) -> Result<i32, (String, Option<i32>)> {
    let len = u16::try_from(program.len()).map_err(|_| {
        let message = format!("the filter has {} instructions, too many", program.len());
        (message, None)
    })?;
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integer arguments only.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        let error = std::io::Error::last_os_error();
        let errno = error.raw_os_error();
        return Err((format!("setting `PR_SET_NO_NEW_PRIVS`: {error}"), errno));
    }
    let fprog = libc::sock_fprog {
        len,
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: the kernel copies `len` instructions from `fprog.filter`, which
    // `program` owns and keeps alive past the call; it only reads them and
    // keeps no pointer.
    let result = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            &raw const fprog,
        )
    };
    if result < 0 {
        let error = std::io::Error::last_os_error();
        let errno = error.raw_os_error();
        return Err((format!("installing the filter: {error}"), errno));
    }
    Ok(i32::try_from(result).unwrap_or(-1))
}

#[cfg(test)]
mod tests;
