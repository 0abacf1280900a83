use super::interpreter::{Call, decide, run};
use super::*;
use pretty_assertions::assert_eq;

fn listing(program: &[sock_filter]) -> Vec<String> {
    program
        .iter()
        .map(|insn| match insn.code {
            LD_W_ABS => format!("ld [{}]", insn.k),
            AND_K => format!("and {:#x}", insn.k),
            RET_K => format!("ret {:#x}", insn.k),
            JEQ_K | JGE_K | JSET_K => {
                let op = [(JEQ_K, "jeq"), (JGE_K, "jge"), (JSET_K, "jset")]
                    .iter()
                    .find(|(code, _)| *code == insn.code)
                    .map(|(_, op)| *op)
                    .expect("a jump");
                format!("{op} {:#x} +{} +{}", insn.k, insn.jt, insn.jf)
            }
            code => format!("unknown {code:#x}"),
        })
        .collect()
}

const ARCH: u32 = 0xC000_003E;

fn dword(arg: u8, cmp: Cmp) -> Cond {
    Cond {
        arg,
        width: Width::Dword,
        cmp,
    }
}

fn qword(arg: u8, cmp: Cmp) -> Cond {
    Cond {
        arg,
        width: Width::Qword,
        cmp,
    }
}

#[test]
fn a_small_filter_compiles_to_this_program() {
    let filter = Filter {
        arch: ARCH,
        refuse_from: Some(0x4000_0000),
        enosys: vec![435],
        refuse: BTreeMap::from([
            (101, vec![]),
            (
                16,
                vec![
                    Rule(vec![dword(1, Cmp::Eq(0x5412))]),
                    Rule(vec![dword(1, Cmp::Eq(0x541c))]),
                ],
            ),
            (44, vec![Rule(vec![qword(4, Cmp::Ne(0))])]),
        ]),
        notify: BTreeMap::new(),
    };
    let expected = [
        "ld [4]",
        "jeq 0xc000003e +0 +16",
        "ld [0]",
        "jge 0x40000000 +12 +0",
        "jeq 0x1b3 +12 +0",
        "jeq 0x10 +2 +0", // ioctl
        "jeq 0x2c +4 +0", // sendto
        "jeq 0x65 +8 +7", // ptrace, else allow
        "ld [24]",
        "jeq 0x5412 +6 +0",
        "jeq 0x541c +5 +4", // the argument is loaded once
        "ld [52]",
        "jeq 0x0 +0 +3",
        "ld [48]",
        "jeq 0x0 +0 +1",
        "ret 0x7fff0000",
        "ret 0x50001",
        "ret 0x50026",
        "ret 0x80000000",
    ];
    assert_eq!(listing(&compile(&filter).expect("compiles")), expected);
}

fn check_against_direct_evaluation(filter: &Filter, calls: impl IntoIterator<Item = Call>) {
    let program = compile(filter).expect("compiles");
    for call in calls {
        assert_eq!(run(&program, &call), decide(filter, &call), "{call:?}");
    }
}

#[test]
fn every_kind_of_condition_decides_like_its_direct_evaluation() {
    let cmps = [
        Cmp::Eq(0),
        Cmp::Eq(2),
        Cmp::Eq(0x1_0000_0002),
        Cmp::Ne(0),
        Cmp::Ne(0x1_0000_0000),
        Cmp::MaskedEq {
            mask: 0xf,
            value: 2,
        },
        Cmp::MaskedEq {
            mask: 0x10,
            value: 0x10,
        },
        Cmp::MaskedEq {
            mask: 0x30,
            value: 0,
        },
        Cmp::MaskedEq { mask: 0, value: 0 },
        Cmp::MaskedEq {
            mask: 0xf,
            value: 0x12,
        },
        Cmp::MaskedEq {
            mask: u64::MAX,
            value: 2,
        },
        Cmp::MaskedEq {
            mask: 0x1_0000_000f,
            value: 0x1_0000_0002,
        },
        Cmp::AnySet(0x12),
        Cmp::AnySet(0x1_0000_0000),
        Cmp::AnySet(0),
    ];
    let mut refuse = BTreeMap::new();
    let mut nr = 0;
    for (index, cmp) in cmps.into_iter().enumerate() {
        let arg = (index % 6) as u8;
        for cond in [dword(arg, cmp), qword(arg, cmp)] {
            refuse.insert(nr, vec![Rule(vec![cond])]);
            nr += 1;
        }
    }
    // Several conditions, several rules, an empty rule, an empty list.
    refuse.insert(
        nr,
        vec![
            Rule(vec![dword(0, Cmp::Ne(1)), qword(1, Cmp::Eq(2))]),
            Rule(vec![
                dword(0, Cmp::Eq(1)),
                dword(
                    0,
                    Cmp::MaskedEq {
                        mask: 0x10,
                        value: 0x10,
                    },
                ),
            ]),
            Rule(vec![
                qword(2, Cmp::Ne(0)),
                dword(2, Cmp::Ne(0)),
                qword(0, Cmp::Eq(0x12)),
            ]),
        ],
    );
    // The second condition starts where the first left either word of
    // argument 1 in the accumulator: it must load again.
    let high_bit = Cmp::MaskedEq {
        mask: 1 << 32,
        value: 1 << 32,
    };
    refuse.insert(
        nr + 3,
        vec![Rule(vec![qword(1, Cmp::Ne(1 << 32)), qword(1, high_bit)])],
    );
    refuse.insert(nr + 1, vec![Rule(vec![dword(3, Cmp::Eq(7))]), Rule(vec![])]);
    refuse.insert(nr + 2, vec![]);
    // Notified calls: conditional, outright, and one also refused (the
    // refusal wins).
    let notify = BTreeMap::from([
        (
            nr + 4,
            vec![
                Rule(vec![dword(2, Cmp::AnySet(0x243))]),
                Rule(vec![dword(0, Cmp::Eq(2))]),
            ],
        ),
        (nr + 5, vec![]),
        (nr + 1, vec![]),
    ]);
    let filter = Filter {
        arch: ARCH,
        refuse_from: None,
        enosys: vec![],
        refuse,
        notify,
    };

    let values = [
        0,
        1,
        2,
        0x10,
        0x12,
        0x30,
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_0002,
        0x1_0000_0012,
        u64::MAX,
    ];
    let mut calls = Vec::new();
    for nr in 0..=nr + 6 {
        for (arg, value) in (0..6).flat_map(|arg| values.map(|value| (arg, value))) {
            let mut args = [0; 6];
            args[arg] = value;
            calls.push(Call {
                nr: nr as i32,
                arch: ARCH,
                args,
            });
        }
        for (first, second) in values.iter().flat_map(|a| values.map(|b| (*a, b))) {
            let args = [first, second, first, 0, 0, 0];
            calls.push(Call {
                nr: nr as i32,
                arch: ARCH,
                args,
            });
        }
    }
    check_against_direct_evaluation(&filter, calls);
}

#[test]
fn a_seventh_argument_or_a_negative_number_is_an_error() {
    let filter = |nr: i64, arg: u8| Filter {
        arch: ARCH,
        refuse_from: None,
        enosys: vec![],
        refuse: BTreeMap::from([(nr, vec![Rule(vec![dword(arg, Cmp::Eq(0))])])]),
        notify: BTreeMap::new(),
    };
    assert_eq!(
        compile(&filter(1, 6)).map(|_| ()),
        Err(CompileError::Argument { arg: 6 })
    );
    assert_eq!(
        compile(&filter(-1, 0)).map(|_| ()),
        Err(CompileError::SyscallNumber { nr: -1 })
    );
}
