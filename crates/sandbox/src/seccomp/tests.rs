use super::*;
use crate::bpf::interpreter::{Call, decide, run};
use pretty_assertions::assert_eq;

#[test]
fn the_network_rules_follow_the_option() {
    let off = filter_rules(SeccompOptions {
        network_disabled: true,
        deny_truncate: false,
        deny_metadata_changes: false,
        notify_entries: false,
    });
    let on = filter_rules(SeccompOptions {
        network_disabled: false,
        deny_truncate: true,
        deny_metadata_changes: true,
        notify_entries: true,
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

fn all_options() -> Vec<SeccompOptions> {
    let flags = [true, false];
    let mut all = Vec::new();
    for network_disabled in flags {
        for deny_truncate in flags {
            for deny_metadata_changes in flags {
                for notify_entries in flags {
                    all.push(SeccompOptions {
                        network_disabled,
                        deny_truncate,
                        deny_metadata_changes,
                        notify_entries,
                    });
                }
            }
        }
    }
    all
}

#[test]
fn the_program_is_short() {
    for options in all_options() {
        let length = program(options).expect("compiles").len();
        assert!(length <= 130, "{options:?}: {length} instructions");
    }
}

const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const EPERM: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
const ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
const KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;

fn call(nr: i64, args: [u64; 6]) -> Call {
    Call {
        nr: nr as i32,
        arch: AUDIT_ARCH,
        args,
    }
}

/// Run the compiled program and the direct evaluation of the rules on
/// `call`; both must give `expected`.
fn check(options: SeccompOptions, call: &Call, expected: u32) {
    let program = program(options).expect("compiles");
    let decisions = (run(&program, call), decide(&filter(options), call));
    assert_eq!(decisions, (expected, expected), "{options:?} {call:?}");
}

/// Calls near each rule's edge: (call, answer with the network off,
/// answer with it on).
fn edge_cases() -> Vec<(Call, u32, u32)> {
    let (unix, inet, vsock) = (
        libc::AF_UNIX as u64,
        libc::AF_INET as u64,
        libc::AF_VSOCK as u64,
    );
    let (stream, dgram) = (libc::SOCK_STREAM as u64, libc::SOCK_DGRAM as u64);
    let cloexec = libc::SOCK_CLOEXEC as u64;
    let mut cases = Vec::new();
    for nr in [libc::SYS_socket, libc::SYS_socketpair] {
        cases.extend([
            (call(nr, [unix, stream, 0, 0, 0, 0]), ALLOW, ALLOW),
            (call(nr, [unix, stream | cloexec, 0, 0, 0, 0]), ALLOW, ALLOW),
            (
                call(nr, [unix, libc::SOCK_SEQPACKET as u64, 0, 0, 0, 0]),
                ALLOW,
                ALLOW,
            ),
            // `int` arguments: the high half is not the family.
            (call(nr, [1 << 32 | unix, stream, 0, 0, 0, 0]), ALLOW, ALLOW),
            (call(nr, [unix, dgram | cloexec, 0, 0, 0, 0]), EPERM, ALLOW),
            (call(nr, [unix, dgram, 0, 0, 0, 0]), EPERM, ALLOW),
            (call(nr, [inet, stream, 0, 0, 0, 0]), EPERM, ALLOW),
            (
                call(nr, [libc::AF_INET6 as u64, dgram, 0, 0, 0, 0]),
                EPERM,
                ALLOW,
            ),
            (
                call(nr, [libc::AF_NETLINK as u64, dgram, 0, 0, 0, 0]),
                EPERM,
                ALLOW,
            ),
            (call(nr, [vsock, stream, 0, 0, 0, 0]), EPERM, EPERM),
        ]);
    }
    let sendto = |dest: u64| call(libc::SYS_sendto, [3, 0x7fff_1000, 5, 0, dest, 16]);
    cases.extend([
        (
            call(libc::SYS_sendto, [3, 0x7fff_1000, 5, 0, 0, 0]),
            ALLOW,
            ALLOW,
        ),
        (sendto(0x7fff_2000), EPERM, ALLOW),
        (sendto(0x7fff_0000_0000), EPERM, ALLOW),
        (sendto(1 << 32), EPERM, ALLOW),
    ]);
    for nr in [
        libc::SYS_connect,
        libc::SYS_bind,
        libc::SYS_listen,
        libc::SYS_accept,
        libc::SYS_accept4,
        libc::SYS_sendmmsg,
    ] {
        cases.push((call(nr, [3, 0x7fff_1000, 16, 0, 0, 0]), EPERM, ALLOW));
    }
    let sigchld = libc::SIGCHLD as u64;
    for flag in [
        libc::CLONE_NEWNS,
        libc::CLONE_NEWCGROUP,
        libc::CLONE_NEWUTS,
        libc::CLONE_NEWIPC,
        libc::CLONE_NEWUSER,
        libc::CLONE_NEWPID,
        libc::CLONE_NEWNET,
    ] {
        let flags = flag as u32 as u64 | sigchld;
        cases.push((call(libc::SYS_clone, [flags, 0, 0, 0, 0, 0]), EPERM, EPERM));
    }
    let thread = (libc::CLONE_VM
        | libc::CLONE_FS
        | libc::CLONE_FILES
        | libc::CLONE_SIGHAND
        | libc::CLONE_THREAD
        | libc::CLONE_SYSVSEM
        | libc::CLONE_SETTLS
        | libc::CLONE_PARENT_SETTID
        | libc::CLONE_CHILD_CLEARTID) as u64;
    cases.extend([
        (
            call(libc::SYS_clone, [thread, 0x7fff_1000, 0, 0, 0, 0]),
            ALLOW,
            ALLOW,
        ),
        (
            call(libc::SYS_clone, [sigchld, 0, 0, 0, 0, 0]),
            ALLOW,
            ALLOW,
        ),
    ]);
    for (persona, answer) in [
        (0, ALLOW),
        (0x0008, ALLOW),
        (0xffff_ffff, ALLOW),
        (0x0040000, EPERM),
        (0x0400000, EPERM),
        (0x0008 | 0x0040000, EPERM),
    ] {
        cases.push((
            call(libc::SYS_personality, [persona, 0, 0, 0, 0, 0]),
            answer,
            answer,
        ));
    }
    for (request, answer) in [
        (TIOCSTI, EPERM),
        (TIOCLINUX, EPERM),
        (0x5401, ALLOW), // TCGETS
        (0x541B, ALLOW), // FIONREAD
    ] {
        cases.push((
            call(libc::SYS_ioctl, [1, request, 0, 0, 0, 0]),
            answer,
            answer,
        ));
    }
    for nr in always_denied() {
        cases.push((call(nr, [0; 6]), EPERM, EPERM));
    }
    cases.push((call(libc::SYS_read, [0; 6]), ALLOW, ALLOW));
    cases
}

#[test]
fn calls_near_each_rule_get_the_policy_answer() {
    for options in all_options() {
        for (call, network_off, network_on) in edge_cases() {
            let expected = if options.network_disabled {
                network_off
            } else {
                network_on
            };
            check(options, &call, expected);
        }
    }
}

#[test]
fn landlock_options_refuse_truncate_and_metadata_changes() {
    for options in all_options() {
        let answer = |refused: bool| if refused { EPERM } else { ALLOW };
        let truncate = match (options.deny_truncate, options.notify_entries) {
            (true, _) => EPERM,
            (false, true) => NOTIFY,
            (false, false) => ALLOW,
        };
        check(options, &call(libc::SYS_truncate, [0; 6]), truncate);
        for nr in metadata_changes() {
            if !options.notify_entries {
                check(
                    options,
                    &call(nr, [0; 6]),
                    answer(options.deny_metadata_changes),
                );
            }
        }
    }
}

const NOTIFY: u32 = libc::SECCOMP_RET_USER_NOTIF;

#[test]
fn entry_calls_go_to_the_supervisor_and_opens_only_for_writing() {
    for options in all_options() {
        let notified = |yes: bool| if yes { NOTIFY } else { ALLOW };
        let on = options.notify_entries;
        let flags = [
            (libc::O_RDONLY, false),
            (libc::O_RDONLY | libc::O_CLOEXEC | libc::O_DIRECTORY, false),
            (libc::O_WRONLY, true),
            (libc::O_RDWR, true),
            (libc::O_RDONLY | libc::O_CREAT, true),
            (libc::O_RDONLY | libc::O_TRUNC, true),
            (
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
                true,
            ),
        ];
        for (flag, writes) in flags {
            let flag = flag as u64;
            check(
                options,
                &call(libc::SYS_openat, [0, 0, flag, 0, 0, 0]),
                notified(on && writes),
            );
            // The high half of an `int` argument is not looked at.
            check(
                options,
                &call(libc::SYS_openat, [0, 0, flag | 0xffff_0000_0000, 0, 0, 0]),
                notified(on && writes),
            );
            #[cfg(target_arch = "x86_64")]
            check(
                options,
                &call(libc::SYS_open, [0, flag, 0, 0, 0, 0]),
                notified(on && writes),
            );
        }
        let mut always = vec![
            libc::SYS_openat2,
            libc::SYS_mkdirat,
            libc::SYS_mknodat,
            libc::SYS_unlinkat,
            libc::SYS_renameat,
            libc::SYS_renameat2,
            libc::SYS_linkat,
            libc::SYS_symlinkat,
        ];
        #[cfg(target_arch = "x86_64")]
        always.extend([
            libc::SYS_creat,
            libc::SYS_mkdir,
            libc::SYS_mknod,
            libc::SYS_rmdir,
            libc::SYS_unlink,
            libc::SYS_rename,
            libc::SYS_link,
            libc::SYS_symlink,
        ]);
        for nr in always {
            check(options, &call(nr, [0; 6]), notified(on));
        }
        // A refusal wins over handing a call to the supervisor.
        for nr in metadata_changes() {
            let expected = match (options.deny_metadata_changes, on) {
                (true, _) => EPERM,
                (false, true) => NOTIFY,
                (false, false) => ALLOW,
            };
            check(options, &call(nr, [0; 6]), expected);
        }
        check(options, &call(libc::SYS_read, [0; 6]), ALLOW);
    }
}

#[test]
fn every_system_call_decides_like_the_rules() {
    let argument_sets: Vec<[u64; 6]> = std::iter::once([0; 6])
        .chain(edge_cases().into_iter().map(|(call, _, _)| call.args))
        .collect();
    for options in all_options() {
        let program = program(options).expect("compiles");
        let filter = filter(options);
        for nr in 0..=460 {
            for args in &argument_sets {
                let call = call(nr, *args);
                assert_eq!(
                    run(&program, &call),
                    decide(&filter, &call),
                    "{options:?} {call:?}"
                );
            }
        }
    }
}

#[test]
fn clone3_gets_enosys_and_another_architecture_is_killed() {
    for options in all_options() {
        check(options, &call(libc::SYS_clone3, [0; 6]), ENOSYS);
        for arch in [0x4000_0003, 0xC000_003E, 0xC000_00B7] {
            if arch != AUDIT_ARCH {
                let other = Call {
                    arch,
                    ..call(libc::SYS_read, [0; 6])
                };
                check(options, &other, KILL);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn x32_numbers_are_refused() {
    for options in all_options() {
        for nr in (0..=460).chain([libc::SYS_clone3]) {
            check(options, &call(nr | 0x4000_0000, [0; 6]), EPERM);
        }
    }
}
