//! The parser must return a `Patch` or a `ParseError` for any text: no panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(patch) = duet_apply_patch::parse_patch(text) {
            // What parses also resolves: these must not panic either.
            let _ = duet_apply_patch::affected_paths(&patch, std::path::Path::new("/w"));
        }
    }
});
