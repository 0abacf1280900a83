//! A compiler from a table of system call rules ([`Filter`]) to one classic
//! BPF program for seccomp. Its label-based assembler is `bpf/assembler.rs`;
//! `bpf/interpreter.rs` runs programs in tests.
//!
//! The program it emits reads, in order:
//!
//! ```text
//!   ld arch; jeq ARCH or → kill           any other architecture is killed
//!   ld nr;   jge FROM → deny              (x86_64: the x32 numbers)
//!            jeq N → enosys               (clone3)
//!            jeq N1 → block1 ...          calls with conditions first, then
//!            jeq Nk → deny or → allow     the calls refused (or notified) outright
//!   block1:  tests of argument words → deny (or notify) or → allow
//!   allow: ret ALLOW   deny: ret ERRNO(EPERM)   enosys: ret ERRNO(ENOSYS)   kill: ret KILL_PROCESS
//!   notify: ret USER_NOTIF                (the supervisor answers)
//! ```
//!
//! A linear dispatch is enough: the kernel's seccomp action cache answers the
//! calls the filter allows whatever their arguments without running it, so
//! only calls with conditions and refused calls walk the chain, and the ones
//! with conditions come first. Blocks with the same rules (`socket`,
//! `socketpair`) are emitted once. An argument is read as two 32-bit words,
//! the low one at `16 + 8 * n` and the high one 4 bytes above: little-endian
//! only, which x86_64 and aarch64 are. The assembler tracks which word the
//! accumulator holds along every path, so testing one argument several times
//! loads it once. Jumps go to labels resolved at the end; a jump classic BPF
//! cannot encode (backwards, past the end, or more than 255 instructions
//! ahead) is a [`CompileError`], never a wrapped offset. On x86_64 the policy
//! compiles to 65 to 89 instructions, so every jump fits with room to spare.
//!
//! This module is not the policy (that is `seccomp.rs`) and installs nothing.

mod assembler;
#[cfg(test)]
pub(crate) mod interpreter;

use assembler::{Assembler, Label, Target};
use libc::sock_filter;
use std::collections::BTreeMap;

/// Which part of a 64-bit argument a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// The low 32 bits of the argument against the low 32 bits of the
    /// constant: for C `int` arguments, whose high half is not defined.
    Dword,
    /// All 64 bits: for pointers and sizes.
    Qword,
}

/// A comparison of an argument with a constant (both cut to the [`Width`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq(u64),
    Ne(u64),
    /// `argument & mask == value & mask`.
    MaskedEq {
        mask: u64,
        value: u64,
    },
    /// `argument & mask != 0`: any of the mask's bits set.
    AnySet(u64),
}

/// One test of one argument (`arg` is 0 to 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cond {
    pub arg: u8,
    pub width: Width,
    pub cmp: Cmp,
}

/// Holds when all its conditions hold (so a rule without any always holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule(pub Vec<Cond>);

/// Everything one program decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The `AUDIT_ARCH_*` value calls must carry; any other architecture
    /// kills the process.
    pub arch: u32,
    /// System call numbers at or above this are refused with `EPERM`.
    pub refuse_from: Option<u32>,
    /// System calls answered with `ENOSYS`.
    pub enosys: Vec<i64>,
    /// System calls refused with `EPERM`: an empty list refuses the call
    /// outright, otherwise any rule that holds refuses it. Every other call
    /// is allowed.
    pub refuse: BTreeMap<i64, Vec<Rule>>,
    /// System calls handed to the supervisor (`SECCOMP_RET_USER_NOTIF`),
    /// by the same rules as `refuse`; a call in both is refused.
    pub notify: BTreeMap<i64, Vec<Rule>>,
}

/// Why a [`Filter`] could not become a program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error(
        "the seccomp filter needs a jump from instruction {from} to {to}, which classic BPF \
         cannot encode (forward only, at most 255 instructions); split the rules"
    )]
    Jump { from: usize, to: usize },
    #[error("a seccomp rule tests argument {arg}, but system calls have arguments 0 to 5")]
    Argument { arg: u8 },
    #[error("`{nr}` is not a system call number")]
    SyscallNumber { nr: i64 },
}

// Offsets into the kernel's `struct seccomp_data`.
const NR_OFFSET: u32 = 0;
const ARCH_OFFSET: u32 = 4;
const ARGS_OFFSET: u32 = 16;

// The opcodes this module emits.
const LD_W_ABS: u16 = 0x20;
const AND_K: u16 = 0x54;
const JEQ_K: u16 = 0x15;
const JGE_K: u16 = 0x35;
const JSET_K: u16 = 0x45;
const RET_K: u16 = 0x06;

const fn errno(errno: i32) -> u32 {
    libc::SECCOMP_RET_ERRNO | (errno as u32 & libc::SECCOMP_RET_DATA)
}

/// Compile `filter` into one program (layout in the module doc).
pub fn compile(filter: &Filter) -> Result<Vec<sock_filter>, CompileError> {
    let mut asm = Assembler::default();
    let (allow, deny, enosys, kill) = (asm.label(), asm.label(), asm.label(), asm.label());
    let notify = asm.label();

    asm.load(ARCH_OFFSET);
    asm.jump(JEQ_K, filter.arch, Target::Next, kill.into());
    asm.load(NR_OFFSET);
    if let Some(from) = filter.refuse_from {
        asm.jump(JGE_K, from, deny.into(), Target::Next);
    }
    for &nr in &filter.enosys {
        asm.jump(JEQ_K, syscall_number(nr)?, enosys.into(), Target::Next);
    }

    // Each call goes to one block of rules (shared by calls with the same
    // rules and action) or straight to its action.
    let mut blocks: Vec<(&[Rule], Label, Label)> = Vec::new();
    let mut conditional = Vec::new();
    let mut outright = Vec::new();
    let notified = filter
        .notify
        .iter()
        .filter(|(nr, _)| !filter.refuse.contains_key(nr))
        .map(|(nr, rules)| (nr, rules, notify));
    let refused = filter.refuse.iter().map(|(nr, rules)| (nr, rules, deny));
    for (&nr, rules, action) in refused.chain(notified) {
        let nr = syscall_number(nr)?;
        if rules.is_empty() || rules.iter().any(|rule| rule.0.is_empty()) {
            outright.push((nr, action));
            continue;
        }
        let block = match blocks
            .iter()
            .find(|(other, _, other_action)| *other == rules.as_slice() && *other_action == action)
        {
            Some(&(_, block, _)) => block,
            None => {
                let block = asm.label();
                blocks.push((rules, block, action));
                block
            }
        };
        conditional.push((nr, block));
    }
    let dispatch: Vec<_> = conditional.into_iter().chain(outright).collect();
    for (index, &(nr, target)) in dispatch.iter().enumerate() {
        let otherwise = if index + 1 == dispatch.len() {
            allow.into()
        } else {
            Target::Next
        };
        asm.jump(JEQ_K, nr, target.into(), otherwise);
    }

    for (rules, block, action) in blocks {
        asm.bind(block);
        for (index, rule) in rules.iter().enumerate() {
            let misses = if index + 1 == rules.len() {
                allow
            } else {
                asm.label()
            };
            for (cond_index, cond) in rule.0.iter().enumerate() {
                if cond_index + 1 == rule.0.len() {
                    compile_condition(&mut asm, cond, action, misses)?;
                } else {
                    let holds = asm.label();
                    compile_condition(&mut asm, cond, holds, misses)?;
                    asm.bind(holds);
                }
            }
            if misses != allow {
                asm.bind(misses);
            }
        }
    }

    asm.bind(allow);
    asm.ret(libc::SECCOMP_RET_ALLOW);
    asm.bind(deny);
    asm.ret(errno(libc::EPERM));
    asm.bind(enosys);
    asm.ret(errno(libc::ENOSYS));
    asm.bind(kill);
    asm.ret(libc::SECCOMP_RET_KILL_PROCESS);
    if !filter.notify.is_empty() {
        asm.bind(notify);
        asm.ret(libc::SECCOMP_RET_USER_NOTIF);
    }
    asm.finish()
}

fn syscall_number(nr: i64) -> Result<u32, CompileError> {
    u32::try_from(nr).map_err(|_| CompileError::SyscallNumber { nr })
}

/// Jump to `holds` when `cond` holds, to `misses` when not.
fn compile_condition(
    asm: &mut Assembler,
    cond: &Cond,
    holds: Label,
    misses: Label,
) -> Result<(), CompileError> {
    if cond.arg > 5 {
        return Err(CompileError::Argument { arg: cond.arg });
    }
    let low = ARGS_OFFSET + 8 * u32::from(cond.arg);
    let high = low + 4;
    let qword = cond.width == Width::Qword;
    let (holds, misses) = (Target::from(holds), Target::from(misses));
    match cond.cmp {
        Cmp::Eq(value) => {
            if qword {
                asm.load(high);
                asm.jump(JEQ_K, high_word(value), Target::Next, misses);
            }
            asm.load(low);
            asm.jump(JEQ_K, value as u32, holds, misses);
        }
        Cmp::Ne(value) => {
            if qword {
                asm.load(high);
                asm.jump(JEQ_K, high_word(value), Target::Next, holds);
            }
            asm.load(low);
            asm.jump(JEQ_K, value as u32, misses, holds);
        }
        Cmp::AnySet(mask) => {
            if qword {
                asm.load(high);
                asm.jump(JSET_K, high_word(mask), holds, Target::Next);
            }
            asm.load(low);
            asm.jump(JSET_K, mask as u32, holds, misses);
        }
        Cmp::MaskedEq { mask, value } => {
            if qword {
                let (mask, value) = (high_word(mask), high_word(value));
                masked_word(asm, high, mask, value, Target::Next, misses);
            }
            masked_word(asm, low, mask as u32, value as u32, holds, misses);
        }
    }
    Ok(())
}

fn high_word(value: u64) -> u32 {
    (value >> 32) as u32
}

/// `word & mask == value & mask`, with the cheapest test that says it.
fn masked_word(
    asm: &mut Assembler,
    offset: u32,
    mask: u32,
    value: u32,
    holds: Target,
    misses: Target,
) {
    let value = value & mask;
    asm.load(offset);
    if value == 0 {
        // No bit of the mask set (with an empty mask, `jset` never jumps).
        asm.jump(JSET_K, mask, misses, holds);
    } else if value == mask && mask.is_power_of_two() {
        asm.jump(JSET_K, mask, holds, misses);
    } else if mask == u32::MAX {
        asm.jump(JEQ_K, value, holds, misses);
    } else {
        asm.and(mask);
        asm.jump(JEQ_K, value, holds, misses);
    }
}

#[cfg(test)]
mod tests;
