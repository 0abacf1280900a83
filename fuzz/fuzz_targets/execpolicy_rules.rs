//! The rules parser and interpreter must load or refuse any text: no panic,
//! no hang, no unbounded memory. What loads must also evaluate.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut policy = duet_execpolicy::Policy::empty();
        if policy.add_source(std::path::Path::new("fuzz.rules"), text).is_ok() {
            let argv: Vec<String> = ["git", "status", "-s"].map(String::from).to_vec();
            let _ = policy.check(&argv, true);
        }
    }
});
