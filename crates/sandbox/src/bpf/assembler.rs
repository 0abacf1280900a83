//! The assembler under `bpf.rs`: instructions with jumps to labels, resolved
//! into classic BPF offsets at the end, and the dataflow that lets a load be
//! skipped when the accumulator holds the word on every path to it.
//!
//! Classic BPF jumps forward only, by at most 255 instructions (`jt`/`jf`
//! are one byte); [`Assembler::finish`] returns [`CompileError::Jump`] for
//! anything else rather than a wrapped offset. It knows no seccomp policy.

use super::{AND_K, CompileError, LD_W_ABS, RET_K};
use libc::sock_filter;

/// A place in the program, bound once, that jumps name before it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Label(usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// The instruction right after the jump.
    Next,
    Label(Label),
}

impl From<Label> for Target {
    fn from(label: Label) -> Self {
        Target::Label(label)
    }
}

/// What the accumulator holds when control reaches a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Accumulator {
    /// No path reaches the point (yet).
    Unreachable,
    #[default]
    Unknown,
    /// The 32-bit word of `seccomp_data` at this offset, on every path.
    Word(u32),
}

impl Accumulator {
    fn meet(self, other: Accumulator) -> Accumulator {
        match (self, other) {
            (Accumulator::Unreachable, other) | (other, Accumulator::Unreachable) => other,
            (Accumulator::Word(a), Accumulator::Word(b)) if a == b => self,
            _ => Accumulator::Unknown,
        }
    }
}

enum Instruction {
    Statement {
        code: u16,
        k: u32,
    },
    Jump {
        code: u16,
        k: u32,
        on_true: Target,
        on_false: Target,
    },
}

struct LabelState {
    at: Option<usize>,
    /// What the accumulator holds on the jumps to it so far.
    incoming: Accumulator,
}

#[derive(Default)]
pub(super) struct Assembler {
    code: Vec<Instruction>,
    labels: Vec<LabelState>,
    accumulator: Accumulator,
}

impl Assembler {
    pub(super) fn label(&mut self) -> Label {
        self.labels.push(LabelState {
            at: None,
            incoming: Accumulator::Unreachable,
        });
        Label(self.labels.len() - 1)
    }

    /// Place `label` at the next instruction.
    pub(super) fn bind(&mut self, label: Label) {
        let state = &mut self.labels[label.0];
        assert_eq!(state.at, None, "a label is bound once");
        state.at = Some(self.code.len());
        self.accumulator = self.accumulator.meet(state.incoming);
    }

    /// Load the word at `offset` unless the accumulator holds it already.
    pub(super) fn load(&mut self, offset: u32) {
        if self.accumulator != Accumulator::Word(offset) {
            self.statement(LD_W_ABS, offset);
            self.accumulator = Accumulator::Word(offset);
        }
    }

    pub(super) fn and(&mut self, mask: u32) {
        self.statement(AND_K, mask);
        self.accumulator = Accumulator::Unknown;
    }

    pub(super) fn ret(&mut self, action: u32) {
        self.statement(RET_K, action);
        self.accumulator = Accumulator::Unreachable;
    }

    fn statement(&mut self, code: u16, k: u32) {
        self.code.push(Instruction::Statement { code, k });
    }

    pub(super) fn jump(&mut self, code: u16, k: u32, on_true: Target, on_false: Target) {
        let mut falls_through = false;
        for target in [on_true, on_false] {
            match target {
                Target::Next => falls_through = true,
                Target::Label(label) => {
                    let state = &mut self.labels[label.0];
                    state.incoming = state.incoming.meet(self.accumulator);
                }
            }
        }
        if !falls_through {
            self.accumulator = Accumulator::Unreachable;
        }
        self.code.push(Instruction::Jump {
            code,
            k,
            on_true,
            on_false,
        });
    }

    /// Resolve the labels into offsets.
    pub(super) fn finish(self) -> Result<Vec<sock_filter>, CompileError> {
        let length = self.code.len();
        let offset = |from: usize, target: Target| -> Result<u8, CompileError> {
            let to = match target {
                Target::Next => return Ok(0),
                Target::Label(label) => self.labels[label.0]
                    .at
                    .expect("every label a jump names is bound"),
            };
            if to <= from || to >= length {
                return Err(CompileError::Jump { from, to });
            }
            u8::try_from(to - from - 1).map_err(|_| CompileError::Jump { from, to })
        };
        let mut program = Vec::with_capacity(length);
        for (pc, instruction) in self.code.iter().enumerate() {
            program.push(match *instruction {
                Instruction::Statement { code, k } => sock_filter {
                    code,
                    jt: 0,
                    jf: 0,
                    k,
                },
                Instruction::Jump {
                    code,
                    k,
                    on_true,
                    on_false,
                } => sock_filter {
                    code,
                    jt: offset(pc, on_true)?,
                    jf: offset(pc, on_false)?,
                    k,
                },
            });
        }
        Ok(program)
    }
}

#[cfg(test)]
mod tests {
    use super::super::JEQ_K;
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_jump_classic_bpf_cannot_encode_is_an_error() {
        let program_with_gap = |gap: usize| {
            let mut asm = Assembler::default();
            let target = asm.label();
            asm.jump(JEQ_K, 1, target.into(), Target::Next);
            for _ in 0..gap {
                asm.ret(0);
            }
            asm.bind(target);
            asm.ret(0);
            asm.finish().map(|program| program[0].jt)
        };
        assert_eq!(program_with_gap(255), Ok(255));
        assert_eq!(
            program_with_gap(256),
            Err(CompileError::Jump { from: 0, to: 257 })
        );

        let mut asm = Assembler::default();
        let start = asm.label();
        asm.bind(start);
        asm.ret(0);
        asm.jump(JEQ_K, 1, start.into(), Target::Next);
        asm.ret(0);
        assert_eq!(
            asm.finish().map(|_| ()),
            Err(CompileError::Jump { from: 1, to: 0 })
        );
    }

    /// (code, k) of each instruction of a program that loads the word at 16,
    /// jumps to a label from there and, when `other_word`, again after
    /// loading the word at 20, then loads the word at 16 at the label.
    fn load_after_label(other_word: bool) -> Vec<(u16, u32)> {
        let mut asm = Assembler::default();
        let label = asm.label();
        asm.load(16);
        asm.jump(JEQ_K, 1, label.into(), Target::Next);
        if other_word {
            asm.load(20);
            asm.jump(JEQ_K, 2, label.into(), Target::Next);
        }
        asm.ret(0);
        asm.bind(label);
        asm.load(16);
        asm.ret(1);
        let program = asm.finish().expect("assembles");
        program.iter().map(|insn| (insn.code, insn.k)).collect()
    }

    #[test]
    fn a_load_is_skipped_only_when_every_path_holds_the_word() {
        let expected = vec![(LD_W_ABS, 16), (JEQ_K, 1), (RET_K, 0), (RET_K, 1)];
        assert_eq!(load_after_label(false), expected);
        let expected = vec![
            (LD_W_ABS, 16),
            (JEQ_K, 1),
            (LD_W_ABS, 20),
            (JEQ_K, 2),
            (RET_K, 0),
            (LD_W_ABS, 16),
            (RET_K, 1),
        ];
        assert_eq!(load_after_label(true), expected);
    }

    #[test]
    fn a_jump_past_the_end_is_an_error() {
        let mut asm = Assembler::default();
        let end = asm.label();
        asm.jump(JEQ_K, 1, end.into(), Target::Next);
        asm.ret(0);
        asm.bind(end);
        assert_eq!(
            asm.finish().map(|_| ()),
            Err(CompileError::Jump { from: 0, to: 2 })
        );
    }
}
