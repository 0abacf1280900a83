//! A classic BPF interpreter for the opcodes `bpf.rs` emits, and the direct
//! evaluation of a [`Filter`]: tests run compiled programs on calls with
//! both and compare the answers. Test-only; not a general BPF machine.

use super::{AND_K, Cmp, Cond, Filter, JEQ_K, JGE_K, JSET_K, LD_W_ABS, RET_K, Width, errno};
use libc::sock_filter;

/// The part of the kernel's `struct seccomp_data` a filter sees.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub nr: i32,
    pub arch: u32,
    pub args: [u64; 6],
}

/// Run `program` on `call` as the kernel would (only the opcodes this
/// module emits; anything else fails the test).
pub fn run(program: &[sock_filter], call: &Call) -> u32 {
    let mut data = [0u8; 64];
    data[0..4].copy_from_slice(&call.nr.to_ne_bytes());
    data[4..8].copy_from_slice(&call.arch.to_ne_bytes());
    for (index, arg) in call.args.iter().enumerate() {
        data[16 + 8 * index..24 + 8 * index].copy_from_slice(&arg.to_ne_bytes());
    }
    let (mut accumulator, mut pc) = (0u32, 0usize);
    loop {
        let instruction = program[pc];
        pc += 1;
        let k = instruction.k;
        let taken = match instruction.code {
            LD_W_ABS => {
                let at = k as usize;
                assert!(at.is_multiple_of(4) && at + 4 <= data.len(), "load at {at}");
                let word = data[at..at + 4].try_into().expect("four bytes");
                accumulator = u32::from_ne_bytes(word);
                continue;
            }
            AND_K => {
                accumulator &= k;
                continue;
            }
            RET_K => return k,
            JEQ_K => accumulator == k,
            JGE_K => accumulator >= k,
            JSET_K => accumulator & k != 0,
            code => panic!("unexpected opcode {code:#x} at {}", pc - 1),
        };
        pc += usize::from(if taken {
            instruction.jt
        } else {
            instruction.jf
        });
    }
}

/// What `filter` means, evaluated directly on `call`.
pub fn decide(filter: &Filter, call: &Call) -> u32 {
    let nr = i64::from(call.nr);
    if call.arch != filter.arch {
        return libc::SECCOMP_RET_KILL_PROCESS;
    }
    if filter
        .refuse_from
        .is_some_and(|from| call.nr as u32 >= from)
    {
        return errno(libc::EPERM);
    }
    if filter.enosys.contains(&nr) {
        return errno(libc::ENOSYS);
    }
    let holds = |cond: &Cond| {
        let cut = |value: u64| match cond.width {
            Width::Dword => value & 0xffff_ffff,
            Width::Qword => value,
        };
        let arg = cut(call.args[usize::from(cond.arg)]);
        match cond.cmp {
            Cmp::Eq(value) => arg == cut(value),
            Cmp::Ne(value) => arg != cut(value),
            Cmp::MaskedEq { mask, value } => arg & cut(mask) == cut(value) & cut(mask),
            Cmp::AnySet(mask) => arg & cut(mask) != 0,
        }
    };
    let matches = |rules: &Vec<super::Rule>| {
        rules.is_empty() || rules.iter().any(|rule| rule.0.iter().all(holds))
    };
    if let Some(rules) = filter.refuse.get(&nr) {
        // A call in both tables is refused when its refusal rules hold and
        // otherwise allowed: the notify rules are not consulted.
        return if matches(rules) {
            errno(libc::EPERM)
        } else {
            libc::SECCOMP_RET_ALLOW
        };
    }
    match filter.notify.get(&nr) {
        Some(rules) if matches(rules) => libc::SECCOMP_RET_USER_NOTIF,
        _ => libc::SECCOMP_RET_ALLOW,
    }
}
